import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const MODEL_FORMAT = 'crawlflow-naive-bayes/1';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * A trained classifier, as `crawlflow tagger train` writes it: one-vs-rest naive Bayes over
 * word presence. For tag t, score = sigmoid(bias[t] + Σ weights[w·T + t]) over the distinct
 * vocabulary words w of the text, where T is the number of tags.
 */
export const modelFileSchema = z
  .strictObject({
    format: z.literal(MODEL_FORMAT, { error: `must be "${MODEL_FORMAT}"` }),
    /** Shown as the `rule` of model tags. */
    name: z.string().min(1),
    createdAt: z.string(),
    /** Message fields whose text the model reads. */
    fields: z.array(z.string().min(1)).min(1),
    /** Characters of text the model reads per message (segmenting is the costly part). */
    maxChars: z.number().int().positive(),
    /** A tag is added when its score reaches this. */
    threshold: z.number().gt(0).lt(1),
    /** Labelled messages it was trained on. */
    documents: z.number().int().nonnegative(),
    tags: z.array(z.string().min(1)).min(1),
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
export type ModelFile = z.output<typeof modelFileSchema>;

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
  const parsed = modelFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelFileError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(file)'}: ${issue.message}`),
    );
  }
  return { model: parsed.data, version: createHash('sha256').update(text).digest('hex').slice(0, 16), file };
}
