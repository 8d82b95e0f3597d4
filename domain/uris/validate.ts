/**
 * URI validation: is this string a URI crawlflow can store and fetch? Each rejection carries a
 * machine-readable code (kept in the error log) and a sentence naming what is wrong.
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
} as const;
export type UriRejection = (typeof UriRejection)[keyof typeof UriRejection];

export type UriValidation = { ok: true; url: URL; trimmed: string } | { ok: false; code: UriRejection; reason: string };

export interface ValidateOptions {
  /** Lower-case scheme names without the colon (config `URI_ALLOWED_SCHEMES`). */
  allowedSchemes: readonly string[];
}

/** Characters, as people count them (code points, not UTF-16 units). */
export function countChars(text: string): number {
  if (text.length <= MAX_URI_CHARS) return text.length; // never more code points than units
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Checks one URI string: at most {@link MAX_URI_CHARS} characters, no whitespace inside,
 * parsable by the WHATWG URL standard (as browsers parse it), an allowed scheme, a host.
 * Surrounding whitespace is not part of the URI (it is trimmed first).
 */
export function validateUri(input: string, options: ValidateOptions): UriValidation {
  const trimmed = input.trim();
  if (trimmed === '') return reject(UriRejection.Empty, 'empty: no URI on this line');
  const chars = countChars(trimmed);
  if (chars > MAX_URI_CHARS) {
    return reject(UriRejection.TooLong, `longer than ${MAX_URI_CHARS} characters (${chars})`);
  }
  const space = /[\s\p{Cc}]/u.exec(trimmed);
  if (space) {
    const what = /\s/u.test(space[0]) ? 'whitespace' : 'a control character';
    return reject(
      UriRejection.Whitespace,
      `contains ${what} at character ${space.index + 1}: one URI per line, spaces percent-encoded as %20`,
    );
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return reject(UriRejection.Unparsable, unparsableReason(trimmed));
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!options.allowedSchemes.includes(scheme)) {
    return reject(
      UriRejection.SchemeNotAllowed,
      `scheme "${scheme}" is not allowed (allowed: ${options.allowedSchemes.join(', ')})`,
    );
  }
  if (url.hostname === '') return reject(UriRejection.NoHost, 'no host: expected scheme://host/…');
  if (!url.hostname.startsWith('[') && /(^|\.)\.|^\./.test(url.hostname.replace(/\.$/, ''))) {
    return reject(UriRejection.BadHost, `host "${url.hostname}" has an empty label`);
  }
  return { ok: true, url, trimmed };
}

function reject(code: UriRejection, reason: string): UriValidation {
  return { ok: false, code, reason };
}

function unparsableReason(text: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
  if (!scheme) return 'not a URL: no scheme (expected something like https://example.com/)';
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(text)?.[1];
  if (authority !== undefined) {
    const host = authority.replace(/^.*@/, '');
    if (host === '') return 'not a URL: the host is empty';
    if (/:[^\]]*$/.test(host) && !/:\d*$/.test(host)) return `not a URL: bad port in "${host}"`;
    return `not a URL: the host "${host}" is not a valid domain name or IP address`;
  }
  return 'not a URL by the WHATWG URL standard';
}
