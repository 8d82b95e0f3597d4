import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { activityInfo } from '@temporalio/activity';
import { ObjectId } from 'mongodb';
import type { CrawlerTaskRepository } from '../store/crawler-tasks';
import { CrawlerTaskStatus } from '../store/crawler-tasks';
import { UriLogStatus, type createUriLogRepository } from '../store/uri-logs';
import type { TaskProgress, TaskProgressFailure } from '../common/pipeline';

export interface TaskProgressDeps {
  tasks: Pick<CrawlerTaskRepository, 'get' | 'setStatus'>;
  uriLogs: Pick<ReturnType<typeof createUriLogRepository>, 'record'>;
}

export type { TaskProgress };

/** Tries of one progress write inside another activity before it is reported instead. */
const WRITE_TRIES = 3;

/**
 * Writes the steps of crawler tasks' messages (seed 001): moves crawler_task.status through
 * the seed's codes — in progress → downloaded / download failed → analysed / analysis failed —
 * and writes one crawler_uri_log row per fetch. The activities that already run for a message
 * (fetch, publish, failure record) write its steps themselves, so a crawler task costs no
 * activity of its own; a write that fails a few times is returned, never thrown, so the
 * message goes on and its workflow records and alerts the lost step.
 */
export function createTaskProgressWriter(deps: TaskProgressDeps) {
  async function writeOne(progress: TaskProgress): Promise<void> {
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
  }

  return {
    /** Throws when MongoDB refuses (for callers that retry themselves). */
    writeOne,

    /** Writes the steps in order; returns each step that kept failing, with why. */
    async write(steps: readonly TaskProgress[]): Promise<TaskProgressFailure[]> {
      const lost: TaskProgressFailure[] = [];
      for (const step of steps) {
        for (let attempt = 1; ; attempt++) {
          try {
            await writeOne(step);
            break;
          } catch (error) {
            if (attempt >= WRITE_TRIES) {
              const reason = error instanceof Error ? error.message : String(error);
              lost.push({ errorType: error instanceof Error ? error.name : 'Error', message: `crawler task ${step.taskId}: step "${step.step}" not recorded: ${reason}` });
              break;
            }
            await sleep(250 * 2 ** attempt);
          }
        }
      }
      return lost;
    },
  };
}

export type TaskProgressWriter = ReturnType<typeof createTaskProgressWriter>;
