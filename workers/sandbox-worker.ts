import { hostname } from 'node:os';
import { Worker } from '@temporalio/worker';
import { createGeneratorRunActivities } from '../activities/generator-run';
import { createGeneratorTestActivities } from '../activities/generator-test';
import { createSelfCheckActivities } from '../activities/self-check';
import { QueueKind } from '../common/task-queues';
import { createGeneratorRunStateRepository } from '../store/generator-run-state';
import { mongoReadiness } from '../infra/metrics/readiness';
import { connectMongo } from '../infra/mongo/client';
import { createStore } from '../store/store';
import { closeAll, type RunnableWorker, type WorkerContext } from './worker-context';
import { metrics } from '../infra/metrics/metrics';

/**
 * Polls the sandbox queue: untrusted generator scripts, a few at a time (each may use up to
 * its memory limit and one core). Runs as root so that it can switch scripts to the
 * unprivileged SANDBOX_USER (created on first use); see docs/generators.md.
 */
export async function createSandboxWorker(context: WorkerContext): Promise<RunnableWorker> {
  const { config, logger } = context;
  const taskQueue = config.temporal.taskQueues.sandbox;
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-sandbox-worker' });
  const close = closeAll(logger, [['mongodb', () => mongo.client.close()]]);
  try {
    const store = createStore(mongo.db);
    const sandbox = { mode: config.generators.sandboxMode, user: config.generators.sandboxUser };
    const worker = await Worker.create({
      connection: context.connection,
      namespace: config.temporal.namespace,
      taskQueue,
      activities: {
        ...createSelfCheckActivities({ queue: QueueKind.Sandbox }),
        ...createGeneratorRunActivities({
          metrics,
          store,
          runState: createGeneratorRunStateRepository(mongo.db),
          sandbox,
          allowedSchemes: config.ingest.allowedSchemes,
          hostname: hostname(),
          logger,
        }),
        ...createGeneratorTestActivities({ store, sandbox, allowedSchemes: config.ingest.allowedSchemes, logger }),
      },
      maxConcurrentActivityTaskExecutions: 2,
    });
    return { queue: taskQueue, readiness: [mongoReadiness(mongo.db)], run: () => worker.run(), shutdown: () => worker.shutdown(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
