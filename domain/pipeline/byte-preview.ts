import { isUtf8 } from 'node:buffer';

/**
 * A preview of bytes nobody vouches for (a dead-lettered record), fit to show as text: the
 * UTF-8 reading with every control, bidi, invisible and replacement character written as a
 * visible `⟨U+XXXX⟩` (so a right-to-left override cannot reorder what follows and a NUL cannot
 * cut it), beside a hex dump. The page still puts it into the DOM as text, never as HTML: this
 * only keeps it readable.
 */
export interface BytePreview {
  /** The bytes as UTF-8, with invisible and direction-changing characters escaped. */
  text: string;
  /** Hex of the first `hexBytes`, two digits per byte, space separated. */
  hex: string;
  /** Bytes previewed (≤ what was kept). */
  bytes: number;
  /** The bytes are not valid UTF-8 (their text has U+FFFD where they are not). */
  notUtf8: boolean;
  /** Characters escaped in `text`. */
  escaped: number;
}

export interface BytePreviewOptions {
  /** Most characters of text. @default 2000 */
  maxChars?: number;
  /** Most bytes in the hex dump. @default 256 */
  hexBytes?: number;
}

// C0 and C1 controls (tab and newline kept), soft hyphen, bidi embeddings/overrides/isolates
// and marks, zero-width and other invisible format characters, line/paragraph separators,
// Hangul fillers, variation selectors, BOM, interlinear annotations, U+FFFD, lone surrogates.
const SHOWN_AS_CODE: ReadonlyArray<readonly [number, number]> = [
  [0x00, 0x08],
  [0x0b, 0x1f],
  [0x7f, 0x9f],
  [0xad, 0xad],
  [0x61c, 0x61c],
  [0x115f, 0x1160],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xd800, 0xdfff],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff9, 0xfffd],
  [0xe0000, 0xe007f],
];

function shownAsCode(codePoint: number): boolean {
  return SHOWN_AS_CODE.some(([low, high]) => codePoint >= low && codePoint <= high);
}

export function previewBytes(bytes: Buffer, options: BytePreviewOptions = {}): BytePreview {
  const maxChars = options.maxChars ?? 2000;
  const hexBytes = options.hexBytes ?? 256;
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const notUtf8 = !isUtf8(bytes);
  let escaped = 0;
  const text = Array.from(decoded)
    .slice(0, maxChars)
    .map((char) => {
      const codePoint = char.codePointAt(0) ?? 0;
      if (!shownAsCode(codePoint)) return char;
      escaped++;
      return `⟨U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}⟩`;
    })
    .join('');
  const hex = [...bytes.subarray(0, hexBytes)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return { text, hex, bytes: bytes.length, notUtf8, escaped };
}

/** Same escaping for short texts from outside (a reason, a detail line). */
export function visibleText(value: string, maxChars = 2000): string {
  return previewBytes(Buffer.from(value, 'utf8'), { maxChars, hexBytes: 0 }).text;
}
