import { ObjectId } from 'mongodb';
import { format, message, type Message } from '../../infra/i18n/i18n';
import type { Logger } from '../../infra/logging/logger';
import type { TaskInsertOutcome } from '../../store/crawler-tasks';
import type { ErrorLogEntry, FailureLogEntry, LogSource } from '../../store/ingest-logs';
import type { IngestCounts } from '../../store/ingest-runs';
import type { Job } from '../../store/jobs';
import { createSentTaskIds } from '../../store/sent-task-ids';
import type { Store } from '../../store/store';
import { prepareUri, type UriPolicy } from '../uris/prepare';
import { URI_RULES_VERSION } from '../uris/normalize';
import { redactUserinfo } from '../uris/redact';
import { tooLong, UriRejection } from '../uris/validate';
import { IngestInputError, InputProblem } from './errors';
import type { InputLine, LineSource } from './line-sources';
import { emptyCounts, RECEIPT_INPUT_CHARS, type IngestProgress, type IngestReceipt, type ReceiptLine } from './receipt';
import { metrics } from '../../infra/metrics/metrics';

export interface IngestLinesOptions {
  job: Job;
  source: LogSource & ('manual' | 'file' | 'config');
  input: LineSource;
  policy: UriPolicy;
  filename?: string | null;
  format: IngestReceipt['format'];
  encoding?: string | null;
  /** URIs per database write. @default 1000 */
  batchSize?: number;
  /** Lines the receipt itself carries; the rest are in the logs. @default 1000 */
  maxReceiptLines?: number;
  /** Called after every batch is stored. */
  onProgress?: (progress: IngestProgress) => void;
  /** Called with every line's outcome, in order (the CLI writes a full receipt file with it). */
  onLine?: (line: ReceiptLine) => void;
}

/** Consecutive batches that fail as a whole before an ingest stops (the database is down). */
const MAX_FAILED_BATCHES = 3;

interface Pending {
  line: InputLine;
  prepared: ReturnType<typeof prepareUri> | null;
}

/**
 * The seed's data_preprocess for URIs: each line is validated, normalized and de-duplicated;
 * new URIs are stored as crawler tasks (status new) in bulk; invalid and duplicate ones go to
 * the error log, failed saves to the failure log; the caller gets one receipt. Streams: memory
 * stays flat however long the input. While one batch is written the next is read and checked.
 *
 * @throws {IngestInputError} when the input is outside the rules before anything was stored
 *   (e.g. a CSV column that does not exist, a file that turns out to hold no URI at all).
 */
