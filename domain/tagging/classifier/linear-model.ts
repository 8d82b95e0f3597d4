import { NO_LABELS, TrainingDataError } from './training-data-error';
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
   * Leave out features seen in fewer messages than this. From 10,000 messages on, 2 drops
   * the bigrams seen once — most of them — for a sevenfold smaller model and a third of the
   * training time, at about 0.002 of macro-F1; with less data every feature counts (docs/tagging.md).
   * @default 1 below 10,000 messages, else 2
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
   * then refit on all of them. When that share is under 1,000 messages, 5-fold
   * cross-validation scores every message instead. 0 skips tuning (every threshold `threshold`).
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

/** Fewer of a tag's messages than this among the held-out scores: its threshold is not tuned (too noisy). */
const MIN_VALIDATION_POSITIVES = 5;
/** A validation part smaller than this is replaced by cross-validation over all messages. */
const CROSS_VALIDATION_BELOW = 1000;
const CROSS_VALIDATION_FOLDS = 5;
/** Fewer training messages than this: keep the features seen once. */
const SMALL_DATA_BELOW = 10_000;

/**
 * Trains one-vs-rest logistic regression over hashed TF-IDF word uni+bigrams (`features.ts`),
 * each tag on its own (multi-label), fit by L-BFGS; per-tag thresholds are tuned on a
 * validation split, then every tag is refit on all messages from its validation weights.
 */
export function trainLinear(examples: readonly TrainingExample[], options: LinearTrainOptions): LinearModelFile {
  const started = performance.now();
  const tags = [...new Set(examples.flatMap((example) => example.labels))].sort();
  if (tags.length === 0) throw new TrainingDataError(NO_LABELS);
  const T = tags.length;
  const ngrams = options.ngrams ?? 2;
  const sublinearTf = options.sublinearTf ?? true;
  const c = options.c ?? 4;
  const minDocuments = options.minDocuments ?? (examples.length >= SMALL_DATA_BELOW ? 2 : 1);
  const fallbackThreshold = options.threshold ?? 0.5;
  const lbfgs = { maxIterations: options.maxIterations ?? 200 };

  options.onProgress?.({ stage: 'features', messages: examples.length });
  const { matrix, keys, idf } = buildTfidf(
    (function* () {
      for (const example of examples) yield featureCounts(example.tokens, ngrams);
    })(),
    { minDocuments, sublinear: sublinearTf },
  );
  const targets = tags.map((tag) => Uint8Array.from(examples, (example) => (example.labels.includes(tag) ? 1 : 0)));

  const validationShare = options.validation ?? 0.1;
  const random = seededRandom(options.seed ?? 1);
  // Each message's fold: with plenty of data one held-out part (fold 0) tunes the thresholds;
  // with little, a tenth holds too few of a tag's messages, so every message is scored once
  // out of fold (k-fold cross-validation) and the thresholds are tuned on all those scores.
  const folds = validationShare <= 0 ? 0 : examples.length * validationShare >= CROSS_VALIDATION_BELOW ? 1 : CROSS_VALIDATION_FOLDS;
  const foldOf = examples.map(() => (folds === 1 ? (random() < validationShare ? 0 : -1) : Math.floor(random() * folds)));
  const partitions = Array.from({ length: folds }, (_, k) => ({
    held: foldOf.flatMap((fold, r) => (fold === k ? [r] : [])),
    fit: foldOf.flatMap((fold, r) => (fold === k ? [] : [r])),
  })).filter((part) => part.held.length > 0 && part.fit.length > 0);
  const parts = partitions.map((part) => ({ ...part, heldRows: selectRows(matrix, part.held), fitRows: selectRows(matrix, part.fit) }));

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
    const heldScores: number[] = [];
    const heldTargets: number[] = [];
    for (const part of parts) {
      const fitTargets = Uint8Array.from(part.fit, (r) => all[r]!);
      const fitPositives = fitTargets.reduce((sum, value) => sum + value, 0);
      if (fitPositives === 0 || fitPositives === fitTargets.length) continue;
      const fitted = trainLogistic(part.fitRows, fitTargets, {
        c,
        lbfgs: { ...lbfgs, onIteration: (iteration) => options.onProgress?.({ stage: 'validation', tag, tagIndex: t, tags: T, iteration }) },
      });
      heldScores.push(...logisticScores(part.heldRows, fitted.weights, fitted.bias));
      for (const r of part.held) heldTargets.push(all[r]!);
      // One held-out part: its fit is nearly the final one, a warm start.
      if (parts.length === 1) start = Float64Array.from([...fitted.weights, fitted.bias]);
    }
    if (heldTargets.reduce((sum, value) => sum + value, 0) >= MIN_VALIDATION_POSITIVES) {
      const tuned = tuneThreshold(heldScores, heldTargets);
      threshold = tuned.threshold;
      validationF1 = round(tuned.f1);
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
      minDocuments,
      validation: parts.length === 0 ? null : parts.length === 1 ? { share: validationShare, messages: parts[0]!.held.length } : { crossValidationFolds: parts.length },
      seconds: round((performance.now() - started) / 1000),
      perTag,
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
