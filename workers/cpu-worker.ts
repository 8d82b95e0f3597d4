import { availableParallelism } from 'node:os';
import { Worker } from '@temporalio/worker';
import { createSelfCheckActivities } from '../activities/self-check';
import { QueueKind } from '../common/task-queues';
import type { RunnableWorker, WorkerContext } from './worker-context';

/** Polls the cpu queue: tagging, with concurrency sized to the cores. */
export async function createCpuWorker(context: WorkerContext): Promise<RunnableWorker> {
  const taskQueue = context.config.temporal.taskQueues.cpu;
  const worker = await Worker.create({
    connection: context.connection,
    namespace: context.config.temporal.namespace,
    taskQueue,
    activities: { ...createSelfCheckActivities({ queue: QueueKind.Cpu }) },
    maxConcurrentActivityTaskExecutions: Math.max(1, context.config.tagging.threads ?? availableParallelism()),
  });
  return { queue: taskQueue, run: () => worker.run(), shutdown: () => worker.shutdown(), close: async () => undefined };
}
