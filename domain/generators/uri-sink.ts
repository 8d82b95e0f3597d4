import { format, message, type Message } from '../../infra/i18n/i18n';
import type { ObjectId } from 'mongodb';
import type { SplitLine } from '../../infra/text/lines';
import type { CrawlerTaskRepository, NewCrawlerTask } from '../../store/crawler-tasks';
import { TaskSource } from '../../store/crawler-tasks';
import { LogSource, type ErrorLogEntry, type FailureLogEntry, type IngestLogRepository } from '../../store/ingest-logs';
import { URI_RULES_VERSION } from '../uris/normalize';
import { prepareUri, type UriPolicy } from '../uris/prepare';
import { redactUserinfo } from '../uris/redact';

/** What a generator run's stdout amounted to. */
export interface UriCounts {
  /** Stored as new crawler tasks. */
  new: number;
  /** Already in the job (or printed twice): not stored again. */
  duplicate: number;
  /** Not a URI crawlflow accepts (garbage, a bad scheme, an overlong line…). */
  invalid: number;
  /** Valid and new but could not be saved (each one is in the failure log). */
  failed: number;
  /** Empty lines, skipped without counting as invalid. */
  blank: number;
}

export interface UriSinkOptions {
  tasks: Pick<CrawlerTaskRepository, 'insertNew'>;
  logs: Pick<IngestLogRepository, 'recordErrors' | 'recordFailures'>;
  job: ObjectId;
  generator: ObjectId;
  policy: UriPolicy;
  workflowId: string | null;
  /** Invalid lines written to the error log per run (the rest are only counted). @default 100 */
  maxErrorSamples?: number;
  /** URIs per insertMany. @default 2000 */
  batchSize?: number;
}

/** Thrown when a whole batch failed to save: the store is unreachable, so the run should be retried. */
export class UriStoreUnavailableError extends Error {
  override readonly name = 'UriStoreUnavailableError';
}

/**
 * Turns a generator script's stdout lines into crawler tasks, as the lines arrive: each line is
 * validated and normalized with the job's URI rules, stored in batches as a new task linked to
 * the generator, and de-duplicated against the whole job by the task's unique `_id` — which is
 * also why a rerun of the same script after a crash stores nothing twice.
 */
export function createUriSink(options: UriSinkOptions) {
  const maxErrorSamples = options.maxErrorSamples ?? 100;
  const batchSize = options.batchSize ?? 2000;
  const counts: UriCounts = { new: 0, duplicate: 0, invalid: 0, failed: 0, blank: 0 };
  let lineNumber = 0;
  let sampled = 0;
  const common = { job: options.job, generator: options.generator, source: LogSource.Generator, workflowId: options.workflowId };

  const invalid = (errors: ErrorLogEntry[], line: number, input: string, reasonCode: string, reasonMessage: Message) => {
    counts.invalid += 1;
    if (sampled >= maxErrorSamples) return;
    sampled += 1;
    errors.push({ ...common, line, input: redactUserinfo(input), reasonCode, reason: format('en', reasonMessage.key, reasonMessage.params), reasonMessage });
  };

  async function store(batch: NewCrawlerTask[]): Promise<void> {
    const outcomes = await options.tasks.insertNew({ job: options.job, generator: options.generator, source: TaskSource.Generator, rulesVersion: URI_RULES_VERSION }, batch);
    const failures: FailureLogEntry[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.kind === 'accepted') counts.new += 1;
      else if (outcome.kind === 'duplicate') counts.duplicate += 1;
      else failures.push({ ...common, line: batch[index]!.line, input: batch[index]!.original, reasonCode: 'save_failed', reason: outcome.reason });
    });
    if (failures.length > 0 && failures.length === batch.length) {
      throw new UriStoreUnavailableError(`could not store any of ${batch.length} URIs: ${failures[0]!.reason}`);
    }
    counts.failed += failures.length;
    if (failures.length > 0) await options.logs.recordFailures(failures);
  }

  return {
    counts: (): Readonly<UriCounts> => ({ ...counts }),

    /** Validates, normalizes and stores one batch of stdout lines. */
    async accept(lines: readonly SplitLine[]): Promise<void> {
      const errors: ErrorLogEntry[] = [];
      let batch: NewCrawlerTask[] = [];
      for (const line of lines) {
        lineNumber += 1;
        if (line.kind === 'overlong') {
          invalid(errors, lineNumber, line.head, 'too_long', message('receipt.overlong_line', { length: String(line.length), kept: String(line.head.length) }));
          continue;
        }
        if (line.text.trim() === '') {
          counts.blank += 1;
          continue;
        }
        const prepared = prepareUri(line.text, options.policy);
        if (!prepared.ok) {
          invalid(errors, lineNumber, line.text, prepared.code, prepared.reasonMessage);
          continue;
        }
        batch.push({ uri: prepared.normalized, uriHash: prepared.hash, original: redactUserinfo(line.text), line: lineNumber });
        if (batch.length >= batchSize) {
          await store(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await store(batch);
      if (errors.length > 0) await options.logs.recordErrors(errors);
    },
  };
}

export type UriSink = ReturnType<typeof createUriSink>;
