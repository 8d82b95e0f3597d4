import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Naive Bayes over word presence: crawlflow's first model type (still read and written). */
export const NAIVE_BAYES_FORMAT = 'crawlflow-naive-bayes/1';
/** Logistic regression over hashed TF-IDF word uni- and bigrams. */
export const LINEAR_FORMAT = 'crawlflow-linear/1';
/** Every model file format this crawlflow reads. */
export const MODEL_FORMATS = [NAIVE_BAYES_FORMAT, LINEAR_FORMAT] as const;

/** The hash of `features.ts`; a file naming another could not be scored the same way. */
export const FEATURE_HASH = 'fnv1a32-murmur3mix';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const common = {
  /** Shown as the `rule` of model tags. */
  name: z.string().min(1),
  createdAt: z.string(),
  /** Message fields whose text the model reads. */
  fields: z.array(z.string().min(1)).min(1),
  /** Characters of text the model reads per message (segmenting is the costly part). */
  maxChars: z.number().int().positive(),
  /** Labelled messages it was trained on. */
  documents: z.number().int().nonnegative(),
  tags: z.array(z.string().min(1)).min(1),
};

/**
 * One-vs-rest naive Bayes over word presence. For tag t, score = sigmoid(bias[t] +
 * Σ weights[w·T + t]) over the distinct vocabulary words w of the text, T the number of tags.
 */
export const naiveBayesModelSchema = z
  .strictObject({
    format: z.literal(NAIVE_BAYES_FORMAT),
    ...common,
    /** A tag is added when its score reaches this. */
    threshold: z.number().gt(0).lt(1),
    bias: z.array(finite),
    vocabulary: z.array(z.string().min(1)),
    weights: z.array(finite),
  })
  .superRefine((model, context) => {
    if (model.bias.length !== model.tags.length) {
      context.addIssue({ code: 'custom', path: ['bias'], message: `has ${model.bias.length} values for ${model.tags.length} tags` });
    }
    if (model.weights.length !== model.vocabulary.length * model.tags.length) {
      context.addIssue({
        code: 'custom',
        path: ['weights'],
        message: `has ${model.weights.length} values; ${model.vocabulary.length} words × ${model.tags.length} tags need ${model.vocabulary.length * model.tags.length}`,
      });
    }
    if (new Set(model.vocabulary).size !== model.vocabulary.length) {
      context.addIssue({ code: 'custom', path: ['vocabulary'], message: 'lists a word twice' });
    }
  });
export type NaiveBayesModelFile = z.output<typeof naiveBayesModelSchema>;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/**
 * One-vs-rest logistic regression over TF-IDF weighted word uni- (and bi-)grams, each a
 * 32-bit hash (`features.ts`). A text's features that the model knows are weighted
 * tf·idf (tf = 1 + ln count when `sublinearTf`), the vector scaled to unit length, and for
 * tag t, score = sigmoid(bias[t] + Σ x_f · weights[f·T + t]); the tag is added at
 * `thresholds[t]`, tuned on a validation split at training. The arrays are little-endian
 * binary in base64: a JSON array of a million weights would take three times the space
 * and ten times the time to read.
 */
export const linearModelSchema = z.strictObject({
  format: z.literal(LINEAR_FORMAT),
  ...common,
  features: z.strictObject({
    hash: z.literal(FEATURE_HASH, { error: `must be "${FEATURE_HASH}"` }),
    ngrams: z.union([z.literal(1), z.literal(2)]),
    sublinearTf: z.boolean(),
    keepStopWords: z.boolean(),
    /** Number of features the model knows. */
    count: z.number().int().nonnegative(),
  }),
  thresholds: z.array(z.number().gt(0).lt(1)),
  bias: z.array(finite),
  /** Feature hashes, ascending: Uint32, `count` of them. */
  ids: base64,
  /** Inverse document frequency of each feature: Float32, `count` of them. */
  idf: base64,
  /** weights[f·T + t]: Float32, `count` × tags of them. */
  weights: base64,
  /** How it was trained (informative; not read when scoring). */
  training: z.record(z.string(), z.unknown()).optional(),
});
export type LinearModelFile = z.output<typeof linearModelSchema>;

