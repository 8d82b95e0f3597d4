import { Worker } from '@temporalio/worker';
import { createSelfCheckActivities } from '../activities/self-check';
import { createTagActivities } from '../activities/tag';
import { QueueKind } from '../common/task-queues';
import { metrics, observeGauge } from '../infra/metrics/metrics';
import { mongoReadiness } from '../infra/metrics/readiness';
import { connectMongo } from '../infra/mongo/client';
import { createPayloadStore } from '../store/payload-store';
import { createTaggingEngine } from '../domain/tagging';
import { closeAll, type RunnableWorker, type WorkerContext } from './worker-context';

/**
 * Polls the cpu queue: tagging. The engine tags on its own worker threads (one per core by
 * default), so this event loop stays free to poll and heartbeat; the worker takes as many
 * activities at once as there are threads, plus one so the next batch is already loaded.
 */
export async function createCpuWorker(context: WorkerContext): Promise<RunnableWorker> {
  const { config, logger } = context;
  const taskQueue = config.temporal.taskQueues.cpu;
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-cpu-worker' });
  const engine = await createTaggingEngine({
    serviceType: config.tagging.serviceType,
    ...(config.tagging.rulesFile ? { rulesFile: config.tagging.rulesFile } : {}),
    ...(config.tagging.modelFile ? { modelFile: config.tagging.modelFile } : {}),
    threads: config.tagging.threads,
    logger,
  }).catch(async (error: unknown) => {
    await mongo.client.close();
    throw error;
  });
  const close = closeAll(logger, [
    ['tagging engine', () => engine.close()],
    ['mongodb', () => mongo.client.close()],
  ]);
  try {
    observeGauge(metrics.taggerPoolUtilization, () => engine.stats().utilization);
    observeGauge(metrics.taggerPoolQueued, () => engine.stats().queued);
    const worker = await Worker.create({
      connection: context.connection,
      namespace: config.temporal.namespace,
      taskQueue,
      activities: {
        ...createSelfCheckActivities({ queue: QueueKind.Cpu }),
        ...createTagActivities({ metrics, engine, payloads: createPayloadStore(mongo.db) }),
      },
      maxConcurrentActivityTaskExecutions: config.tagging.threads + 1,
    });
    return { queue: taskQueue, readiness: [mongoReadiness(mongo.db)], run: () => worker.run(), shutdown: () => worker.shutdown(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
