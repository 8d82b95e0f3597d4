/**
 * Credentials in a URI (`http://user:password@host/`) are a secret, not part of the resource:
 * normalization drops them, and everything crawlflow keeps or logs of an input — the error and
 * failure logs, `crawler_task_source.uri_original`, receipts, log lines — shows them as `***`.
 */

const SPECIAL_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp']);

/**
 * The text with the userinfo of its authority replaced by `***` (`http://***@host/`), found the
 * way the WHATWG parser finds it — everything before the last `@` of the authority — so it works
 * on inputs that do not parse too. Text without userinfo is returned as it is.
 */
export function redactUserinfo(text: string): string {
  if (!text.includes('@')) return text;
  // eslint-disable-next-line no-control-regex -- the padding WHATWG strips before the scheme
  const start = /^[\u0000-\u0020]*([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  if (!start) return text;
  const special = SPECIAL_SCHEMES.has(start[1]!.toLowerCase());
  // Special schemes take any run of slashes and backslashes (even none) before the authority.
  const slashes = (special ? /^[/\\]*/ : /^\/\//).exec(text.slice(start[0].length));
  if (!slashes) return text;
  const authorityStart = start[0].length + slashes[0].length;
  const end = text.slice(authorityStart).search(special ? /[/\\?#]/ : /[/?#]/);
  const authority = end < 0 ? text.slice(authorityStart) : text.slice(authorityStart, authorityStart + end);
  const at = authority.lastIndexOf('@');
  if (at < 0) return text;
  return `${text.slice(0, authorityStart)}***${text.slice(authorityStart + at)}`;
}
