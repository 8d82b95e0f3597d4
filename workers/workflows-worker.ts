import { Worker } from '@temporalio/worker';
import { createKafka } from '../infra/kafka/kafka';
import { createTaggedProducer } from '../infra/kafka/tagged-producer';
import { mongoReadiness } from '../infra/metrics/readiness';
import { connectMongo } from '../infra/mongo/client';
import { pipelineStores, publishActivitiesFor } from './publishing';
import { closeAll, type RunnableWorker, type WorkerContext } from './worker-context';

/**
 * Polls the workflows queue: deterministic workflow code, bundled from workflows/index.ts, and
 * the one local activity the pipeline runs beside it — publishing (PIPELINE_LOCAL_PUBLISH,
 * docs/pipeline.md "Publishing") — with the output producer and the MongoDB client it needs.
 */
export async function createWorkflowsWorker(context: WorkerContext): Promise<RunnableWorker> {
  const { config, logger } = context;
  const taskQueue = config.temporal.taskQueues.workflows;
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-workflows-worker' });
  const producer = createTaggedProducer(createKafka(config.kafka, logger, 'workflows-worker'), config.kafka.outputTopic);
  const close = closeAll(logger, [
    ['kafka producer', () => producer.close()],
    ['mongodb', () => mongo.client.close()],
  ]);
  try {
    const { payloads, taskProgress } = pipelineStores(mongo.db);
    const worker = await Worker.create({
      connection: context.connection,
      namespace: config.temporal.namespace,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      maxConcurrentWorkflowTaskExecutions: 40,
      activities: publishActivitiesFor(config, { producer, payloads, taskProgress }),
    });
    return {
      queue: taskQueue,
      readiness: [mongoReadiness(mongo.db), producer.readiness()],
      run: () => worker.run(),
      shutdown: () => worker.shutdown(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
