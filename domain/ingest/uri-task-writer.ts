import { message, translate, type Message } from '../../infra/i18n/i18n';
import type { Logger } from '../../infra/logging/logger';
import type { CrawlerTaskRepository, TaskBatchContext, TaskInsertOutcome } from '../../store/crawler-tasks';
import type { ErrorLogEntry, FailureLogEntry, IngestLogRepository, LogEntry } from '../../store/ingest-logs';
import type { IngestCounts } from '../../store/ingest-runs';
import { createSentTaskIds } from '../../store/sent-task-ids';
import { URI_RULES_VERSION } from '../uris/normalize';
import { prepareUri, type PreparedUri, type UriPolicy } from '../uris/prepare';
import { redactUserinfo } from '../uris/redact';
import { tooLong, UriRejection } from '../uris/validate';
import type { InputLine } from './line-sources';
import { emptyCounts, RECEIPT_INPUT_CHARS, type ReceiptLine } from './receipt';

export interface UriTaskWriterOptions {
  tasks: Pick<CrawlerTaskRepository, 'insertNew'>;
  logs: Pick<IngestLogRepository, 'recordErrors' | 'recordFailures'>;
  logger: Logger;
  /** What every task of this writer shares: its job, source, and the ingest or generator it belongs to. */
  tasksOf: Omit<TaskBatchContext, 'rulesVersion' | 'sent'>;
  /** Fields every error- and failure-log row of this writer carries. */
  logContext: Pick<LogEntry, 'job' | 'jobName' | 'source' | 'ingest' | 'generator' | 'workflowId'>;
  policy: UriPolicy;
  /**
   * Lines (valid or not) per database write. 1000 for every caller: the ingest benchmark measured
   * 2000 and 5000 as no faster (docs/ingest.md), and a smaller batch holds less memory and loses
   * less to one failed write.
   * @default 1000
   */
  batchSize?: number;
  /** Distinct URIs expected, roughly: sizes the filter of sent task ids (bounded either way). @default 1000000 */
  expectedUris?: number;
  /** Write an error-log row for each duplicate line (with the task it duplicates). @default true */
  logDuplicates?: boolean;
  /** Invalid lines written to the error log by this writer; later ones are only counted. @default Infinity */
  maxLoggedInvalid?: number;
  /**
   * Consecutive batches in which no URI could be saved before the writer gives up with
   * {@link UriStoreUnavailableError} (the database is gone, not one bad document).
   * @default 3
   */
  maxFailedBatches?: number;
  /** Awaited once, before the first batch is written (an ingest records its run only then). */
  beforeFirstBatch?: () => Promise<void>;
  /** Called after every batch is stored, with the counts so far. */
  onBatch?: (counts: Readonly<IngestCounts>) => void;
  /** Called with every line's outcome, in input order. */
  onLine?: (line: ReceiptLine) => void;
}

/** Thrown when {@link UriTaskWriterOptions.maxFailedBatches} batches in a row could store none of their URIs. */
export class UriStoreUnavailableError extends Error {
  override readonly name = 'UriStoreUnavailableError';
  constructor(
    /** The last line of the batch that made the writer give up. */
    readonly line: number,
    /** How many batches in a row failed. */
    readonly batches: number,
    /** Why the last URI of them failed to save. */
    readonly reason: string,
  ) {
    super(`no URI of ${batches === 1 ? 'a batch' : `${batches} batches in a row`} could be stored (up to line ${line}): ${reason}`);
  }

  /** The receipt's sentence for it ("stopped after line …"). */
  get receiptMessage(): Message {
    return message('receipt.stopped', { line: String(this.line), batches: this.batches, reason: this.reason });
  }
}

/** A line that is not a URI to store: the URI rules' verdict, or the reader's (a broken CSV row). */
type Rejection = { ok: false; code: string; reason: string; reasonMessage?: Message };
type Checked = Extract<PreparedUri, { ok: true }> | Rejection;

interface Pending {
  line: InputLine;
  checked: Checked;
  /** The line as it may be kept or shown: never with its credentials (uris/redact). */
  text: string;
}

/**
 * The one way lines become crawler tasks, for ingest (page, API, CLI) and generator runs alike:
 * each line is validated and normalized with the job's URI rules; valid ones are stored in
 * batches as new tasks (status new); invalid and duplicate ones go to the error log, failed saves
 * to the failure log, as the options say; every line's outcome goes to `onLine`, in order.
 *
 * One batch is written while the next is read and checked, and never more than one: memory
 * stays at two batches however long the input, and a slow database slows the reader (`add`
 * waits for the write before) instead of filling memory.
 *
 * De-duplication is the task's unique `_id` (store/crawler-tasks.ts), helped by a bounded filter
 * of the ids this writer sent (store/sent-task-ids.ts): the same outcomes, but on FerretDB
 * several times faster, and a repeat of a URI this writer saw stored costs no write at all —
 * which also helps a generator that prints one URI over and over.
 */
