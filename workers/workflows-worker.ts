import { Worker } from '@temporalio/worker';
import { createFetchActivities } from '../activities/fetch';
import { createContentExtractor } from '../domain/pages/content-extractor';
import { createPageFetcher } from '../domain/pages/page-fetcher';
import { createKafka } from '../infra/kafka/kafka';
import { createTaggedProducer } from '../infra/kafka/tagged-producer';
import { metrics } from '../infra/metrics/metrics';
import { mongoReadiness } from '../infra/metrics/readiness';
import { connectMongo } from '../infra/mongo/client';
import { pipelineStores, publishActivitiesFor } from './publishing';
import { closeAll, type RunnableWorker, type WorkerContext } from './worker-context';

/**
 * Polls the workflows queue: deterministic workflow code, bundled from workflows/index.ts, and
 * the local activities the pipeline runs beside it — publishing (PIPELINE_LOCAL_PUBLISH,
 * docs/pipeline.md "Publishing") and, when PIPELINE_LOCAL_FETCH is on, fetching — with the
 * clients they need: the output producer, MongoDB and, for fetching, a page fetcher and its
 * own content-extraction threads.
 */
export async function createWorkflowsWorker(context: WorkerContext): Promise<RunnableWorker> {
  const { config, logger } = context;
  const taskQueue = config.temporal.taskQueues.workflows;
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-workflows-worker' });
  const producer = createTaggedProducer(createKafka(config.kafka, logger, 'workflows-worker'), config.kafka.outputTopic);
  const fetching = config.pipeline.localFetch ? { fetcher: createPageFetcher(config.fetch), extractor: createContentExtractor(config.extract) } : undefined;
  const close = closeAll(logger, [
    ['kafka producer', () => producer.close()],
    ['page fetcher', () => fetching?.fetcher.close()],
    ['content extractor', () => fetching?.extractor.close()],
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
      activities: {
        ...publishActivitiesFor(config, { producer, payloads, taskProgress }),
        ...(fetching ? createFetchActivities({ metrics, ...fetching, payloads, taskProgress, logger }) : {}),
      },
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
