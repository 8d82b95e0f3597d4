import { performance } from 'node:perf_hooks';
import { trainBaseline } from './baseline';
import { evaluateScorer, modelScorer, type Evaluation } from './evaluate';
import { trainLinear, type TrainingProgress } from './linear-model';
import type { ModelFile } from './model-file';
import { trainNaiveBayes, type TrainingExample } from './naive-bayes';

/** The model types `tagger train` writes, as an `as const` object plus its union. */
export const ModelType = { Linear: 'linear', NaiveBayes: 'naive-bayes' } as const;
export type ModelType = (typeof ModelType)[keyof typeof ModelType];
export const MODEL_TYPES: readonly ModelType[] = Object.values(ModelType);

/** Chosen by measurement (docs/tagging.md): +0.16 macro-F1 over naive Bayes on the benchmark corpus. */
export const DEFAULT_MODEL_TYPE: ModelType = ModelType.Linear;

/** What `tagger eval` compares: the model types and the TF-IDF baseline (never written as a file). */
export const BASELINE = 'baseline';
export type EvaluatedType = ModelType | typeof BASELINE;
export const EVALUATED_TYPES: readonly EvaluatedType[] = [...MODEL_TYPES, BASELINE];

/** What training a model of any type takes; each type ignores what it has no use for. */
export interface ModelTrainOptions {
  name: string;
  fields: string[];
  minDocuments?: number;
  /** A fixed threshold: naive Bayes's, or the linear model's instead of tuned ones. */
  threshold?: number;
  c?: number;
  validation?: number;
  seed?: number;
  onProgress?: (progress: TrainingProgress) => void;
}

export function trainModel(type: ModelType, examples: readonly TrainingExample[], options: ModelTrainOptions): ModelFile {
  if (type === ModelType.NaiveBayes) {
    return trainNaiveBayes(examples, {
      name: options.name,
      fields: options.fields,
      ...(options.minDocuments === undefined ? {} : { minDocuments: options.minDocuments }),
      ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
    });
  }
  return trainLinear(examples, {
    ...options,
    // A fixed threshold means no tuning.
    ...(options.threshold === undefined ? {} : { validation: 0, threshold: options.threshold }),
  });
}

export interface ComparedModel {
  type: EvaluatedType;
  /** What it is, in a few words. */
  description: string;
  /** Wall-clock seconds of training (tokenizing excluded: it is shared). */
  trainSeconds: number;
  evaluation: Evaluation;
}

export interface Comparison {
  results: ComparedModel[];
  /** The default model type's macro-F1 minus the baseline's, when both ran. */
  baselineGap?: number;
}

const DESCRIPTIONS: Record<EvaluatedType, string> = {
  linear: 'logistic regression, hashed TF-IDF uni+bigrams, tuned thresholds',
  'naive-bayes': 'naive Bayes over word presence',
  baseline: 'TF-IDF uni+bigram logistic regression, scikit-learn defaults',
};

/** Trains each type on `train` and evaluates it on `test`: the same split for all. */
export function compareModels(
  train: readonly TrainingExample[],
  test: readonly TrainingExample[],
  types: readonly EvaluatedType[],
  options: ModelTrainOptions & { onBaselineTag?: (tag: string, t: number, tags: number) => void; onStart?: (type: EvaluatedType) => void },
): Comparison {
  const results = types.map((type): ComparedModel => {
    options.onStart?.(type);
    const started = performance.now();
    const scorer = type === BASELINE ? trainBaseline(train, { ...(options.onBaselineTag ? { onTag: options.onBaselineTag } : {}) }) : modelScorer(trainModel(type, train, options));
    const trainSeconds = (performance.now() - started) / 1000;
    return { type, description: DESCRIPTIONS[type], trainSeconds, evaluation: evaluateScorer(scorer, test) };
  });
  const chosen = results.find((result) => result.type === DEFAULT_MODEL_TYPE);
  const baseline = results.find((result) => result.type === BASELINE);
  return { results, ...(chosen && baseline ? { baselineGap: chosen.evaluation.macro.f1 - baseline.evaluation.macro.f1 } : {}) };
}

/** The side-by-side table `tagger eval` prints under the per-tag tables. */
export function formatComparison(comparison: Comparison, tolerance = 0.01): string {
  const width = Math.max(11, ...comparison.results.map((result) => result.type.length));
  const lines = [
    `${'model'.padEnd(width)} ${'macro-F1'.padStart(8)} ${'micro-F1'.padStart(8)} ${'train s'.padStart(8)}  what`,
    ...comparison.results.map(
      (result) =>
        `${result.type.padEnd(width)} ${result.evaluation.macro.f1.toFixed(4).padStart(8)} ${result.evaluation.micro.f1.toFixed(4).padStart(8)} ${result.trainSeconds.toFixed(1).padStart(8)}  ${result.description}`,
    ),
  ];
  if (comparison.baselineGap !== undefined) {
    const gap = comparison.baselineGap;
    lines.push(
      `${DEFAULT_MODEL_TYPE} − baseline macro-F1: ${gap >= 0 ? '+' : ''}${gap.toFixed(4)} — ${gap >= 0 ? 'at or above the baseline' : gap >= -tolerance ? `within ${tolerance} below the baseline` : `MORE than ${tolerance} below the baseline`}`,
    );
  }
  return lines.join('\n');
}
