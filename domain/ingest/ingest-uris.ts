import { ObjectId } from 'mongodb';
import { message, translate, type Message } from '../../infra/i18n/i18n';
import type { Logger } from '../../infra/logging/logger';
import { metrics } from '../../infra/metrics/metrics';
import type { LogSource } from '../../store/ingest-logs';
import type { Job } from '../../store/jobs';
import type { Store } from '../../store/store';
import { URI_RULES_VERSION } from '../uris/normalize';
import type { UriPolicy } from '../uris/prepare';
import { IngestInputError, InputProblem } from './errors';
import type { LineSource } from './line-sources';
import type { IngestProgress, IngestReceipt, ReceiptLine } from './receipt';
import { createUriTaskWriter, UriStoreUnavailableError } from './uri-task-writer';

export interface IngestLinesOptions {
  job: Job;
  source: LogSource & ('manual' | 'file' | 'config');
  input: LineSource;
  policy: UriPolicy;
  filename?: string | null;
  format: IngestReceipt['format'];
  encoding?: string | null;
  /** Lines per database write. @default 1000 (the writer's) */
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

/**
 * The seed's data_preprocess for URIs: the lines go through the one task writer
 * (uri-task-writer.ts), and the caller gets one receipt. Every invalid and duplicate line is in
 * the error log (the full receipt is rebuilt from the logs), and a database that fails three
 * batches in a row ends the ingest with a receipt saying so: nobody retries an upload for the
 * user, so a short outage is ridden out and what could be stored is kept.
 *
 * @throws {IngestInputError} when the input is outside the rules before anything was stored
 *   (e.g. a CSV column that does not exist, a file that turns out to hold no URI at all).
 */
export async function ingestLines(store: Store, logger: Logger, options: IngestLinesOptions): Promise<IngestReceipt> {
  const ingestId = new ObjectId();
  const { job } = options;
  const maxReceiptLines = options.maxReceiptLines ?? 1000;
  const receiptLines: ReceiptLine[] = [];
  let linesTruncated = false;
  const startedAt = new Date();
  const writer = createUriTaskWriter({
    tasks: store.tasks,
    logs: store.logs,
    logger,
    tasksOf: { job: job.id, source: options.source, ingest: ingestId },
    logContext: { job: job.id, jobName: job.name, source: options.source, ingest: ingestId },
    policy: options.policy,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    expectedUris: expectedUris(options.input),
    maxFailedBatches: MAX_FAILED_BATCHES,
    beforeFirstBatch: () =>
      store.ingestRuns.start({
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
        counts: writer.counts(),
        error: null,
        start_datetime: startedAt,
        finish_datetime: null,
      }),
    onBatch: (counts) => options.onProgress?.({ bytesRead: options.input.bytesRead(), totalBytes: options.input.totalBytes, counts }),
    onLine: (entry) => {
      metrics.urisIngested.inc({ outcome: entry.outcome });
      if (receiptLines.length < maxReceiptLines) receiptLines.push(entry);
      else linesTruncated = true;
      options.onLine?.(entry);
    },
  });

  let finalError: string | null = null;
  let errorMessage: Message | null = null;
  try {
    for await (const line of options.input.lines) await writer.add(line);
    await writer.finish();
  } catch (error) {
    await writer.stop();
    if (error instanceof IngestInputError && !writer.started()) throw error;
    if (error instanceof UriStoreUnavailableError) {
      errorMessage = error.receiptMessage;
      finalError = translate('en', errorMessage);
    } else {
      finalError = error instanceof Error ? error.message : String(error);
    }
    logger.error({ ingest: ingestId.toHexString(), err: error }, 'ingest stopped');
  }

  if (!writer.started()) {
    if (finalError === null) throw new IngestInputError(InputProblem.Empty, message('errors.only_blank_lines'));
    throw new Error(finalError);
  }
  const status = finalError === null ? 'done' : 'failed';
  const bytes = options.input.bytesRead();
  const counts = writer.counts();
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
    errorMessage,
    counts,
    lines: receiptLines,
    linesTruncated,
    logWriteFailures: writer.logWriteFailures(),
  };
}

/** Roughly how many URIs an input holds, to size the filter of sent ids (a URI line is rarely under 40 bytes). */
function expectedUris(input: LineSource): number {
  return input.totalBytes === null ? 1_000_000 : Math.ceil(input.totalBytes / 40);
}
