import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { readPath } from '../text/prepare-message';
import { seededRandom } from '../text/seeded-random';
import type { TrainingExample } from './naive-bayes';
import { tokenize } from './tokenize';

/** One line of a labelled data file: the message's text and its tags. */
export interface LabelledMessage {
  text: string;
  labels: string[];
  /** 1-based line number in the file. */
  line: number;
}

/** A labelled data file that cannot be used; names the file and line. */
export class LabelledDataError extends Error {
  override readonly name = 'LabelledDataError';
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
  }
}

export interface LabelledFile {
  messages: LabelledMessage[];
  /** Messages with no text in any of the fields (kept: "no text" is data too, but usually a wrong --fields). */
  withoutText: number;
}

/** The keys a message's tags may come under, first found wins. */
const LABEL_KEYS = ['tags', 'labels', 'label'] as const;

/**
 * Reads labelled messages, one JSON object a line: the message's fields (the text in
 * `fields`, e.g. `text` and `content`) and its tags in `tags` (or `labels`, or `label`): an
 * array of tag names — empty for a message that has none of the tags — or one name; numbers
 * count as names (`"label": 1` is the tag "1"), as public corpora often write them. Blank
 * lines and a byte-order mark are skipped; the file is read in chunks, so its size is not
 * bounded by the longest string V8 holds.
 * @throws {LabelledDataError} naming the file and line of the first unusable line, or when no message has any text.
 */
export function readLabelledFile(file: string, fields: readonly string[]): LabelledMessage[] {
  return readLabelledData(file, fields).messages;
}

export function readLabelledData(file: string, fields: readonly string[]): LabelledFile {
  const messages: LabelledMessage[] = [];
  let withoutText = 0;
  let firstKeys: string[] | undefined;
  for (const { line, content } of readLines(file)) {
    if (content.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(content);
    } catch (error) {
      throw new LabelledDataError(file, line, `not JSON: ${(error as Error).message}`);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new LabelledDataError(file, line, 'not a JSON object');
    const object = record as Record<string, unknown>;
    firstKeys ??= Object.keys(object);
    const labels = parseLabels(object[LABEL_KEYS.find((key) => key in object) ?? 'tags']);
    if (typeof labels === 'string') throw new LabelledDataError(file, line, labels);
    const text = fields
      .map((field) => readPath(record, field))
      .filter((value): value is string => typeof value === 'string' && value !== '')
      .join('\n');
    if (text === '') withoutText++;
    messages.push({ text, labels, line });
  }
  if (messages.length === 0) throw new LabelledDataError(file, 0, 'holds no labelled messages');
  if (withoutText === messages.length) {
    throw new LabelledDataError(
      file,
      0,
      `no message has text in the fields ${fields.join(', ')} (the first line's keys: ${(firstKeys ?? []).join(', ')}); name the text fields with --fields`,
    );
  }
  return { messages, withoutText };
}

/** The tag names of a message, or what is wrong with them. */
function parseLabels(value: unknown): string[] | string {
  const problem = '"tags" must be an array of tag names (empty for none), or one tag name';
  if (value === undefined || value === null) return problem;
  const list = Array.isArray(value) ? value : [value];
  const names: string[] = [];
  for (const item of list) {
    if (typeof item === 'number' && Number.isFinite(item)) names.push(String(item));
    else if (typeof item === 'string' && item.trim() !== '') names.push(item.trim());
    else return problem;
  }
  return [...new Set(names)];
}

/** The lines of a file, decoded as UTF-8 (invalid bytes become U+FFFD), read a mebibyte at a time. */
function* readLines(file: string): Generator<{ line: number; content: string }> {
  let descriptor: number;
  try {
    descriptor = openSync(file, 'r');
  } catch (error) {
    throw new LabelledDataError(file, 0, `cannot read the file: ${(error as Error).message}`);
  }
  try {
    const decoder = new StringDecoder('utf8');
    const chunk = Buffer.alloc(1 << 20);
    let pending = '';
    let line = 0;
    for (;;) {
      let bytes: number;
      try {
        bytes = readSync(descriptor, chunk, 0, chunk.length, null);
      } catch (error) {
        throw new LabelledDataError(file, 0, `cannot read the file: ${(error as Error).message}`);
      }
      pending += bytes > 0 ? decoder.write(chunk.subarray(0, bytes)) : decoder.end();
      if (line === 0 && pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        yield { line: ++line, content: pending.slice(0, newline).replace(/\r$/, '') };
        pending = pending.slice(newline + 1);
      }
      if (bytes === 0) break;
    }
    if (pending !== '') yield { line: ++line, content: pending };
  } finally {
    closeSync(descriptor);
  }
}

/**
 * A reproducible held-out split: a seeded shuffle, then the last `fraction` for testing.
 * The same file, fraction and seed always give the same split.
 */
export function splitHoldout<T>(items: readonly T[], fraction: number, seed: number): { train: T[]; test: T[] } {
  const shuffled = [...items];
  const random = seededRandom(seed);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const testSize = Math.max(1, Math.round(shuffled.length * fraction));
  return { train: shuffled.slice(0, shuffled.length - testSize), test: shuffled.slice(shuffled.length - testSize) };
}

/** Characters of a message the models read, at training as in the engine (`maxChars` of the model file). */
export const MODEL_MAX_CHARS = 20_000;

/**
 * Labelled messages as training examples: the tokens (stop words kept) of their first
 * `MODEL_MAX_CHARS` characters — what the engine will read of them — and their tags.
 */
export function toTrainingExamples(messages: readonly LabelledMessage[], onProgress?: (done: number, total: number) => void): TrainingExample[] {
  return messages.map((message, i) => {
    if (onProgress && i % 2000 === 0) onProgress(i, messages.length);
    const text = message.text.length > MODEL_MAX_CHARS ? message.text.slice(0, MODEL_MAX_CHARS) : message.text;
    return { tokens: tokenize(text, { keepStopWords: true }), labels: message.labels };
  });
}
