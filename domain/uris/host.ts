import { message, type Message } from '../../infra/i18n/i18n';

/**
 * What the WHATWG parser lets through in a host but no DNS name or IP address can be. WHATWG
 * forbids only the characters that would break parsing; `{`, `&`, `*`, `!` … and empty labels
 * pass it (`http://license.{curly}.com/`, `http://google.com&d=4/`, `http://a../`), and so do
 * labels longer than DNS allows. None of them can ever be fetched: crawlflow refuses them.
 */

/** DNS limits (RFC 1035 §2.3.4), on the ASCII (punycode) form WHATWG gives. */
export const MAX_LABEL_CHARS = 63;
export const MAX_HOST_CHARS = 253;

/**
 * Host labels are letters, digits and `-` (RFC 952/1123) — and `_`, which real host names carry
 * (`my_host.example.com`, `_dmarc`) and resolvers and browsers accept. Case is allowed for the
 * opaque hosts of non-special schemes, which WHATWG does not lower-case.
 */
const LABEL_CHARACTER = /[A-Za-z0-9_-]/;

/**
 * The host without the one trailing dot of an absolute DNS name (`example.com.` is `example.com`).
 * A host that is nothing but dots or ends in an empty label (`.`, `a..`) is left as it is: it is
 * refused anyway ({@link hostProblem}), and stripping would make it another (or no) host.
 */
export function withoutTrailingDot(hostname: string): string {
  return /[^.]\.$/.test(hostname) && !hostname.startsWith('[') ? hostname.slice(0, -1) : hostname;
}

/**
 * Why a parsed URL's hostname (`url.hostname`) cannot be a real host, or null when it can.
 * IPv6 literals (`[…]`) and IPv4 addresses are already checked and serialized by WHATWG.
 */
export function hostProblem(hostname: string): Message | null {
  if (hostname.startsWith('[')) return null;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  const labels = name.split('.');
  const host = hostname.length > 100 ? `${hostname.slice(0, 100)}…` : hostname;
  if (labels.some((label) => label === '')) return message('receipt.host.empty_label', { host });
  for (const char of name) {
    if (char !== '.' && !LABEL_CHARACTER.test(char)) {
      return message('receipt.host.bad_char', { host, char: JSON.stringify(char), hint: char === '&' || char === '=' ? 'query' : 'none' });
    }
  }
  const long = labels.find((label) => label.length > MAX_LABEL_CHARS);
  if (long !== undefined) return message('receipt.host.label_too_long', { host, length: String(long.length), max: String(MAX_LABEL_CHARS) });
  if (name.length > MAX_HOST_CHARS) return message('receipt.host.too_long', { host, length: String(name.length), max: String(MAX_HOST_CHARS) });
  return null;
}
