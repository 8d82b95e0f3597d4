/** Labelled data that parses but cannot train a model (no tags at all, say): bad input, not a bug. */
export class TrainingDataError extends Error {
  override readonly name = 'TrainingDataError';
}

export const NO_LABELS = 'the training data has no tags: every message has an empty tag list (put each message\'s tags in "tags")';
