import type { Client } from '@temporalio/client';
import { QueueKind, type TaskQueueNames } from '../../common/task-queues';
import { metrics, observeLabelledGauge } from './metrics';

/** Values of temporal.api.enums.v1.TaskQueueType / TaskQueueKind (not re-exported by the client). */
const TaskQueueType = { Workflow: 1, Activity: 2 } as const;
const TASK_QUEUE_KIND_NORMAL = 1;

/**
 * A poller counts as live when it polled this recently. Polls are long polls of about a
 * minute and the server records their start, so a live worker is never much older than that.
 */
export const LIVE_POLLER_SECONDS = 120;

export interface TaskQueueReport {
  kind: QueueKind;
  name: string;
  /** Which tasks this queue carries for crawlflow: workflow tasks or activity tasks. */
  type: 'workflow' | 'activity';
  /** Workers that polled within LIVE_POLLER_SECONDS (identity is `pid@host`). */
  pollers: Array<{ identity: string; lastSeenSecondsAgo: number }>;
  /** Tasks waiting for a worker, as the server estimates it. */
  backlog: number;
  /** Age of the oldest waiting task, in seconds (0 when none wait). */
  backlogAgeSeconds: number;
  /** Tasks added and dispatched per second, recent average. */
  addRate: number;
  dispatchRate: number;
}

/** The gRPC service of a client `Connection` or a worker `NativeConnection`. */
type WorkflowService = Client['workflowService'];
type DescribeResponse = Awaited<ReturnType<WorkflowService['describeTaskQueue']>>;

/**
 * The backlog and pollers of each crawlflow task queue as Temporal sees them
 * (DescribeTaskQueue with `reportStats`, which servers ≥ 1.25 answer in the classic mode; the
 * dev server bundled with the Temporal CLI does).
 */
export async function describeTaskQueues(
  service: Pick<WorkflowService, 'describeTaskQueue'>,
  namespace: string,
  queues: Partial<TaskQueueNames>,
  now = Date.now(),
): Promise<TaskQueueReport[]> {
  return Promise.all(
    (Object.entries(queues) as Array<[QueueKind, string]>).map(async ([kind, name]) => {
      const type = kind === QueueKind.Workflows ? 'workflow' : 'activity';
      const response = await service.describeTaskQueue({
        namespace,
        taskQueue: { name, kind: TASK_QUEUE_KIND_NORMAL },
        taskQueueType: type === 'workflow' ? TaskQueueType.Workflow : TaskQueueType.Activity,
        reportStats: true,
      });
      return { kind, name, type, ...summarize(response, now) };
    }),
  );
}

function summarize(response: DescribeResponse, now: number): Omit<TaskQueueReport, 'kind' | 'name' | 'type'> {
  const pollers = (response.pollers ?? [])
    .map((poller) => ({
      identity: poller.identity ?? '?',
      lastSeenSecondsAgo: Math.max(0, Math.round((now - seconds(poller.lastAccessTime) * 1000) / 1000)),
    }))
    .filter((poller) => poller.lastSeenSecondsAgo <= LIVE_POLLER_SECONDS);
  const stats = response.stats;
  return {
    pollers,
    backlog: toNumber(stats?.approximateBacklogCount),
    backlogAgeSeconds: seconds(stats?.approximateBacklogAge),
    addRate: stats?.tasksAddRate ?? 0,
    dispatchRate: stats?.tasksDispatchRate ?? 0,
  };
}

/** A protobuf Timestamp/Duration (`seconds` may be a Long or a string) in seconds. */
function seconds(value: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!value) return 0;
  return toNumber(value.seconds) + (value.nanos ?? 0) / 1e9;
}

function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'object' && 'toNumber' in value && typeof value.toNumber === 'function') return Number(value.toNumber());
  return Number(value);
}

/**
 * Exports the backlog of `queues` (and the age of its oldest task) as
 * `crawlflow_task_queue_backlog_tasks` / `_age_seconds`, read from the server at scrape time:
 * the SDK's metrics show what a worker does, not what waits for one. Returns a detach function.
 */
export function observeTaskQueueBacklog(
  service: Pick<WorkflowService, 'describeTaskQueue'>,
  namespace: string,
  queues: Partial<TaskQueueNames>,
): () => void {
  // Both gauges are collected in one scrape: describe the queues once for the two of them.
  let cached: { at: number; reports: Promise<TaskQueueReport[]> } | undefined;
  const reports = () => {
    if (!cached || Date.now() - cached.at > 1_000) cached = { at: Date.now(), reports: describeTaskQueues(service, namespace, queues) };
    return cached.reports;
  };
  observeLabelledGauge(metrics.taskQueueBacklog, async () =>
    (await reports()).map((report) => ({ labels: { task_queue: report.name }, value: report.backlog })),
  );
  observeLabelledGauge(metrics.taskQueueBacklogAge, async () =>
    (await reports()).map((report) => ({ labels: { task_queue: report.name }, value: report.backlog > 0 ? report.backlogAgeSeconds : 0 })),
  );
  return () => {
    observeLabelledGauge(metrics.taskQueueBacklog, undefined);
    observeLabelledGauge(metrics.taskQueueBacklogAge, undefined);
  };
}
