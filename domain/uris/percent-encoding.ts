/**
 * Canonical percent-encoding of a path, query or fragment (RFC 3986 §6.2.2.1–2, and §2.1–2.4
 * for what may appear unescaped).
 *
 * A component is read as a sequence of tokens, and two components name the same resource
 * exactly when their token sequences are equal:
 * - an unreserved character (`A-Z a-z 0-9 - . _ ~`), written as itself or as its escape
 *   (`%7E` and `~` are one token);
 * - a reserved character RFC 3986 allows as it is (`! $ & ' ( ) * + , ; = : @ / ?`) — distinct
 *   from its escape (`&` separates parameters, `%26` does not);
 * - an escaped octet that is not unreserved (`%2F`, `%E4`; hex case does not matter), and any
 *   character a URI may not hold as it is — `[ ] { } | ^ \ ` `` ` `` `"` `<` `>` space, non-ASCII —
 *   which stands for its UTF-8 escapes (`{` and `%7B` are one token: RFC 3986 knows only the
 *   escaped form, and servers decode both alike);
 * - a `%` that starts no escape (a "bare" `%`), distinct from `%25`: servers disagree on it, so
 *   it is kept, never guessed at.
 *
 * The canonical form writes each token one way: unreserved characters and allowed reserved
 * ones as themselves, every other octet as an upper-case escape, a bare `%` as `%`. One
 * exception keeps that writing unambiguous: right after a bare `%`, two hex digits written as
 * themselves would read back as an escape (`%` `5` `2` → `%52` = `R`), so the first of them is
 * written escaped (`%%352`). Reading the canonical form gives back the same tokens, so the
 * rule is idempotent and never merges two token sequences.
 */

type Token =
  /** Written as itself: an unreserved character or an allowed reserved one. */
  | { kind: 'char'; char: string }
  /** An octet written as `%HH` (upper-case). */
  | { kind: 'escape'; hex: string }
  | { kind: 'bare' };

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const HEX_DIGIT = /^[0-9A-Fa-f]$/;
const ALLOWED_RESERVED = new Set("!$&'()*+,;=:@/?");
const BARE: Token = { kind: 'bare' };

function tokenize(component: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < component.length; ) {
    const unit = component[i]!;
    if (unit === '%') {
      const hex = component.slice(i + 1, i + 3);
      if (hex.length === 2 && HEX_DIGIT.test(hex[0]!) && HEX_DIGIT.test(hex[1]!)) {
        const char = String.fromCharCode(parseInt(hex, 16));
        tokens.push(UNRESERVED.test(char) ? { kind: 'char', char } : { kind: 'escape', hex: hex.toUpperCase() });
        i += 3;
      } else {
        tokens.push(BARE);
        i += 1;
      }
      continue;
    }
    const codePoint = component.codePointAt(i)!;
    const char = String.fromCodePoint(codePoint);
    i += char.length;
    if (UNRESERVED.test(char) || ALLOWED_RESERVED.has(char)) {
      tokens.push({ kind: 'char', char });
    } else {
      for (const byte of Buffer.from(char, 'utf8')) tokens.push({ kind: 'escape', hex: hexOf(byte) });
    }
  }
  return tokens;
}

function render(tokens: readonly Token[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'bare') out += '%';
    else if (token.kind === 'escape') out += `%${token.hex}`;
    else if (HEX_DIGIT.test(token.char) && tokens[i - 1]?.kind === 'bare' && isHexChar(tokens[i + 1])) {
      out += `%${hexOf(token.char.charCodeAt(0))}`;
    } else out += token.char;
  }
  return out;
}

function isHexChar(token: Token | undefined): boolean {
  return token?.kind === 'char' && HEX_DIGIT.test(token.char);
}

function hexOf(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * The canonical percent-encoding of one component (see the module comment): `%7e` → `~`,
 * `%2f` → `%2F`, `{` → `%7B`, `%` and `%25` kept apart, `%%35%32` → `%%352` (not `%52`).
 */
export function normalizePercentEncoding(component: string): string {
  if (!/[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]/.test(component)) return component;
  return render(tokenize(component));
}
