import { message } from '../infra/i18n/i18n';
import { ObjectId } from 'mongodb';
import type { FailureRecord, Outcome } from '../common/pipeline';
import { AlertKind } from '../store/alert-repository';
import type { Alerting } from '../domain/alerts/alerting';
import type { CrawlflowMetrics } from '../infra/metrics/metrics';
import type { FailedMessageRepository } from '../store/failed-messages';
import type { TaskProgressWriter } from './task-progress';

export interface FailureActivityDeps {
  failedMessages: FailedMessageRepository;
  alerting: Pick<Alerting, 'raise'>;
  /** Writes crawler tasks' steps that ride on a failure ("tag_failed"). */
  taskProgress: Pick<TaskProgressWriter, 'writeOne'>;
  /** Where the work is counted: the process's metrics (infra/metrics/metrics.ts), injected like every client. */
  metrics: Pick<CrawlflowMetrics, 'failures'>;
}

const ALERT_KIND_BY_STEP = {
  fetch: AlertKind.FetchFailed,
  tag: AlertKind.TagFailed,
  publish: AlertKind.PublishFailed,
  task_progress: AlertKind.MessageFailed,
  bridge: AlertKind.DeadLetter,
} as const;

/** Io-queue activities: write a failed-message record (replayable) and route it to alerting. */
export function createFailureActivities(deps: FailureActivityDeps) {
  const { metrics } = deps;
  return {
    async recordFailure(failure: FailureRecord): Promise<string> {
      // The task's step first: a write that throws is retried with the whole call, before any record exists.
      for (const step of failure.taskProgress ?? []) await deps.taskProgress.writeOne(step);
      const id = await deps.failedMessages.record({
        workflowId: failure.workflowId,
        runId: failure.runId,
        ...(failure.batchWorkflowId ? { batchWorkflowId: failure.batchWorkflowId } : {}),
        step: failure.step,
        errorType: failure.errorType,
        error: failure.message,
        envelope: failure.envelope,
        ...(failure.replayOf ? { replayOf: new ObjectId(failure.replayOf) } : {}),
      });
      metrics.failures.inc({ kind: ALERT_KIND_BY_STEP[failure.step] });
      await deps.alerting.raise({
        kind: ALERT_KIND_BY_STEP[failure.step],
        summary: `${failure.step} failed (${failure.errorType}): ${failure.message}`.slice(0, 300),
        summaryMessage: message('mail.alert.failure', { step: failure.step, type: failure.errorType, error: failure.message.slice(0, 300) }),
        detail: {
          failedMessageId: id.toHexString(),
          url: failure.envelope.summary.url,
          messageId: failure.envelope.summary.messageId,
          ...(failure.batchWorkflowId ? { messageWorkflowId: failure.workflowId } : {}),
        },
        // The run that exists: a batch message has no run of its own until it is replayed.
        workflowId: failure.batchWorkflowId ?? failure.workflowId,
        ...(failure.envelope.summary.job ? { job: failure.envelope.summary.job } : {}),
      });
      return id.toHexString();
    },

    /** Called at the end of a replayed run: how the replay ended, on the record it replayed. */
    async finishReplay(input: { replayOf: string; workflowId: string; outcome: Outcome; error?: string }): Promise<void> {
      await deps.failedMessages.finishReplay(new ObjectId(input.replayOf), input.workflowId, input.outcome, input.error);
    },
  };
}

export type FailureActivities = ReturnType<typeof createFailureActivities>;
