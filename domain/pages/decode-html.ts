import { isAscii } from 'node:buffer';
import { getBOMEncoding, labelToName, TextDecoder } from '@exodus/bytes/encoding.js';
import chardet from 'chardet';
import sniffHTMLEncoding from 'html-encoding-sniffer';
import { MIMEType } from 'whatwg-mimetype';
import { isUtf8 } from '../ingest/file-probe';

/** Where the encoding of a page came from, in the order they are tried. */
export const CharsetSource = {
  /** A byte-order mark: it beats everything, as in browsers. */
  Bom: 'bom',
  /** The `charset` parameter of the HTTP Content-Type header. */
  Header: 'header',
  /** A `<meta charset>` or `<meta http-equiv=content-type>` (the WHATWG prescan, then a later one). */
  Meta: 'meta',
  /** A legacy encoding was declared, but the bytes are valid UTF-8 with non-ASCII in them. */
  Utf8Bytes: 'utf-8-bytes',
  /** Nothing declared and the bytes are valid UTF-8 (ASCII included). */
  Utf8Default: 'utf-8-default',
  /** Nothing declared, not UTF-8: chardet's guess. */
  Detected: 'detected',
  /** Nothing declared, not UTF-8, no guess: windows-1252, the WHATWG default. */
  Fallback: 'fallback',
} as const;
export type CharsetSource = (typeof CharsetSource)[keyof typeof CharsetSource];

export interface DecodedHtml {
  html: string;
  /** The WHATWG encoding name the page was decoded with (`UTF-8`, `GBK`, `Shift_JIS`, …). */
  encoding: string;
  source: CharsetSource;
  /** What the header or meta declared, when {@link source} overrode it with UTF-8. */
  declared?: string;
}

/**
 * Past the WHATWG prescan's 1,024 bytes, a `<meta charset>` is still honoured up to here: the
 * HTML parser's "change the encoding" step does that in browsers, and real pages put long
 * comments, scripts or titles before their meta.
 */
const LATE_META_BYTES = 64 * 1024;
const PRESCAN_BYTES = 1024;

/**
 * Bytes → string for HTML, in the WHATWG encoding-sniffing order: a BOM, then the HTTP
 * header's charset, then the meta prescan (html-encoding-sniffer). A declared legacy encoding
 * that the bytes contradict — they are valid UTF-8 and not plain ASCII, as after a proxy or
 * spider re-encoded the page and left its meta — loses to UTF-8, the rule `probeSample` applies
 * to uploaded files. Undeclared pages are UTF-8 when their bytes are, else chardet's guess.
 * Decoding follows the WHATWG Encoding Standard (`@exodus/bytes`): `gb2312` and `gbk` decode as
 * GB18030, `iso-8859-1` as windows-1252, `x-sjis` as Shift_JIS.
 */
export function decodeHtmlPage(body: Uint8Array, contentType: string | undefined): DecodedHtml {
  const bom = getBOMEncoding(body);
  if (bom) return { html: decode(body, bom), encoding: labelToName(bom) ?? bom, source: CharsetSource.Bom };

  const declared = headerEncoding(contentType) ?? metaEncoding(body);
  if (declared) {
    if (declared.encoding !== 'UTF-8' && !isUtf16(declared.encoding) && !isAscii(body) && isUtf8(asBuffer(body))) {
      return { html: decode(body, 'UTF-8'), encoding: 'UTF-8', source: CharsetSource.Utf8Bytes, declared: declared.encoding };
    }
    return { html: decode(body, declared.encoding), encoding: declared.encoding, source: declared.source };
  }

  const buffer = asBuffer(body);
  if (isUtf8(buffer)) return { html: decode(body, 'UTF-8'), encoding: 'UTF-8', source: CharsetSource.Utf8Default };
  const guess = chardet.detect(buffer.subarray(0, LATE_META_BYTES));
  const guessed = guess ? labelToName(guess) : null;
  if (guessed && !isUtf16(guessed)) {
    return { html: decode(body, guessed), encoding: guessed, source: CharsetSource.Detected };
  }
  return { html: decode(body, 'windows-1252'), encoding: 'windows-1252', source: CharsetSource.Fallback };
}

/** {@link decodeHtmlPage}'s text alone. */
export function decodeHtml(body: Uint8Array, contentType: string | undefined): string {
  return decodeHtmlPage(body, contentType).html;
}

function decode(body: Uint8Array, encoding: string): string {
  // Not fatal: a stray bad byte becomes U+FFFD, as in a browser, instead of losing the page.
  return new TextDecoder(encoding).decode(body);
}

type Declared = { encoding: string; source: typeof CharsetSource.Header | typeof CharsetSource.Meta };

function headerEncoding(contentType: string | undefined): Declared | undefined {
  const label = contentType ? MIMEType.parse(contentType)?.parameters.get('charset') : undefined;
  const encoding = label ? labelToName(label) : null;
  // An unknown label counts as none, and the sniffing goes on (WHATWG).
  return encoding ? { encoding, source: CharsetSource.Header } : undefined;
}

function metaEncoding(body: Uint8Array): Declared | undefined {
  const prescanned = prescan(body);
  if (prescanned) return { encoding: prescanned, source: CharsetSource.Meta };
  const head = asBuffer(body).subarray(0, LATE_META_BYTES).toString('latin1');
  for (const match of head.matchAll(/<meta[\s/]/gi)) {
    if (match.index < PRESCAN_BYTES) continue;
    const late = prescan(body.subarray(match.index));
    if (late) return { encoding: late, source: CharsetSource.Meta };
  }
  return undefined;
}

/** The sniffer's meta prescan alone: no transport label, and null rather than a default. */
function prescan(bytes: Uint8Array): string | null {
  return sniffHTMLEncoding(bytes, { defaultEncoding: null as unknown as string }) as string | null;
}

/** UTF-16 without a BOM reads bytes in pairs: whether they are valid UTF-8 says nothing. */
function isUtf16(encoding: string): boolean {
  return encoding === 'UTF-16LE' || encoding === 'UTF-16BE';
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