export async function ingestLines(store: Store, logger: Logger, options: IngestLinesOptions): Promise<IngestReceipt> {
  const ingestId = new ObjectId();
  const { job, policy } = options;
  const batchSize = options.batchSize ?? 1000;
  const maxReceiptLines = options.maxReceiptLines ?? 1000;
  const counts: IngestCounts = emptyCounts();
  const receiptLines: ReceiptLine[] = [];
  let linesTruncated = false;
  let logWriteFailures = 0;
  let started = false;
  let failedBatches = 0;
  let stoppedBecause: string | null = null;
  let stoppedMessage: Message | null = null;
  const startedAt = new Date();
  const logContext = { job: job.id, jobName: job.name, source: options.source, ingest: ingestId };
  // Keeps repeats of earlier lines out of the big insert (FerretDB's fast path); memory bounded.
  const sent = createSentTaskIds(expectedUris(options.input));

  const emit = (entry: ReceiptLine) => {
    counts[entry.outcome]++;
    metrics.urisIngested.inc({ outcome: entry.outcome });
    if (receiptLines.length < maxReceiptLines) receiptLines.push(entry);
    else linesTruncated = true;
    options.onLine?.(entry);
  };

  async function flush(batch: Pending[]): Promise<void> {
    if (batch.length === 0) return;
    if (!started) {
      started = true;
      await store.ingestRuns.start({
        _id: ingestId,
        job: job.id,
        job_name: job.name,
        source: options.source,
        filename: options.filename ?? null,
        format: options.format,
        encoding: options.encoding ?? null,
        bytes: 0,
        rules_version: URI_RULES_VERSION,
        status: 'running',
        counts,
        error: null,
        start_datetime: startedAt,
        finish_datetime: null,
      });
    }
    const valid = batch.filter((pending) => pending.prepared?.ok === true);
    const outcomes: TaskInsertOutcome[] = await store.tasks.insertNew(
      { job: job.id, source: options.source, rulesVersion: URI_RULES_VERSION, ingest: ingestId, sent },
      valid.map(({ line, prepared }) => {
        const ok = prepared as Extract<ReturnType<typeof prepareUri>, { ok: true }>;
        return { uri: ok.normalized, uriHash: ok.hash, original: redactUserinfo(line.text), line: line.line };
      }),
    );
    const outcomeOf = new Map<Pending, TaskInsertOutcome>(valid.map((pending, index) => [pending, outcomes[index]!]));
    const errors: ErrorLogEntry[] = [];
    const failures: FailureLogEntry[] = [];
    let failedHere = 0;
    for (const pending of batch) {
      const { line, prepared } = pending;
      // What is kept or shown of an input never carries its credentials (uris/redact).
      const text = redactUserinfo(line.text);
      const input = text.slice(0, RECEIPT_INPUT_CHARS);
      if (prepared === null || !prepared.ok) {
        const { code, reason, reasonMessage } = prepared === null ? line.problem! : prepared;
        errors.push({ ...logContext, line: line.line, input: text, reasonCode: code, reason, reasonMessage: reasonMessage ?? null });
        emit({ line: line.line, input, outcome: 'invalid', code, reason, ...(reasonMessage ? { reasonMessage } : {}) });
        continue;
      }
      const outcome = outcomeOf.get(pending)!;
      if (outcome.kind === 'accepted') {
        emit({ line: line.line, input, outcome: 'accepted', uri: prepared.normalized, taskId: outcome.taskId.toHexString() });
      } else if (outcome.kind === 'duplicate') {
        const reasonMessage = message('receipt.duplicate', { task: outcome.taskId.toHexString() });
        const reason = format('en', reasonMessage.key, reasonMessage.params);
        errors.push({ ...logContext, line: line.line, input: text, reasonCode: 'duplicate', reason, reasonMessage, duplicateOf: outcome.taskId });
        emit({ line: line.line, input, outcome: 'duplicate', uri: prepared.normalized, taskId: outcome.taskId.toHexString(), reason, reasonMessage });
      } else {
        failedHere++;
        failures.push({ ...logContext, line: line.line, input: text, reasonCode: 'save_failed', reason: outcome.reason });
        const reasonMessage = message('receipt.not_saved', { reason: outcome.reason });
        emit({ line: line.line, input, outcome: 'failed', code: 'save_failed', reason: format('en', reasonMessage.key, reasonMessage.params), reasonMessage });
      }
    }
    const [errorMisses, failureMisses] = await Promise.all([
      errors.length ? store.logs.recordErrors(errors) : 0,
      failures.length ? store.logs.recordFailures(failures) : 0,
    ]);
    logWriteFailures += errorMisses + failureMisses;
    if (errorMisses + failureMisses > 0) {
      logger.warn({ ingest: ingestId.toHexString(), errorMisses, failureMisses }, 'could not write some error/failure log entries');
    }
    failedBatches = valid.length > 0 && failedHere === valid.length ? failedBatches + 1 : 0;
    if (failedBatches >= MAX_FAILED_BATCHES) {
      const last = outcomes.find((outcome) => outcome.kind === 'failed');
      stoppedMessage = message('receipt.stopped', { line: String(batch.at(-1)!.line.line), batches: MAX_FAILED_BATCHES, reason: last?.kind === 'failed' ? last.reason : 'unknown' });
      stoppedBecause = format('en', stoppedMessage.key, stoppedMessage.params);
    }
    options.onProgress?.({ bytesRead: options.input.bytesRead(), totalBytes: options.input.totalBytes, counts: { ...counts } });
  }

  let batch: Pending[] = [];
  let writing: Promise<void> = Promise.resolve();
  let finalError: string | null = null;
  try {
    for await (const line of options.input.lines) {
      counts.lines++;
      if (line.skip) {
        counts.skipped++;
        continue;
      }
      batch.push({ line, prepared: line.problem ? null : prepareLine(line, policy) });
      if (batch.length >= batchSize) {
        // One write in flight while the next batch is read and checked.
        await writing;
        if (stoppedBecause) break;
        const full = batch;
        batch = [];
        writing = flush(full);
      }
    }
    await writing;
    if (!stoppedBecause) await flush(batch);
  } catch (error) {
    await writing.catch(() => undefined);
    if (error instanceof IngestInputError && !started) throw error;
    finalError = error instanceof Error ? error.message : String(error);
    logger.error({ ingest: ingestId.toHexString(), err: error }, 'ingest stopped');
  }
  finalError ??= stoppedBecause;

  if (!started) {
    if (finalError === null) throw new IngestInputError(InputProblem.Empty, message('errors.only_blank_lines'));
    throw new Error(finalError);
  }
  const status = finalError === null ? 'done' : 'failed';
  const bytes = options.input.bytesRead();
  await store.ingestRuns.finish(ingestId, { status, counts, bytes, error: finalError }).catch((error: unknown) => {
    logger.warn({ ingest: ingestId.toHexString(), err: error }, 'could not record the end of the ingest run');
  });
  return {
    ingestId: ingestId.toHexString(),
    job: { id: job.id.toHexString(), name: job.name },
    source: options.source,
    filename: options.filename ?? null,
    format: options.format,
    encoding: options.encoding ?? null,
    bytes,
    rulesVersion: URI_RULES_VERSION,
    status,
    error: finalError,
    errorMessage: finalError !== null && finalError === stoppedBecause ? stoppedMessage : null,
    counts,
    lines: receiptLines,
    linesTruncated,
    logWriteFailures,
  };
}

function prepareLine(line: InputLine, policy: UriPolicy): ReturnType<typeof prepareUri> {
  if (line.length > line.text.length) {
    // The reader cut a very long line; validate on its real length.
    const reasonMessage = tooLong(line.length);
    return { ok: false, original: line.text, code: UriRejection.TooLong, reason: format('en', reasonMessage.key, reasonMessage.params), reasonMessage };
  }
  return prepareUri(line.text, policy);
}

/** Roughly how many URIs an input holds, to size the filter of sent ids (a URI line is rarely under 40 bytes). */
function expectedUris(input: LineSource): number {
  return input.totalBytes === null ? 1_000_000 : Math.ceil(input.totalBytes / 40);
}
