import { Worker } from '@temporalio/worker';
import { createSelfCheckActivities } from '../activities/self-check';
import { QueueKind } from '../common/task-queues';
import type { RunnableWorker, WorkerContext } from './worker-context';

/** Polls the io queue: slow network work (fetch, publish, MongoDB, mail), many at a time. */
export async function createIoWorker(context: WorkerContext): Promise<RunnableWorker> {
  const taskQueue = context.config.temporal.taskQueues.io;
  const worker = await Worker.create({
    connection: context.connection,
    namespace: context.config.temporal.namespace,
    taskQueue,
    activities: { ...createSelfCheckActivities({ queue: QueueKind.Io }) },
    maxConcurrentActivityTaskExecutions: 100,
  });
  return { queue: taskQueue, run: () => worker.run(), shutdown: () => worker.shutdown(), close: async () => undefined };
}
