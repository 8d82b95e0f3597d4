import { FailureStep } from '../../common/pipeline';
import { previewBytes } from '../../domain/pipeline/byte-preview';
import type { FailedMessageDocument, Replay } from '../../store/failed-messages';
import { RunLogStatus } from '../../store/seed-fields';
import type { UriFetch } from '../../store/uri-logs';
import type { TemporalLinks } from './links';

/** JSON shapes of failed messages, dead letters and a crawler task's story (ids hex, dates ISO). */

export function replayView(replay: Replay, links: TemporalLinks) {
  return {
    at: replay.at.toISOString(),
    workflowId: replay.workflowId,
    runId: replay.runId ?? null,
    /** Absent while the replayed run has not ended. */
    outcome: replay.outcome ?? null,
    error: replay.error ?? null,
    links: { run: links.run(replay.workflowId, replay.runId) },
  };
}

export function failureView(record: FailedMessageDocument, links: TemporalLinks, jobNames: ReadonlyMap<string, string>) {
  const summary = record.envelope?.summary;
  const job = summary?.job ?? null;
  // Batch mode: the message had no run of its own; its window's run is the one that failed.
  const runWorkflowId = record.batchWorkflowId ?? record.workflowId;
  return {
    id: record._id.toHexString(),
    workflowId: record.workflowId,
    runId: record.runId ?? null,
    step: record.step,
    errorType: record.errorType,
    error: record.error,
    status: record.status,
    failedAt: record.failedAt.toISOString(),
    summary: summary
      ? {
          messageId: summary.messageId ?? null,
          type: summary.type ?? null,
          url: summary.url ?? null,
          taskId: summary.taskId ?? null,
          source: summary.source,
        }
      : null,
    job,
    jobName: job ? (jobNames.get(job) ?? null) : null,
    replayable: record.status === 'failed' && record.step !== FailureStep.Bridge && record.envelope !== undefined,
    replayOf: record.replayOf?.toHexString() ?? null,
    replays: record.replays.map((replay) => replayView(replay, links)),
    links: {
      run: links.run(runWorkflowId, record.runId),
      ...(summary?.taskId ? { task: links.task(summary.taskId) } : {}),
    },
  };
}

/** A dead-lettered record: why, where it was read, and its bytes as escaped text and hex — never markup. */
export function deadLetterView(record: FailedMessageDocument, links: TemporalLinks) {
  const raw = record.raw;
  const bytes = raw ? Buffer.from(raw.base64, 'base64') : Buffer.alloc(0);
  return {
    id: record._id.toHexString(),
    reason: record.errorType,
    detail: record.error,
    failedAt: record.failedAt.toISOString(),
    source: raw ? { topic: raw.topic, partition: raw.partition, offset: raw.offset } : null,
    bytes: raw?.bytes ?? 0,
    kept: bytes.length,
    truncated: raw?.truncated ?? false,
    preview: previewBytes(bytes),
    workflowId: record.workflowId,
    links: { run: links.run(record.workflowId) },
  };
}

export function uriFetchView(fetch: UriFetch, links: TemporalLinks) {
  return {
    id: fetch.id.toHexString(),
    uri: fetch.uri,
    status: fetch.status === RunLogStatus.Succeeded ? 'succeeded' : fetch.status === RunLogStatus.Failed ? 'failed' : 'unset',
    failedReason: fetch.failedReason,
    contentBytes: fetch.contentBytes,
    spendMsecs: fetch.spendMsecs,
    hostname: fetch.hostname,
    addedAt: fetch.addedAt.toISOString(),
    links: { run: fetch.workflowId ? links.run(fetch.workflowId, fetch.runId) : null },
  };
}
