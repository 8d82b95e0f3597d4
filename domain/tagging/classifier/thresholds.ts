/** What tuning a threshold found on validation scores. */
export interface TunedThreshold {
  threshold: number;
  /** F1 on the validation messages at that threshold. */
  f1: number;
}

/**
 * The score threshold that maximizes F1 on validation scores (`targets[i]` 1 where the
 * message carries the tag): a sweep down the sorted scores, the cut placed halfway between
 * the last score taken and the next. Logistic regression's 0.5 is right for a balanced tag;
 * a rare one is under-predicted at 0.5, and a tuned cut recovers it.
 */
export function tuneThreshold(scores: ArrayLike<number>, targets: ArrayLike<number>, options: { min?: number; max?: number } = {}): TunedThreshold {
  const min = options.min ?? 0.02;
  const max = options.max ?? 0.98;
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (let i = 0; i < targets.length; i++) positives += targets[i] ? 1 : 0;
  if (positives === 0) return { threshold: 0.5, f1: 0 };
  let best = { threshold: 0.5, f1: -1 };
  let truePositives = 0;
  for (let k = 0; k < order.length; k++) {
    truePositives += targets[order[k]!] ? 1 : 0;
    const score = scores[order[k]!]!;
    const next = k + 1 < order.length ? scores[order[k + 1]!]! : 0;
    if (next === score) continue; // a cut can only fall between different scores
    const f1 = (2 * truePositives) / (k + 1 + positives);
    if (f1 > best.f1) best = { threshold: (score + next) / 2, f1 };
  }
  return { threshold: Math.min(max, Math.max(min, best.threshold)), f1: best.f1 };
}
