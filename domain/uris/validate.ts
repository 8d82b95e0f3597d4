import { format, message, type Message } from '../../infra/i18n/i18n';
import { hostProblem } from './host';

/**
 * URI validation: is this string a URI crawlflow can store and fetch? Each rejection carries a
 * machine-readable code (kept in the error log) and a sentence naming what is wrong. Nothing the
 * WHATWG URL parser rejects is ever accepted; some of what it accepts is refused here (hosts and
 * ports that cannot exist, whitespace).
 */

/** The seed's limit on one URI string (手工输入 / 配置信息: 不得超过 8000个字符). */
export const MAX_URI_CHARS = 8000;

export const UriRejection = {
  Empty: 'empty',
  TooLong: 'too_long',
  Whitespace: 'whitespace',
  Unparsable: 'invalid_url',
  SchemeNotAllowed: 'scheme_not_allowed',
  NoHost: 'no_host',
  BadHost: 'bad_host',
  BadPort: 'bad_port',
} as const;
export type UriRejection = (typeof UriRejection)[keyof typeof UriRejection];

/** A rejection's `reason` is English (kept in the error log); `reasonMessage` is the same, to say in the reader's language. */
export type UriValidation = { ok: true; url: URL; trimmed: string } | { ok: false; code: UriRejection; reason: string; reasonMessage: Message };

export interface ValidateOptions {
  /** Lower-case scheme names without the colon (config `URI_ALLOWED_SCHEMES`). */
  allowedSchemes: readonly string[];
  /** The job keeps fragments, so a fragment is checked like the rest. @default false */
  keepFragment?: boolean;
}

/**
 * The padding around a URI on a line: C0 controls and the space (U+0000–U+0020), exactly what
 * the WHATWG parser itself strips from both ends.
 */
// eslint-disable-next-line no-control-regex -- C0 controls are the padding
const PADDING_START = /^[\u0000-\u0020]+/;
// eslint-disable-next-line no-control-regex -- C0 controls are the padding
const PADDING_END = /[\u0000-\u0020]+$/;

/**
 * Never part of a URI crawlflow stores, at the ends or inside: Unicode whitespace (NBSP,
 * U+2028, U+3000, …), control characters, and the invisible format characters that a copy and
 * paste brings along (soft hyphen, zero-width space, word joiner, bidi controls, BOM). WHATWG
 * would percent-encode most of them (or, in a host, silently delete some), giving a URI nobody
 * meant; ZWJ/ZWNJ are left alone (scripts and emoji use them).
 */
const NOT_IN_A_URI = /[\p{White_Space}\p{Cc}\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/u;
const ONLY_BLANK = /^[\p{White_Space}\p{Cc}\p{Cf}]*$/u;

/** The characters a reason names (`receipt.char.name`); any other is named by its code point. */
const CHARACTER_NAMES: Record<string, string> = {
  ' ': 'space',
  '\t': 'tab',
  '\u00A0': 'nbsp',
  '\u2028': 'line_separator',
  '\u2029': 'paragraph_separator',
  '\u3000': 'ideographic_space',
  '\u200B': 'zwsp',
  '\uFEFF': 'bom',
  '\u00AD': 'soft_hyphen',
};

/** "whitespace (a space)", "a control character (U+0001)", "an invisible formatting character (a zero-width space, U+200B)". */
function describeCharacter(char: string): Message {
  const name = message('receipt.char.name', {
    char: CHARACTER_NAMES[char] ?? 'other',
    code: `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
  });
  const kind = /\p{White_Space}/u.test(char) ? 'whitespace' : /\p{Cc}/u.test(char) ? 'control' : 'format';
  return message('receipt.char', { kind, name });
}

/** Characters, as people count them (code points, not UTF-16 units). */
export function countChars(text: string): number {
  if (text.length <= MAX_URI_CHARS) return text.length; // never more code points than units
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Checks one URI string: at most {@link MAX_URI_CHARS} characters, parsable by the WHATWG URL
 * standard (as browsers parse it), an allowed scheme, a host that could exist, a port that could.
 *
 * Whitespace: the padding WHATWG strips (C0 controls and spaces at the ends) is not part of the
 * URI. Any other whitespace, control or invisible character ({@link NOT_IN_A_URI}) is refused
 * wherever it is in what crawlflow keeps — scheme to query, and the fragment when the job keeps
 * it. A fragment the job drops is not checked (it is not kept), except that the line must not
 * hold a second URI after whitespace.
 */
export function validateUri(input: string, options: ValidateOptions): UriValidation {
  if (ONLY_BLANK.test(input)) return reject(UriRejection.Empty, message('receipt.uri.empty'));
  const trimmed = input.replace(PADDING_START, '').replace(PADDING_END, '');
  const chars = countChars(trimmed);
  if (chars > MAX_URI_CHARS) {
    return reject(UriRejection.TooLong, tooLong(chars));
  }
  const whitespace = whitespaceProblem(trimmed, options);
  if (whitespace) return reject(UriRejection.Whitespace, whitespace);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return reject(UriRejection.Unparsable, unparsableReason(trimmed));
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!options.allowedSchemes.includes(scheme)) {
    return reject(UriRejection.SchemeNotAllowed, message('receipt.uri.scheme_not_allowed', { scheme, allowed: options.allowedSchemes.join(', ') }));
  }
  if (url.hostname === '') return reject(UriRejection.NoHost, message('receipt.uri.no_host'));
  const host = hostProblem(url.hostname);
  if (host) return reject(UriRejection.BadHost, host);
  if (url.port === '0') return reject(UriRejection.BadPort, message('receipt.uri.port_zero'));
  return { ok: true, url, trimmed };
}

function whitespaceProblem(text: string, options: ValidateOptions): Message | null {
  const hash = options.keepFragment ? -1 : text.indexOf('#');
  const kept = hash < 0 ? text : text.slice(0, hash);
  const found = NOT_IN_A_URI.exec(kept);
  if (found) {
    return message('receipt.uri.whitespace', { character: describeCharacter(found[0]), position: String(position(kept, found.index)) });
  }
  if (hash < 0) return null;
  // The dropped fragment: only a second URI on the line matters.
  const fragment = text.slice(hash);
  for (const second of fragment.matchAll(/[\p{White_Space}\p{Cc}]+([A-Za-z][A-Za-z0-9+.-]*):/gu)) {
    if (options.allowedSchemes.includes(second[1]!.toLowerCase())) {
      return message('receipt.uri.second_uri', { character: describeCharacter(second[0][0]!), position: String(position(text, hash + second.index)) });
    }
  }
  return null;
}

/** 1-based position, in characters, of the UTF-16 index in the text. */
function position(text: string, index: number): number {
  let count = 1;
  for (const _ of text.slice(0, index)) count++;
  return count;
}

function reject(code: UriRejection, reasonMessage: Message): UriValidation {
  return { ok: false, code, reason: format('en', reasonMessage.key, reasonMessage.params), reasonMessage };
}

/** "longer than 8000 characters (8123)". */
export function tooLong(chars: number): Message {
  return message('receipt.uri.too_long', { max: String(MAX_URI_CHARS), chars: String(chars) });
}

function unparsableReason(text: string): Message {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
  if (!scheme) return message('receipt.uri.no_scheme');
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(text)?.[1];
  if (authority !== undefined) {
    const host = authority.replace(/^.*@/, '');
    if (host === '') return message('receipt.uri.empty_host');
    if (/:[^\]]*$/.test(host) && !/:\d*$/.test(host)) return message('receipt.uri.bad_port', { host });
    return message('receipt.uri.bad_host', { host });
  }
  return message('receipt.uri.not_whatwg');
}
