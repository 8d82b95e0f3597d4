import type { ObjectId } from 'mongodb';
import type { SplitLine } from '../../infra/text/lines';
import { crawlerTaskId, type CrawlerTaskRepository } from '../../store/crawler-tasks';
import { prepareUri, type UriPolicy } from '../uris/prepare';
import { redactUserinfo } from '../uris/redact';

/** What one printed line of a test run would become. */
export const TestLineOutcome = {
  /** Valid, and not yet a task of the job: a real run would store it. */
  New: 'new',
  /** Valid, but the job has it already (or the script printed it earlier in this run). */
  Duplicate: 'duplicate',
  /** Not a URI crawlflow accepts: a real run would count it invalid. */
  Invalid: 'invalid',
} as const;
export type TestLineOutcome = (typeof TestLineOutcome)[keyof typeof TestLineOutcome];

export interface TestLine {
  /** Line number in stdout (blank lines count). */
  line: number;
  /** The line as printed (user:password in a URI masked), cut at {@link MAX_TEST_LINE_CHARS}. */
  text: string;
  /** Characters of the whole line, when `text` was cut. */
  length?: number;
  outcome: TestLineOutcome;
  /** The normalized URI a real run would store (valid lines). */
  uri?: string;
  /** Why it is invalid, or what it duplicates. */
  reason?: string;
  /** The rule a rejected line broke (`too_long`, `scheme`, …). */
  code?: string;
  /** The stored task it duplicates. */
  taskId?: string;
  /** The earlier line it repeats. */
  firstLine?: number;
}

export interface TestLineCounts {
  /** Non-blank lines printed. */
  printed: number;
  new: number;
  duplicate: number;
  invalid: number;
  blank: number;
}

/** Lines kept in a test report: the report goes into Temporal history (2 MiB limit). */
export const MAX_TEST_LINES = 500;
export const MAX_TEST_LINE_CHARS = 500;

export interface TestLineCheckerOptions {
  tasks: Pick<CrawlerTaskRepository, 'existingIds'>;
  job: ObjectId;
  policy: UriPolicy;
  /** @default MAX_TEST_LINES */
  maxLines?: number;
}

/**
 * Judges a test run's stdout the way a real run would — the same validation, normalization and
 * task id — but stores nothing: a line is new when no task of the job has its id (one `_id`
 * `$in` read per batch) and the script did not print it earlier. Every line is counted; the
 * first `maxLines` non-blank ones are kept with their outcome.
 */
export function createTestLineChecker(options: TestLineCheckerOptions) {
  const maxLines = options.maxLines ?? MAX_TEST_LINES;
  const counts: TestLineCounts = { printed: 0, new: 0, duplicate: 0, invalid: 0, blank: 0 };
  const lines: TestLine[] = [];
  /** Task id → first line that printed it. */
  const seen = new Map<string, number>();
  let lineNumber = 0;

  const keep = (line: TestLine) => {
    if (lines.length < maxLines) lines.push(line);
  };
  const cut = (text: string, length = text.length) => {
    const shown = redactUserinfo(text.slice(0, MAX_TEST_LINE_CHARS));
    return length > MAX_TEST_LINE_CHARS ? { text: shown, length } : { text: shown };
  };

  return {
    counts: (): Readonly<TestLineCounts> => ({ ...counts }),
    lines: (): readonly TestLine[] => lines,

    async accept(batch: readonly SplitLine[]): Promise<void> {
      // In printed order; a valid line's outcome waits for the one lookup of the batch.
      const judged: Array<TestLine | { line: TestLine; id: ObjectId }> = [];
      for (const printed of batch) {
        lineNumber += 1;
        if (printed.kind === 'overlong') {
          counts.printed += 1;
          counts.invalid += 1;
          judged.push({
            line: lineNumber,
            ...cut(printed.head, printed.length),
            outcome: TestLineOutcome.Invalid,
            code: 'too_long',
            reason: `a line of ${printed.length} characters`,
          });
          continue;
        }
        if (printed.text.trim() === '') {
          counts.blank += 1;
          continue;
        }
        counts.printed += 1;
        const prepared = prepareUri(printed.text, options.policy);
        if (!prepared.ok) {
          counts.invalid += 1;
          judged.push({ line: lineNumber, ...cut(printed.text), outcome: TestLineOutcome.Invalid, code: prepared.code, reason: prepared.reason });
          continue;
        }
        judged.push({
          line: { line: lineNumber, ...cut(printed.text), outcome: TestLineOutcome.New, uri: prepared.normalized.slice(0, MAX_TEST_LINE_CHARS) },
          id: crawlerTaskId(options.job, prepared.hash),
        });
      }
      const lookup = new Map<string, ObjectId>();
      for (const entry of judged) if ('id' in entry && !seen.has(entry.id.toHexString())) lookup.set(entry.id.toHexString(), entry.id);
      const stored = await options.tasks.existingIds([...lookup.values()]);
      for (const entry of judged) {
        if (!('id' in entry)) {
          keep(entry);
          continue;
        }
        const { line, id } = entry;
        const key = id.toHexString();
        const first = seen.get(key);
        if (first !== undefined) {
          counts.duplicate += 1;
          keep({ ...line, outcome: TestLineOutcome.Duplicate, firstLine: first, reason: `printed already on line ${first}` });
          continue;
        }
        seen.set(key, line.line);
        if (stored.has(key)) {
          counts.duplicate += 1;
          keep({ ...line, outcome: TestLineOutcome.Duplicate, taskId: key, reason: 'the job has this URI already' });
        } else {
          counts.new += 1;
          keep(line);
        }
      }
    },
  };
}

export type TestLineChecker = ReturnType<typeof createTestLineChecker>;