export type ModelFile = NaiveBayesModelFile | LinearModelFile;

/** The binary arrays of a linear model, decoded. */
export interface LinearArrays {
  ids: Uint32Array;
  idf: Float32Array;
  weights: Float32Array;
}

/** A model file that cannot be used; the message names the file and what is wrong. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid classifier model in ${file}:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}

export interface LoadedModel {
  model: ModelFile;
  /** Content hash of the file (16 hex digits of SHA-256). */
  version: string;
  file: string;
}

export function loadModelFile(file: string): LoadedModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ModelFileError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  const model = parseModel(raw, file);
  return { model, version: createHash('sha256').update(text).digest('hex').slice(0, 16), file };
}

/** Validates a parsed model file by its `format`; a format this crawlflow does not read is named with the ones it does. */
export function parseModel(raw: unknown, file: string): ModelFile {
  const format = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>).format : undefined;
  const readable = `this crawlflow reads ${MODEL_FORMATS.map((known) => `"${known}"`).join(' and ')}`;
  if (typeof format !== 'string') {
    throw new ModelFileError(file, [`format: missing — not a crawlflow model file (${readable}; write one with crawlflow tagger train)`]);
  }
  const schema = format === NAIVE_BAYES_FORMAT ? naiveBayesModelSchema : format === LINEAR_FORMAT ? linearModelSchema : undefined;
  if (!schema) {
    const versioned = /^(crawlflow-[a-z-]+)\/(\d+)$/.exec(format);
    const known = versioned && MODEL_FORMATS.some((known) => known.startsWith(`${versioned[1]}/`));
    throw new ModelFileError(file, [
      known
        ? `format: "${format}" is version ${versioned[2]} of ${versioned[1]}, written by another crawlflow version (${readable}): retrain it with crawlflow tagger train`
        : `format: "${format}" is not a crawlflow model format (${readable})`,
    ]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelFileError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(file)'}: ${issue.message}`),
    );
  }
  const model = parsed.data;
  if (model.format === LINEAR_FORMAT) linearArrays(model, file);
  return model;
}

/**
 * Decodes a linear model's arrays, checking their sizes against the tags and feature count.
 * @throws {ModelFileError} naming the array that does not fit.
 */
export function linearArrays(model: LinearModelFile, file = '(model)'): LinearArrays {
  const T = model.tags.length;
  const count = model.features.count;
  const problems: string[] = [];
  if (model.bias.length !== T) problems.push(`bias: has ${model.bias.length} values for ${T} tags`);
  if (model.thresholds.length !== T) problems.push(`thresholds: has ${model.thresholds.length} values for ${T} tags`);
  const decode = (name: 'ids' | 'idf' | 'weights', values: number): Buffer | undefined => {
    const bytes = Buffer.from(model[name], 'base64');
    if (bytes.length !== 4 * values) {
      problems.push(`${name}: holds ${bytes.length / 4} values; ${name === 'weights' ? `${count} features × ${T} tags` : `${count} features`} need ${values}`);
      return undefined;
    }
    return bytes;
  };
  const ids = decode('ids', count);
  const idf = decode('idf', count);
  const weights = decode('weights', count * T);
  if (problems.length > 0 || !ids || !idf || !weights) throw new ModelFileError(file, problems);
  const arrays = {
    ids: new Uint32Array(littleEndian(ids)),
    idf: new Float32Array(littleEndian(idf)),
    weights: new Float32Array(littleEndian(weights)),
  };
  for (let i = 1; i < arrays.ids.length; i++) {
    if (arrays.ids[i]! <= arrays.ids[i - 1]!) throw new ModelFileError(file, [`ids: not strictly ascending at ${i}`]);
  }
  if (!arrays.idf.every(Number.isFinite) || !arrays.weights.every(Number.isFinite)) {
    throw new ModelFileError(file, ['idf, weights: must be finite numbers']);
  }
  return arrays;
}

/** The buffer's bytes as an aligned ArrayBuffer (typed arrays are little-endian on every platform Node runs on). */
function littleEndian(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/** A typed array as base64 of its bytes. */
export function toBase64(array: Uint32Array | Float32Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}
