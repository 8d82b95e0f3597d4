import { performance } from 'node:perf_hooks';
import { featureCounts } from './features';
import { logisticScores, trainLogistic } from './logistic-regression';
import { FEATURE_HASH, LINEAR_FORMAT, toBase64, type LinearModelFile } from './model-file';
import type { TrainingExample } from './naive-bayes';
import { seededRandom } from '../text/seeded-random';
import { buildTfidf, selectRows } from './tfidf';
import { tuneThreshold } from './thresholds';

/** Where training is, for a progress display. */
export type TrainingProgress =
  | { stage: 'features'; messages: number }
  | { stage: 'validation' | 'fit'; tag: string; tagIndex: number; tags: number; iteration: number };

export interface LinearTrainOptions {
  /** Shown as the `rule` of the model's tags. */
  name: string;
  /** Message fields the text came from. */
  fields: string[];
  /**
   * Inverse regularization strength of each tag's logistic regression (scikit-learn's `C`).
   * @default 4
   */
  c?: number;
  /**
   * Leave out features seen in fewer messages than this. 2 drops the bigrams seen once —
   * most of them — for a sevenfold smaller model and a third of the training time, at about
   * 0.002 of macro-F1 (docs/tagging.md).
   * @default 2
   */
  minDocuments?: number;
  /**
   * 2: word unigrams and bigrams; 1: unigrams only.
   * @default 2
   */
  ngrams?: 1 | 2;
  /**
   * Weigh a repeated word by 1 + ln(count) instead of its count.
   * @default true
   */
  sublinearTf?: boolean;
  /**
   * Share of the training messages held back to tune each tag's threshold; the model is
   * then refit on all of them. 0 skips tuning (every threshold `threshold`).
   * @default 0.1
   */
  validation?: number;
  /**
   * The threshold when none is tuned (no validation, or too few of a tag's messages in it).
   * @default 0.5
   */
  threshold?: number;
  /** @default 1 */
  seed?: number;
  /**
   * L-BFGS iterations per tag and fit.
   * @default 200
   */
  maxIterations?: number;
  /**
   * Characters of text the model reads per message.
   * @default 20000
   */
  maxChars?: number;
  onProgress?: (progress: TrainingProgress) => void;
  /** @default now */
  createdAt?: Date;
}

/** Fewer of a tag's messages than this in the validation part: its threshold is not tuned (too noisy). */
const MIN_VALIDATION_POSITIVES = 5;

/**
 * Trains one-vs-rest logistic regression over hashed TF-IDF word uni+bigrams (`features.ts`),
 * each tag on its own (multi-label), fit by L-BFGS; per-tag thresholds are tuned on a
 * validation split, then every tag is refit on all messages from its validation weights.
 */
