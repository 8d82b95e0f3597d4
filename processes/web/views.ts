import { translate, type Locale } from '../../infra/i18n/i18n';
import type { IngestReceipt, ReceiptLine } from '../../domain/ingest/receipt';
import type { CrawlerTask, CrawlerTaskStatus } from '../../store/crawler-tasks';
import { CRAWLER_TASK_STATUS_NAMES } from '../../store/crawler-tasks';
import { GeneratorLogStatus, type GeneratorRun } from '../../store/generator-logs';
import { GENERATOR_STATUS_NAMES, type Generator } from '../../store/generators';
import type { ErrorLogDocument, FailureLogDocument } from '../../store/ingest-logs';
import type { IngestRunDocument } from '../../store/ingest-runs';
import { JobStatus, type Job } from '../../store/jobs';
import type { TemporalLinks } from './links';

/** JSON shapes of the HTTP API: ids as hex strings, dates as ISO strings, Temporal links beside. */

export function jobView(job: Job, links: TemporalLinks, taskCounts?: Record<CrawlerTaskStatus, number>) {
  const id = job.id.toHexString();
  return {
    id,
    name: job.name,
    info: job.info,
    customer: job.customer,
    status: job.status === JobStatus.On ? 'on' : 'off',
    addedAt: job.addedAt.toISOString(),
    uriRules: job.uriRules,
    ...(taskCounts ? { tasks: statusCounts(taskCounts) } : {}),
    links: { runs: links.job(id), failedRuns: links.jobFailures(id) },
  };
}

export function statusCounts(counts: Record<CrawlerTaskStatus, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([status, count]) => [CRAWLER_TASK_STATUS_NAMES[Number(status) as CrawlerTaskStatus], count]));
}

export function taskView(task: CrawlerTask, links: TemporalLinks) {
  const id = task.id.toHexString();
  return {
    id,
    uri: task.uri,
    status: CRAWLER_TASK_STATUS_NAMES[task.status] ?? String(task.status),
    statusCode: task.status,
    generator: task.generator?.toHexString() ?? null,
    addedAt: task.addedAt.toISOString(),
    store: task.store,
    links: { run: links.task(id) },
  };
}

export function generatorView(generator: Generator, links: TemporalLinks, options: { code?: boolean } = {}) {
  const id = generator.id.toHexString();
  return {
    id,
    job: generator.job.toHexString(),
    name: generator.name,
    language: generator.language,
    cron: generator.cron,
    priority: generator.priority,
    status: GENERATOR_STATUS_NAMES[generator.status] ?? String(generator.status),
    statusCode: generator.status,
    timeoutSeconds: generator.timeoutSeconds,
    networkAllowed: generator.networkAllowed,
    filename: generator.filename,
    addedAt: generator.addedAt.toISOString(),
    codeBytes: Buffer.byteLength(generator.code),
    ...(options.code ? { code: generator.code } : {}),
    links: { runs: links.generator(id) },
  };
}

export function runView(run: GeneratorRun, links: TemporalLinks) {
  return {
    id: run.id.toHexString(),
    generator: run.generator.toHexString(),
    status: run.status === GeneratorLogStatus.Succeeded ? 'succeeded' : run.status === GeneratorLogStatus.Failed ? 'failed' : 'unknown',
    failedReason: run.failedReason,
    contentBytes: run.contentBytes,
    spendMsecs: run.spendMsecs,
    hostname: run.hostname,
    addedAt: run.addedAt.toISOString(),
    urisNew: run.urisNew,
    urisDuplicate: run.urisDuplicate,
    urisInvalid: run.urisInvalid,
    links: { run: run.workflowId ? links.run(run.workflowId, run.runId) : links.generator(run.generator.toHexString()) },
  };
}

/** `locale`: the reader's; the reason is said in it when the entry has a reason message, `reasonMessage` beside for the page. */
export function logEntryView(entry: ErrorLogDocument | FailureLogDocument, links: TemporalLinks, locale: Locale = 'en') {
  return {
    id: entry._id.toHexString(),
    job: entry.job?.toHexString() ?? null,
    jobName: entry.job_name,
    source: entry.source,
    ingest: entry.ingest?.toHexString() ?? null,
    generator: entry.task_generator?.toHexString() ?? null,
    line: entry.line,
    input: entry.input.slice(0, 2000),
    inputLength: entry.input_length,
    reasonCode: entry.reason_code,
    reason: entry.reason_message ? translate(locale, entry.reason_message) : entry.reason,
    reasonMessage: entry.reason_message ?? null,
    duplicateOf: 'duplicate_of' in entry ? (entry.duplicate_of?.toHexString() ?? null) : null,
    addedAt: entry.add_datetime.toISOString(),
    links: {
      run: entry.workflow_id
        ? links.run(entry.workflow_id)
        : entry.task_generator
          ? links.generator(entry.task_generator.toHexString())
          : entry.job
            ? links.job(entry.job.toHexString())
            : null,
      ...('duplicate_of' in entry && entry.duplicate_of ? { duplicateOf: links.task(entry.duplicate_of.toHexString()) } : {}),
    },
  };
}

export function ingestRunView(run: IngestRunDocument, links: TemporalLinks) {
  return {
    id: run._id.toHexString(),
    job: run.job.toHexString(),
    jobName: run.job_name,
    source: run.source,
    filename: run.filename,
    format: run.format,
    encoding: run.encoding,
    bytes: run.bytes,
    status: run.status,
    counts: run.counts,
    error: run.error,
    startedAt: run.start_datetime.toISOString(),
    finishedAt: run.finish_datetime?.toISOString() ?? null,
    links: { runs: links.job(run.job.toHexString()) },
  };
}

/** A receipt line with its reason (and a rules change's note) in the reader's locale; the messages stay beside for the page. */
export function receiptLineView<T extends ReceiptLine>(line: T, locale: Locale): T {
  const reason = line.reasonMessage ? { reason: translate(locale, line.reasonMessage) } : {};
  const rulesChange = line.rulesChange ? { rulesChange: { ...line.rulesChange, note: translate(locale, line.rulesChange.noteMessage) } } : {};
  return { ...line, ...reason, ...rulesChange };
}

/** A receipt in the reader's locale (its lines' reasons, why it stopped). */
export function receiptView(receipt: IngestReceipt, locale: Locale): IngestReceipt {
  return {
    ...receipt,
    error: receipt.errorMessage ? translate(locale, receipt.errorMessage) : receipt.error,
    lines: receipt.lines.map((line) => receiptLineView(line, locale)),
  };
}
