import { ALL_QUEUE_KINDS, type QueueKind } from '../common/task-queues';
import type { Config } from '../domain/config/config';
import type { Logger } from '../domain/logging/logger';
import { connectWorkerConnection } from '../domain/temporal/connection';
import { installTemporalRuntime } from '../domain/temporal/runtime';
import { createCpuWorker } from './cpu-worker';
import { createIoWorker } from './io-worker';
import { createSandboxWorker } from './sandbox-worker';
import { createWorkflowsWorker } from './workflows-worker';
import type { RunnableWorker, WorkerContext } from './worker-context';

const FACTORIES: Record<QueueKind, (context: WorkerContext) => Promise<RunnableWorker>> = {
  workflows: createWorkflowsWorker,
  io: createIoWorker,
  cpu: createCpuWorker,
  sandbox: createSandboxWorker,
};

/**
 * Runs the workers for the given queues in this process until SIGINT/SIGTERM, sharing one
 * connection; then closes each worker's clients and the connection, in that order.
 */
export async function runWorkers(config: Config, logger: Logger, queues: readonly QueueKind[] = ALL_QUEUE_KINDS): Promise<void> {
  installTemporalRuntime(logger);
  const connection = await connectWorkerConnection(config.temporal);
  const workers: RunnableWorker[] = [];
  try {
    for (const queue of queues) {
      workers.push(await FACTORIES[queue]({ config, logger: logger.child({ queue }), connection }));
    }
    logger.info({ taskQueues: workers.map((worker) => worker.queue) }, 'workers polling');
    // One worker failing stops the others too: a half-served process hides the failure.
    const results = await Promise.allSettled(
      workers.map((worker) =>
        worker.run().catch((error: unknown) => {
          logger.error({ err: error, taskQueue: worker.queue }, 'worker failed; stopping the others');
          for (const other of workers) if (other !== worker) safeShutdown(other);
          throw error;
        }),
      ),
    );
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
    logger.info('workers stopped');
  } finally {
    for (const worker of workers) await worker.close();
    await connection.close();
  }
}

function safeShutdown(worker: RunnableWorker): void {
  try {
    worker.shutdown();
  } catch {
    // not running (yet or any more)
  }
}