export function createUriTaskWriter(options: UriTaskWriterOptions) {
  const batchSize = options.batchSize ?? 1000;
  const maxLoggedInvalid = options.maxLoggedInvalid ?? Infinity;
  const logDuplicates = options.logDuplicates ?? true;
  const maxFailedBatches = options.maxFailedBatches ?? 3;
  const sent = createSentTaskIds(options.expectedUris ?? 1_000_000);
  const counts = emptyCounts();
  let loggedInvalid = 0;
  let logWriteFailures = 0;
  let failedInARow = 0;
  let started = false;
  let batch: Pending[] = [];
  // Never rejects: a failed write is kept in `failure` and thrown by the next add, flush or finish.
  let writing: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | null = null;

  const emit = (entry: ReceiptLine) => {
    counts[entry.outcome]++;
    options.onLine?.(entry);
  };

  async function write(lines: Pending[]): Promise<void> {
    if (!started) {
      started = true;
      await options.beforeFirstBatch?.();
    }
    const valid = lines.filter((pending): pending is Pending & { checked: { ok: true } } => pending.checked.ok);
    const outcomes: TaskInsertOutcome[] =
      valid.length === 0
        ? []
        : await options.tasks.insertNew(
            { ...options.tasksOf, rulesVersion: URI_RULES_VERSION, sent },
            valid.map(({ line, checked, text }) => ({ uri: checked.normalized, uriHash: checked.hash, original: text, line: line.line })),
          );
    const outcomeOf = new Map<Pending, TaskInsertOutcome>(valid.map((pending, index) => [pending, outcomes[index]!]));
    const errors: ErrorLogEntry[] = [];
    const failures: FailureLogEntry[] = [];
    let failedHere = 0;
    let lastFailure = 'unknown';
    for (const pending of lines) {
      const { line, checked, text } = pending;
      const input = text.slice(0, RECEIPT_INPUT_CHARS);
      const logged = { ...options.logContext, line: line.line, input: text };
      if (!checked.ok) {
        const { code, reason, reasonMessage } = checked;
        if (loggedInvalid < maxLoggedInvalid) {
          loggedInvalid++;
          errors.push({ ...logged, reasonCode: code, reason, reasonMessage: reasonMessage ?? null });
        }
        emit({ line: line.line, input, outcome: 'invalid', code, reason, ...(reasonMessage ? { reasonMessage } : {}) });
        continue;
      }
      const outcome = outcomeOf.get(pending)!;
      if (outcome.kind === 'accepted') {
        emit({ line: line.line, input, outcome: 'accepted', uri: checked.normalized, taskId: outcome.taskId.toHexString() });
      } else if (outcome.kind === 'duplicate') {
        const reasonMessage = message('receipt.duplicate', { task: outcome.taskId.toHexString() });
        const reason = translate('en', reasonMessage);
        if (logDuplicates) errors.push({ ...logged, reasonCode: 'duplicate', reason, reasonMessage, duplicateOf: outcome.taskId });
        emit({ line: line.line, input, outcome: 'duplicate', uri: checked.normalized, taskId: outcome.taskId.toHexString(), reason, reasonMessage });
      } else {
        failedHere++;
        lastFailure = outcome.reason;
        failures.push({ ...logged, reasonCode: 'save_failed', reason: outcome.reason });
        const reasonMessage = message('receipt.not_saved', { reason: outcome.reason });
        emit({ line: line.line, input, outcome: 'failed', code: 'save_failed', reason: translate('en', reasonMessage), reasonMessage });
      }
    }
    const [errorMisses, failureMisses] = await Promise.all([
      errors.length ? options.logs.recordErrors(errors) : 0,
      failures.length ? options.logs.recordFailures(failures) : 0,
    ]);
    logWriteFailures += errorMisses + failureMisses;
    if (errorMisses + failureMisses > 0) {
      options.logger.warn({ ...options.logContext, errorMisses, failureMisses }, 'could not write some error/failure log entries');
    }
    // A batch without a valid URI says nothing about the database.
    if (valid.length > 0) failedInARow = failedHere === valid.length ? failedInARow + 1 : 0;
    options.onBatch?.({ ...counts });
    if (failedInARow >= maxFailedBatches) throw new UriStoreUnavailableError(lines.at(-1)!.line.line, failedInARow, lastFailure);
  }

  function rethrow(): void {
    if (failure) throw failure.error;
  }

  /** Hands the lines added so far to a write, once the write before it is done. */
  async function flush(): Promise<void> {
    await writing;
    rethrow();
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    writing = write(lines).catch((error: unknown) => {
      failure = { error };
    });
  }

  return {
    /** Checks one line and queues it; waits only when a full batch must wait for the write before it. */
    async add(line: InputLine): Promise<void> {
      rethrow();
      counts.lines++;
      if (line.skip) {
        counts.skipped++;
        return;
      }
      batch.push({ line, checked: check(line, options.policy), text: redactUserinfo(line.text) });
      if (batch.length >= batchSize) await flush();
    },

    /** Starts writing the lines added so far without waiting for a full batch (the input may pause here). */
    flush,

    /** Writes what is left and waits for it; throws what a write threw. */
    async finish(): Promise<void> {
      await flush();
      await writing;
      rethrow();
    },

    /** Drops the lines not yet handed to a write and waits for the write in flight (without throwing its error). */
    async stop(): Promise<void> {
      batch = [];
      await writing;
    },

    /** Outcomes so far: lines read, skipped, accepted, duplicate, invalid, failed. */
    counts: (): IngestCounts => ({ ...counts }),
    /** Whether a batch was handed to the database (`beforeFirstBatch` ran). */
    started: (): boolean => started,
    /** Error- or failure-log rows that could not be written (their lines still reached `onLine`). */
    logWriteFailures: (): number => logWriteFailures,
  };
}

export type UriTaskWriter = ReturnType<typeof createUriTaskWriter>;

function check(line: InputLine, policy: UriPolicy): Checked {
  // The input itself is malformed here (a broken CSV row): logged as the reader said.
  if (line.problem) return { ok: false, ...line.problem };
  if (line.length > line.text.length) {
    // The reader cut a very long line; validate on its real length.
    const reasonMessage = tooLong(line.length);
    return { ok: false, code: UriRejection.TooLong, reason: translate('en', reasonMessage), reasonMessage };
  }
  return prepareUri(line.text, policy);
}
