import { RE2JS } from 're2js';

/**
 * Regular expressions from rules files run on RE2 (re2js, a pure-JavaScript port): matching
 * time is linear in the text, whatever the pattern, so a rule like `(a+)+$` cannot stall a
 * thread. The price is RE2's syntax — no backreferences, no lookaround — and a slower
 * engine than V8's; rules files hold few regular expressions and texts are capped.
 * (V8's own linear engine, the `l` flag, rejects the `i` and `u` flags on Node 20.)
 */
export interface SafeRegexOptions {
  /** @default false */
  ignoreCase?: boolean;
  /** `.` also matches newlines. @default false */
  dotAll?: boolean;
  /** `^` and `$` match at line boundaries. @default false */
  multiline?: boolean;
}

export type SafeRegex = RE2JS;

/** Compiles `pattern`; throws an Error whose message says what RE2 rejected. */
export function compileSafeRegex(pattern: string, options: SafeRegexOptions = {}): SafeRegex {
  const flags =
    (options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0) |
    (options.dotAll ? RE2JS.DOTALL : 0) |
    (options.multiline ? RE2JS.MULTILINE : 0);
  try {
    return RE2JS.compile(pattern, flags);
  } catch (error) {
    throw new Error(`not a valid RE2 regular expression: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Counts matches of `regex` in `text`, stopping at `enough` (a rule only needs to know it
 * reached its threshold). A boolean question goes through RE2's DFA, the fast path.
 */
export function countMatches(regex: SafeRegex, text: string, enough: number): number {
  if (enough <= 1) return regex.test(text) ? 1 : 0;
  const matcher = regex.matcher(text);
  let count = 0;
  while (count < enough && matcher.find()) count++;
  return count;
}
