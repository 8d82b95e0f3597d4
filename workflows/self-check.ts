import { proxyActivities } from '@temporalio/workflow';
import type { SelfCheckActivities, WorkerReport } from '../activities/self-check';
import type { QueueKind, TaskQueueNames } from '../common/task-queues';
import { describeFailure } from './failure-description';

export interface SelfCheckInput {
  taskQueues: TaskQueueNames;
  /** Activity queues to probe. */
  queues: QueueKind[];
  /** How long a queue may go without a worker picking the probe up. */
  scheduleToStartSeconds: number;
}

export type SelfCheckResult = Array<{ queue: QueueKind; ok: true; worker: WorkerReport } | { queue: QueueKind; ok: false; error: string }>;

/** Runs one tiny activity on each queue: a queue with no live worker times out and is reported. */
export async function selfCheckWorkflow(input: SelfCheckInput): Promise<SelfCheckResult> {
  return Promise.all(
    input.queues.map(async (queue) => {
      const { reportWorker } = proxyActivities<SelfCheckActivities>({
        taskQueue: input.taskQueues[queue],
        scheduleToStartTimeout: `${input.scheduleToStartSeconds}s`,
        startToCloseTimeout: '10s',
        retry: { maximumAttempts: 1 },
      });
      try {
        return { queue, ok: true as const, worker: await reportWorker() };
      } catch (error) {
        // What the activity failure wraps: the timeout that says no worker took the probe.
        return { queue, ok: false as const, error: describeFailure(error).message };
      }
    }),
  );
}
