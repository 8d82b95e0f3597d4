import { Worker } from '@temporalio/worker';
import type { RunnableWorker, WorkerContext } from './worker-context';

/** Polls the workflows queue: deterministic workflow code only, bundled from workflows/index.ts. */
export async function createWorkflowsWorker(context: WorkerContext): Promise<RunnableWorker> {
  const taskQueue = context.config.temporal.taskQueues.workflows;
  const worker = await Worker.create({
    connection: context.connection,
    namespace: context.config.temporal.namespace,
    taskQueue,
    workflowsPath: require.resolve('../workflows'),
    maxConcurrentWorkflowTaskExecutions: 40,
  });
  return { queue: taskQueue, readiness: [], run: () => worker.run(), shutdown: () => worker.shutdown(), close: async () => undefined };
}
