import { hostname } from 'node:os';
import { activityInfo } from '@temporalio/activity';
import { ObjectId } from 'mongodb';
import type { CrawlerTaskRepository } from '../domain/store/crawler-tasks';
import { CrawlerTaskStatus } from '../domain/store/crawler-tasks';
import { UriLogStatus, type createUriLogRepository } from '../domain/store/uri-logs';

export interface TaskProgressDeps {
  tasks: Pick<CrawlerTaskRepository, 'get' | 'setStatus'>;
  uriLogs: Pick<ReturnType<typeof createUriLogRepository>, 'record'>;
}

/** A step of a crawler task's message through the pipeline. */
export type TaskProgress =
  | { taskId: string; step: 'started' }
  | { taskId: string; step: 'fetched'; uri: string; contentBytes: number; spendMsecs: number }
  | { taskId: string; step: 'fetch_failed'; uri: string; reason: string; spendMsecs: number }
  | { taskId: string; step: 'tagged' }
  | { taskId: string; step: 'tag_failed' };

/**
 * Io-queue activity for messages that stand for a crawler task (seed 001): moves
 * crawler_task.status through the seed's codes — in progress → downloaded / download failed
 * → analysed / analysis failed — and writes one crawler_uri_log row per fetch.
 */
export function createTaskProgressActivities(deps: TaskProgressDeps) {
  return {
    async recordTaskProgress(progress: TaskProgress): Promise<void> {
      if (!ObjectId.isValid(progress.taskId)) return;
      const id = new ObjectId(progress.taskId);
      switch (progress.step) {
        case 'started':
          await deps.tasks.setStatus(id, CrawlerTaskStatus.InProgress);
          return;
        case 'fetched':
        case 'fetch_failed': {
          const task = await deps.tasks.get(id);
          if (!task) return;
          const info = activityInfo();
          await deps.uriLogs.record({
            job: task.job,
            task: id,
            uri: progress.uri,
            generator: task.generator,
            status: progress.step === 'fetched' ? UriLogStatus.Succeeded : UriLogStatus.Failed,
            failedReason: progress.step === 'fetch_failed' ? progress.reason : null,
            contentBytes: progress.step === 'fetched' ? progress.contentBytes : 0,
            spendMsecs: progress.spendMsecs,
            hostname: hostname(),
            workflowId: info.workflowExecution?.workflowId ?? null,
            runId: info.workflowExecution?.runId ?? null,
          });
          await deps.tasks.setStatus(id, progress.step === 'fetched' ? CrawlerTaskStatus.Downloaded : CrawlerTaskStatus.DownloadFailed);
          return;
        }
        case 'tagged':
          await deps.tasks.setStatus(id, CrawlerTaskStatus.Analysed);
          return;
        case 'tag_failed':
          await deps.tasks.setStatus(id, CrawlerTaskStatus.AnalysisFailed);
          return;
      }
    },
  };
}

export type TaskProgressActivities = ReturnType<typeof createTaskProgressActivities>;
