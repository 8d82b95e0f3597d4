import { NO_LABELS, TrainingDataError } from './training-data-error';
import type { Scorer } from './evaluate';
import { termWeight } from './features';
import { sigmoid, trainLogistic } from './logistic-regression';
import type { TrainingExample } from './naive-bayes';
import { buildTfidf } from './tfidf';

/**
 * The yardstick `tagger eval` measures the models against: what a data scientist would fit
 * first — scikit-learn's `TfidfVectorizer(ngram_range=(1, 2))` over the same jieba tokens
 * (an exact vocabulary of word unigrams and bigrams, raw counts, smoothed idf, unit length)
 * and, per tag, `LogisticRegression()` with its defaults (C = 1, L-BFGS, threshold 0.5).
 * Exact strings, not hashes, and nothing tuned: it checks the model crawlflow ships rather
 * than being one. Lives only in memory; never written as a model file.
 */
export function trainBaseline(examples: readonly TrainingExample[], options: { onTag?: (tag: string, t: number, tags: number) => void } = {}): Scorer {
  const tags = [...new Set(examples.flatMap((example) => example.labels))].sort();
  if (tags.length === 0) throw new TrainingDataError(NO_LABELS);
  const { matrix, keys, idf } = buildTfidf(
    (function* () {
      for (const example of examples) yield ngramCounts(example.tokens);
    })(),
    { minDocuments: 1, sublinear: false },
  );
  const column = new Map(keys.map((key, j) => [key, j]));
  const fitted = tags.map((tag, t) => {
    options.onTag?.(tag, t, tags.length);
    const targets = Uint8Array.from(examples, (example) => (example.labels.includes(tag) ? 1 : 0));
    return trainLogistic(matrix, targets, { c: 1, lbfgs: { maxIterations: 200 } });
  });
  return {
    tags,
    threshold: () => 0.5,
    scores(tokens) {
      const entries: Array<[number, number]> = [];
      let norm = 0;
      for (const [key, count] of ngramCounts(tokens)) {
        const j = column.get(key);
        if (j === undefined) continue;
        const x = termWeight(count, false) * idf[j]!;
        entries.push([j, x]);
        norm += x * x;
      }
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      return fitted.map((model) => {
        let z = model.bias;
        for (const [j, x] of entries) z += model.weights[j]! * x * scale;
        return sigmoid(z);
      });
    },
  };
}

/** Word unigrams and bigrams as strings (a bigram is its two words with a space, as scikit-learn joins them). */
function ngramCounts(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < tokens.length; i++) {
    counts.set(tokens[i]!, (counts.get(tokens[i]!) ?? 0) + 1);
    if (i > 0) {
      const bigram = `${tokens[i - 1]!} ${tokens[i]!}`;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
    }
  }
  return counts;
}
