import type { ObjectId } from 'mongodb';
import { FailureStep } from '../../common/pipeline';
import type { FailedMessageRepository } from '../../store/failed-messages';
import { CRAWLER_TASK_STATUS_NAMES, CrawlerTaskStatus } from '../../store/crawler-tasks';
import { RunLogStatus } from '../../store/seed-fields';
import type { Store } from '../../store/store';
import { failureView, uriFetchView } from './failure-views';
import type { TemporalLinks } from './links';
import { taskView } from './views';

/** The message workflow id of a crawler task: the feeder sends the task id as the message id. */
export function taskWorkflowId(task: ObjectId): string {
  return `msg-${task.toHexString()}`;
}

export interface TaskStoryEvent {
  at: string;
  /** The seed's status the task moved to, when the event moved it. */
  status: string | null;
  event: 'stored' | 'fetched' | 'fetch_failed' | 'failed' | 'replayed';
  detail: string | null;
  links: { run: string | null };
}

const STATUS_AFTER_STEP: Partial<Record<FailureStep, CrawlerTaskStatus>> = {
  [FailureStep.Fetch]: CrawlerTaskStatus.DownloadFailed,
  [FailureStep.Tag]: CrawlerTaskStatus.AnalysisFailed,
};

/**
 * A crawler task's story, from what the pipeline already writes (no history collection, so no
 * extra write per step): when and how it was stored, each fetch (URI-log rows), each failure
 * recorded for its message workflow and every replay of those with its outcome, newest last.
 */
export async function buildTaskStory(deps: { store: Store; failedMessages: FailedMessageRepository; links: TemporalLinks }, id: ObjectId) {
  const { store, failedMessages, links } = deps;
  const task = await store.tasks.get(id);
  if (!task) return null;
  const workflowId = taskWorkflowId(id);
  const [source, fetches, failures, job] = await Promise.all([
    store.tasks.source(id),
    store.uriLogs.list({ task: id, limit: 100 }),
    failedMessages.byWorkflowId(workflowId),
    store.jobs.get(task.job),
  ]);
  const names = new Map(job ? [[job.id.toHexString(), job.name]] : []);
  const events: TaskStoryEvent[] = [];
  const statusName = (status: CrawlerTaskStatus) => CRAWLER_TASK_STATUS_NAMES[status];
  events.push({
    at: task.addedAt.toISOString(),
    status: statusName(CrawlerTaskStatus.New),
    event: 'stored',
    detail: source ? `${source.source}${source.line !== null ? `, line ${source.line}` : ''}` : null,
    links: { run: null },
  });
  for (const fetch of fetches) {
    const ok = fetch.status === RunLogStatus.Succeeded;
    events.push({
      at: fetch.addedAt.toISOString(),
      status: statusName(ok ? CrawlerTaskStatus.Downloaded : CrawlerTaskStatus.DownloadFailed),
      event: ok ? 'fetched' : 'fetch_failed',
      detail: ok ? `${fetch.contentBytes} bytes in ${fetch.spendMsecs} ms` : fetch.failedReason,
      links: { run: fetch.workflowId ? links.run(fetch.workflowId, fetch.runId) : null },
    });
  }
  for (const failure of failures) {
    const after = STATUS_AFTER_STEP[failure.step];
    events.push({
      at: failure.failedAt.toISOString(),
      status: after !== undefined ? statusName(after) : null,
      event: 'failed',
      detail: `${failure.step}: ${failure.errorType}: ${failure.error}`,
      links: { run: links.run(failure.batchWorkflowId ?? failure.workflowId, failure.runId) },
    });
    for (const replay of failure.replays) {
      events.push({ at: replay.at.toISOString(), status: null, event: 'replayed', detail: replay.outcome ? `${replay.outcome}${replay.error ? `: ${replay.error}` : ''}` : 'running', links: { run: links.run(replay.workflowId, replay.runId) } });
    }
  }
  events.sort((a, b) => a.at.localeCompare(b.at));
  const view = taskView(task, links);
  return {
    task: { ...view, jobName: job?.name ?? null },
    source: source
      ? { source: source.source, original: source.uri_original, ingest: source.ingest?.toHexString() ?? null, line: source.line, rulesVersion: source.rules_version }
      : null,
    events,
    fetches: fetches.map((fetch) => uriFetchView(fetch, links)),
    failures: failures.map((failure) => failureView(failure, links, names)),
    retryable: task.status === CrawlerTaskStatus.DownloadFailed && failures.some((failure) => failure.status === 'failed' && failure.envelope !== undefined),
  };
}
