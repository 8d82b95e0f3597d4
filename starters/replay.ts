import type { Client } from '@temporalio/client';
import { FailureStep } from '../common/pipeline';
import type { Config } from '../infra/config/config';
import type { FailedMessageDocument, FailedMessageQuery, FailedMessageRepository } from '../store/failed-messages';
import type { ObjectId } from 'mongodb';
import { CRAWLER_TASK_STATUS_NAMES, CrawlerTaskStatus, type CrawlerTaskRepository } from '../store/crawler-tasks';
import { startMessageWorkflow } from './message-starter';

export interface ReplayItem {
  failedMessageId: string;
  workflowId: string;
  step: string;
  result: 'started' | 'already_running' | 'not_replayable' | 'start_failed';
  runId?: string;
  reason?: string;
}

/**
 * Re-runs failed messages: each starts the message workflow again under its own workflow id
 * (so the Web UI shows every attempt of a message together), and the replay is recorded on
 * the failure record; the workflow records how it ended.
 */
export async function replayFailedMessages(
  deps: { client: Client; config: Config; failedMessages: FailedMessageRepository },
  query: FailedMessageQuery,
): Promise<ReplayItem[]> {
  const records = await deps.failedMessages.find({ status: 'failed', ...query });
  return replayRecords(deps, records);
}

/** Replays these records, a few starts at a time; the items are in the records' order. */
export async function replayRecords(
  deps: { client: Client; config: Config; failedMessages: FailedMessageRepository },
  records: readonly FailedMessageDocument[],
  concurrency = 8,
): Promise<ReplayItem[]> {
  const items: ReplayItem[] = new Array(records.length);
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < records.length; index = next++) items[index] = await replayOne(deps, records[index]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, lane));
  return items;
}

async function replayOne(
  deps: { client: Client; config: Config; failedMessages: FailedMessageRepository },
  record: FailedMessageDocument,
): Promise<ReplayItem> {
  const base = { failedMessageId: record._id.toHexString(), workflowId: record.workflowId, step: record.step };
  if (record.status !== 'failed') {
    return { ...base, result: 'not_replayable', reason: record.status === 'replaying' ? 'a replay of it is running' : 'it was replayed and published' };
  }
  if (record.step === FailureStep.Bridge || !record.envelope) {
    return {
      ...base,
      result: 'not_replayable',
      reason: 'a dead-lettered record is not a message; fix it and produce it again (its bytes are in the dead-letter topic)',
    };
  }
  try {
    const outcome = await startMessageWorkflow(deps.client, deps.config, record.envelope, {
      workflowId: record.workflowId,
      replayOf: record._id.toHexString(),
    });
    if (!outcome.started) return { ...base, result: 'already_running', reason: 'a run of this message is in progress' };
    await deps.failedMessages.addReplay(record._id, { at: new Date(), workflowId: record.workflowId, runId: outcome.runId });
    return { ...base, result: 'started', runId: outcome.runId };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await deps.failedMessages.addReplay(record._id, { at: new Date(), workflowId: record.workflowId, outcome: 'start_failed', error: reason });
    return { ...base, result: 'start_failed', reason };
  }
}

export type TaskRetry =
  | { ok: true; item: ReplayItem }
  | { ok: false; problem: 'unknown_task' | 'not_download_failed' | 'nothing_to_replay'; reason: string };

/**
 * Feeds a crawler task whose download failed to the pipeline again: the failure its message
 * workflow (`msg-<task id>`) recorded is replayed, so the run, its outcome and the task's
 * status move as for any replay.
 */
export async function retryTask(
  deps: {
    tasks: Pick<CrawlerTaskRepository, 'get'>;
    failedMessages: Pick<FailedMessageRepository, 'byWorkflowId'>;
    replay: (records: readonly FailedMessageDocument[]) => Promise<ReplayItem[]>;
  },
  taskId: ObjectId,
): Promise<TaskRetry> {
  const id = taskId.toHexString();
  const task = await deps.tasks.get(taskId);
  if (!task) return { ok: false, problem: 'unknown_task', reason: `no crawler task ${id}` };
  if (task.status !== CrawlerTaskStatus.DownloadFailed) {
    return { ok: false, problem: 'not_download_failed', reason: `task ${id} is "${CRAWLER_TASK_STATUS_NAMES[task.status]}", not "download failed"; only a failed download is retried` };
  }
  const failure = (await deps.failedMessages.byWorkflowId(`msg-${id}`)).find((record) => record.status === 'failed' && record.envelope !== undefined);
  if (!failure) {
    return { ok: false, problem: 'nothing_to_replay', reason: `task ${id} has no failed-message record to replay (its status was set outside the pipeline)` };
  }
  const [item] = await deps.replay([failure]);
  if (!item) throw new Error(`replaying ${failure._id.toHexString()} gave no result`);
  return { ok: true, item };
}
