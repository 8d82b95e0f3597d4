import { compileModel, scoreTokens, tagThreshold } from './compiled-model';
import type { ModelFile } from './model-file';
import type { TrainingExample } from './naive-bayes';

export interface TagMetrics {
  tag: string;
  precision: number;
  recall: number;
  f1: number;
  /** Held-out messages that carry the tag. */
  support: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export interface Evaluation {
  documents: number;
  perTag: TagMetrics[];
  /** Over all (message, tag) decisions together. */
  micro: Omit<TagMetrics, 'tag'>;
  /** The unweighted mean of the per-tag figures. */
  macro: { precision: number; recall: number; f1: number };
}

/** Anything that scores a message's tokens for each of its tags: a trained model or the baseline. */
export interface Scorer {
  tags: readonly string[];
  /** The score at which tag t is added. */
  threshold(t: number): number;
  /** A score (0..1) per tag for a message's tokens (stop words kept). */
  scores(tokens: readonly string[]): ArrayLike<number>;
}

/** A model file as a scorer, through the compiled form the engine runs. */
export function modelScorer(model: ModelFile): Scorer {
  const compiled = compileModel({ model, version: 'evaluation', file: '' });
  return { tags: model.tags, threshold: (t) => tagThreshold(compiled, t), scores: (tokens) => scoreTokens(compiled, tokens) };
}

/** Precision, recall and F1 per tag of `model` on `examples` (messages it was not trained on). */
export function evaluateModel(model: ModelFile, examples: readonly TrainingExample[]): Evaluation {
  return evaluateScorer(modelScorer(model), examples);
}

/** Precision, recall and F1 per tag of the scorer's tags on `examples`. */
export function evaluateScorer(scorer: Scorer, examples: readonly TrainingExample[]): Evaluation {
  const counts = scorer.tags.map(() => ({ tp: 0, fp: 0, fn: 0, support: 0 }));
  const thresholds = scorer.tags.map((_, t) => scorer.threshold(t));
  for (const example of examples) {
    const truth = new Set(example.labels);
    const scores = scorer.scores(example.tokens);
    for (let t = 0; t < scorer.tags.length; t++) {
      const predicted = scores[t]! >= thresholds[t]!;
      const actual = truth.has(scorer.tags[t]!);
      const count = counts[t]!;
      if (actual) count.support++;
      if (predicted && actual) count.tp++;
      else if (predicted) count.fp++;
      else if (actual) count.fn++;
    }
  }
  const perTag = counts.map((count, t) => ({ tag: scorer.tags[t]!, ...metrics(count.tp, count.fp, count.fn), support: count.support }));
  const sum = (pick: (m: TagMetrics) => number) => perTag.reduce((total, m) => total + pick(m), 0);
  const mean = (pick: (m: TagMetrics) => number) => (perTag.length === 0 ? 0 : sum(pick) / perTag.length);
  return {
    documents: examples.length,
    perTag,
    micro: { ...metrics(sum((m) => m.truePositives), sum((m) => m.falsePositives), sum((m) => m.falseNegatives)), support: sum((m) => m.support) },
    macro: { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1) },
  };
}

function metrics(tp: number, fp: number, fn: number) {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives: tp, falsePositives: fp, falseNegatives: fn };
}

/** The evaluation as a text table, one row per tag, then the averages. */
export function formatEvaluation(evaluation: Evaluation): string {
  const width = Math.max(9, ...evaluation.perTag.map((m) => m.tag.length));
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`.padStart(9);
  const row = (name: string, p: number, r: number, f: number, support: string) => `${name.padEnd(width)} ${pct(p)} ${pct(r)} ${pct(f)} ${support.padStart(8)}`;
  return [
    `${'tag'.padEnd(width)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'F1'.padStart(9)} ${'support'.padStart(8)}`,
    ...evaluation.perTag.map((m) => row(m.tag, m.precision, m.recall, m.f1, String(m.support))),
    row('micro avg', evaluation.micro.precision, evaluation.micro.recall, evaluation.micro.f1, String(evaluation.micro.support)),
    row('macro avg', evaluation.macro.precision, evaluation.macro.recall, evaluation.macro.f1, ''),
    `(${evaluation.documents} held-out messages)`,
  ].join('\n');
}
