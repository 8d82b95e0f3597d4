import { Worker } from '@temporalio/worker';
import { createSelfCheckActivities } from '../activities/self-check';
import { QueueKind } from '../common/task-queues';
import type { RunnableWorker, WorkerContext } from './worker-context';

/** Polls the sandbox queue: untrusted generator scripts, a few at a time. */
export async function createSandboxWorker(context: WorkerContext): Promise<RunnableWorker> {
  const taskQueue = context.config.temporal.taskQueues.sandbox;
  const worker = await Worker.create({
    connection: context.connection,
    namespace: context.config.temporal.namespace,
    taskQueue,
    activities: { ...createSelfCheckActivities({ queue: QueueKind.Sandbox }) },
    maxConcurrentActivityTaskExecutions: 2,
  });
  return { queue: taskQueue, run: () => worker.run(), shutdown: () => worker.shutdown(), close: async () => undefined };
}
