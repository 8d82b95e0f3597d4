/**
 * Tokens of a text, for measuring how much text a block holds whatever its script: a word for
 * Latin, Cyrillic and other spaced scripts, one character for Han, kana and Hangul (scripts
 * written without spaces between words, or where one character carries about a word's meaning).
 * Punctuation and case do not count.
 */
const CHARACTER_SCRIPTS = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}`;
const TOKEN = new RegExp(String.raw`[${CHARACTER_SCRIPTS}]|[[\p{L}\p{N}\p{M}]--[${CHARACTER_SCRIPTS}]]+`, 'gv');

export function tokenize(text: string): string[] {
  return Array.from(text.normalize('NFKC').toLowerCase().matchAll(TOKEN), (match) => match[0]);
}

export function countTokens(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(TOKEN)) count++;
  return count;
}

/** The tokens of a text with how often each occurs. */
export function tokenBag(text: string): Map<string, number> {
  const bag = new Map<string, number>();
  for (const token of tokenize(text)) bag.set(token, (bag.get(token) ?? 0) + 1);
  return bag;
}

/** How many tokens of `part` are found in `whole`, counting repeats at most as often as `whole` has them. */
export function sharedTokens(part: Map<string, number>, whole: Map<string, number>): number {
  let shared = 0;
  for (const [token, count] of part) shared += Math.min(count, whole.get(token) ?? 0);
  return shared;
}

export function bagSize(bag: Map<string, number>): number {
  let total = 0;
  for (const count of bag.values()) total += count;
  return total;
}
