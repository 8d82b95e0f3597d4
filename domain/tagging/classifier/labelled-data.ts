import { readFileSync } from 'node:fs';
import { readPath } from '../text/prepare-message';
import { seededRandom } from '../text/seeded-random';
import type { TrainingExample } from './naive-bayes';
import { tokenSet } from './tokenize';

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
    super(`${file}:${line}: ${problem}`);
  }
}

/**
 * Reads labelled messages, one JSON object a line: the message's fields (the text in
 * `fields`, e.g. `text` and `content`) and its tags in `tags` (or `labels`), an array of
 * strings — empty for a message that has none of the tags. Blank lines are skipped.
 */
export function readLabelledFile(file: string, fields: readonly string[]): LabelledMessage[] {
  const messages: LabelledMessage[] = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((content, i) => {
      const line = i + 1;
      if (content.trim() === '') return;
      let record: unknown;
      try {
        record = JSON.parse(content);
      } catch (error) {
        throw new LabelledDataError(file, line, `not JSON: ${(error as Error).message}`);
      }
      if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new LabelledDataError(file, line, 'not a JSON object');
      const labels = (record as Record<string, unknown>).tags ?? (record as Record<string, unknown>).labels;
      if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string' && label.trim() !== '')) {
        throw new LabelledDataError(file, line, '"tags" must be an array of tag names (empty for none)');
      }
      const text = fields
        .map((field) => readPath(record, field))
        .filter((value): value is string => typeof value === 'string' && value !== '')
        .join('\n');
      messages.push({ text, labels: labels.map((label: string) => label.trim()), line });
    });
  if (messages.length === 0) throw new LabelledDataError(file, 0, 'holds no labelled messages');
  return messages;
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

/** Labelled messages as training examples: their distinct tokens and their tags. */
export function toTrainingExamples(messages: readonly LabelledMessage[]): TrainingExample[] {
  return messages.map((message) => ({ tokens: tokenSet(message.text), labels: message.labels }));
}