export function trainLinear(examples: readonly TrainingExample[], options: LinearTrainOptions): LinearModelFile {
  const started = performance.now();
  const tags = [...new Set(examples.flatMap((example) => example.labels))].sort();
  if (tags.length === 0) throw new Error('training data has no labels: every message has an empty tag list');
  const T = tags.length;
  const ngrams = options.ngrams ?? 2;
  const sublinearTf = options.sublinearTf ?? true;
  const c = options.c ?? 4;
  const fallbackThreshold = options.threshold ?? 0.5;
  const lbfgs = { maxIterations: options.maxIterations ?? 200 };

  options.onProgress?.({ stage: 'features', messages: examples.length });
  const { matrix, keys, idf } = buildTfidf(
    (function* () {
      for (const example of examples) yield featureCounts(example.tokens, ngrams);
    })(),
    { minDocuments: options.minDocuments ?? 2, sublinear: sublinearTf },
  );
  const targets = tags.map((tag) => Uint8Array.from(examples, (example) => (example.labels.includes(tag) ? 1 : 0)));

  const validationShare = options.validation ?? 0.1;
  const random = seededRandom(options.seed ?? 1);
  const inValidation = examples.map(() => random() < validationShare);
  const validationRows = inValidation.flatMap((held, r) => (held ? [r] : []));
  const fitRows = inValidation.flatMap((held, r) => (held ? [] : [r]));
  const tuning = validationShare > 0 && validationRows.length > 0 && fitRows.length > 0;
  const fitPart = tuning ? selectRows(matrix, fitRows) : matrix;
  const validationPart = tuning ? selectRows(matrix, validationRows) : matrix;

  const weights = new Float32Array(keys.length * T);
  const bias: number[] = [];
  const thresholds: number[] = [];
  const perTag: Array<Record<string, unknown>> = [];
  tags.forEach((tag, t) => {
    const all = targets[t]!;
    const positives = all.reduce((sum, value) => sum + value, 0);
    if (positives === examples.length) {
      // On every message: nothing tells when it does not apply. Always add it.
      bias.push(Math.log(examples.length + 1));
      thresholds.push(fallbackThreshold);
      perTag.push({ tag, positives, note: 'on every training message: always added' });
      return;
    }
    let threshold = fallbackThreshold;
    let validationF1: number | undefined;
    let start: Float64Array | undefined;
    if (tuning) {
      const fitTargets = Uint8Array.from(fitRows, (r) => all[r]!);
      const validationTargets = Uint8Array.from(validationRows, (r) => all[r]!);
      const validationPositives = validationTargets.reduce((sum, value) => sum + value, 0);
      const fitPositives = fitTargets.reduce((sum, value) => sum + value, 0);
      if (validationPositives >= MIN_VALIDATION_POSITIVES && fitPositives > 0 && fitPositives < fitRows.length) {
        const fitted = trainLogistic(fitPart, fitTargets, {
          c,
          lbfgs: { ...lbfgs, onIteration: (iteration) => options.onProgress?.({ stage: 'validation', tag, tagIndex: t, tags: T, iteration }) },
        });
        const tuned = tuneThreshold(logisticScores(validationPart, fitted.weights, fitted.bias), validationTargets);
        threshold = tuned.threshold;
        validationF1 = round(tuned.f1);
        start = Float64Array.from([...fitted.weights, fitted.bias]);
      }
    }
    const model = trainLogistic(matrix, all, {
      c,
      ...(start ? { start } : {}),
      lbfgs: { ...lbfgs, onIteration: (iteration) => options.onProgress?.({ stage: 'fit', tag, tagIndex: t, tags: T, iteration }) },
    });
    for (let f = 0; f < keys.length; f++) weights[f * T + t] = model.weights[f]!;
    bias.push(model.bias);
    thresholds.push(round(threshold));
    perTag.push({ tag, positives, threshold: round(threshold), ...(validationF1 === undefined ? {} : { validationF1 }), iterations: model.iterations, converged: model.converged });
  });

  // Features in ascending hash order: the file is the same for the same data, and a binary search could read it.
  const order = keys.map((_, f) => f).sort((a, b) => keys[a]! - keys[b]!);
  const sortedIds = Uint32Array.from(order, (f) => keys[f]!);
  const sortedIdf = Float32Array.from(order, (f) => idf[f]!);
  const sortedWeights = new Float32Array(weights.length);
  order.forEach((f, i) => sortedWeights.set(weights.subarray(f * T, f * T + T), i * T));

  return {
    format: LINEAR_FORMAT,
    name: options.name,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    fields: options.fields,
    maxChars: options.maxChars ?? 20_000,
    documents: examples.length,
    tags,
    features: { hash: FEATURE_HASH, ngrams, sublinearTf, keepStopWords: true, count: keys.length },
    thresholds,
    bias,
    ids: toBase64(sortedIds),
    idf: toBase64(sortedIdf),
    weights: toBase64(sortedWeights),
    training: {
      c,
      minDocuments: options.minDocuments ?? 2,
      validation: tuning ? { share: validationShare, messages: validationRows.length } : null,
      seconds: round((performance.now() - started) / 1000),
      perTag,
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
