import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';
import { foldCase } from '../text/folding';

let jieba: Jieba | undefined;

/**
 * The Chinese segmenter, loaded once per thread on first use (about 0.2 s). @node-rs/jieba
 * ships its dictionary inside the package and its native binary as a platform package, so
 * nothing is downloaded at install or run time (nodejieba downloads its binary: refused).
 */
export function segmenter(): Jieba {
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

/** Words too common to say anything about a topic. */
const STOP_WORDS = new Set([
  ...'的 了 是 在 和 与 及 或 也 就 都 而 着 把 被 让 给 对 从 向 这 那 这个 那个 一个 我 你 他 她 它 我们 你们 他们 有 没有 不 很 还 又 吗 呢 吧 啊 之 其 等 以及 但是 因为 所以 如果 已经 可以 进行 表示'.split(' '),
  ...'a an the of and or to in on at for with by from as is are was were be been it its this that these those i you he she we they not no but if so than then there their our your has have had do does did will would can could may might also just more most very about into over after before new says said'.split(' '),
]);

const SKIP = /^[\p{P}\p{S}\p{Z}\p{C}\s]+$/u;
const NUMBER = /^[\d.,%]+$/;

export interface TokenizeOptions {
  /**
   * Keep the stop words. A linear model learns its own weight for each word (and the
   * bigrams a stop word forms: 不 好 is not 好), so only naive Bayes drops them.
   * @default false
   */
  keepStopWords?: boolean;
}

/**
 * Text → features: jieba segments Chinese (and splits Latin words, numbers and punctuation
 * on the way); tokens are case-folded like keywords, punctuation (and, unless kept, stop
 * words) are dropped, and numbers become one token, `<num>`.
 */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const tokens: string[] = [];
  const dropStopWords = options.keepStopWords !== true;
  for (const piece of segmenter().cut(foldCase(text), false)) {
    const token = piece.trim();
    if (token.length === 0 || token.length > 40 || SKIP.test(token) || (dropStopWords && STOP_WORDS.has(token))) continue;
    tokens.push(NUMBER.test(token) ? '<num>' : token);
  }
  return tokens;
}

/** The distinct tokens of a text: the model counts whether a word occurs, not how often. */
export function tokenSet(text: string): Set<string> {
  return new Set(tokenize(text));
}

/** Whether naive Bayes leaves this (case-folded) token out. */
export function isStopWord(token: string): boolean {
  return STOP_WORDS.has(token);
}
