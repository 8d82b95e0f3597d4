import { NO_LABELS, TrainingDataError } from './training-data-error';
import { NAIVE_BAYES_FORMAT, type NaiveBayesModelFile } from './model-file';
import { isStopWord } from './tokenize';

/** One labelled message, reduced to what training needs. */
export interface TrainingExample {
  /** The tokens of the message's text, in order, stop words kept (`tokenize(text, { keepStopWords: true })`). */
  tokens: readonly string[];
  /** Its tags; none is a valid answer (a message about nothing the model knows). */
  labels: readonly string[];
}

export interface TrainOptions {
  /** Shown as the `rule` of the model's tags. */
  name: string;
  /** Message fields the text came from. */
  fields: string[];
  /**
   * Words seen in fewer messages than this are left out of the vocabulary.
   * @default 1
   */
  minDocuments?: number;
  /**
   * Largest vocabulary; the words in the most messages are kept.
   * @default 200000
   */
  maxVocabulary?: number;
  /**
   * Score at which a tag is added.
   * @default 0.5
   */
  threshold?: number;
  /**
   * Characters of text the model reads per message.
   * @default 20000
   */
  maxChars?: number;
  /**
   * Additive (Laplace) smoothing of word counts.
   * @default 1
   */
  smoothing?: number;
  /** @default now */
  createdAt?: Date;
}

/**
 * Trains one-vs-rest multinomial naive Bayes over word presence ("binarized" naive Bayes,
 * which beats raw counts on short texts). Per tag, each word's weight is the log ratio of its
 * smoothed frequency among the tag's messages to that among the others; the bias is the log
 * prior odds. Sparse throughout: counts are kept per word that occurs, never a dense
 * vocabulary vector per message (why not `natural`: see docs/tagging.md).
 */
export function trainNaiveBayes(examples: readonly TrainingExample[], options: TrainOptions): NaiveBayesModelFile {
  const tags = [...new Set(examples.flatMap((example) => example.labels))].sort();
  if (tags.length === 0) throw new TrainingDataError(NO_LABELS);
  const tagIndex = new Map(tags.map((tag, i) => [tag, i]));
  const T = tags.length;
  const alpha = options.smoothing ?? 1;

  // Per word: in how many messages it occurs, and in how many of each tag's messages.
  const documentsWith = new Map<string, number>();
  const positivesWith = new Map<string, Float64Array>();
  const positives = new Float64Array(T);
  for (const example of examples) {
    const labelIndexes = [...new Set(example.labels)].map((label) => tagIndex.get(label)!);
    for (const t of labelIndexes) positives[t]!++;
    for (const token of presentWords(example.tokens)) {
      documentsWith.set(token, (documentsWith.get(token) ?? 0) + 1);
      let counts = positivesWith.get(token);
      if (!counts) positivesWith.set(token, (counts = new Float64Array(T)));
      for (const t of labelIndexes) counts[t]!++;
    }
  }

  const minDocuments = options.minDocuments ?? 1;
  const vocabulary = [...documentsWith.entries()]
    .filter(([, count]) => count >= minDocuments)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.maxVocabulary ?? 200_000)
    .map(([token]) => token);
  const V = vocabulary.length;

  // Total word occurrences in each tag's messages and in the rest, over the kept vocabulary.
  const positiveTotal = new Float64Array(T);
  const negativeTotal = new Float64Array(T);
  for (const token of vocabulary) {
    const counts = positivesWith.get(token)!;
    const all = documentsWith.get(token)!;
    for (let t = 0; t < T; t++) {
      positiveTotal[t]! += counts[t]!;
      negativeTotal[t]! += all - counts[t]!;
    }
  }

  const weights = new Array<number>(V * T);
  vocabulary.forEach((token, w) => {
    const counts = positivesWith.get(token)!;
    const all = documentsWith.get(token)!;
    for (let t = 0; t < T; t++) {
      const positive = Math.log((counts[t]! + alpha) / (positiveTotal[t]! + alpha * V));
      const negative = Math.log((all - counts[t]! + alpha) / (negativeTotal[t]! + alpha * V));
      weights[w * T + t] = round(positive - negative);
    }
  });
  const bias = tags.map((_, t) => round(Math.log((positives[t]! + 1) / (examples.length - positives[t]! + 1))));

  return {
    format: NAIVE_BAYES_FORMAT,
    name: options.name,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    fields: options.fields,
    maxChars: options.maxChars ?? 20_000,
    threshold: options.threshold ?? 0.5,
    documents: examples.length,
    tags,
    bias,
    vocabulary,
    weights,
  };
}

/** The distinct words naive Bayes reads: stop words are left out (its weights cannot learn that they say nothing). */
export function presentWords(tokens: readonly string[]): Set<string> {
  const words = new Set<string>();
  for (const token of tokens) if (!isStopWord(token)) words.add(token);
  return words;
}

/** Six decimal places: model files stay small, and no score moves by more than rounding noise. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
