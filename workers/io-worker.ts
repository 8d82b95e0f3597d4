import { Worker } from '@temporalio/worker';
import { createAlertActivities } from '../activities/alerts';
import { createFailureActivities } from '../activities/failures';
import { createFetchActivities } from '../activities/fetch';
import { createPayloadPruneActivities } from '../activities/payload-prune';
import { createSelfCheckActivities } from '../activities/self-check';
import { QueueKind } from '../common/task-queues';
import { createAlertRepository } from '../store/alert-repository';
import { createDeploymentAlerting } from '../domain/alerts/alerting';
import { createKafka } from '../infra/kafka/kafka';
import { createTaggedProducer } from '../infra/kafka/tagged-producer';
import { createMailer } from '../infra/mail/mailer';
import { observeGauge, metrics } from '../infra/metrics/metrics';
import { mongoReadiness } from '../infra/metrics/readiness';
import { connectMongo } from '../infra/mongo/client';
import { createContentExtractor } from '../domain/pages/content-extractor';
import { createPageFetcher } from '../domain/pages/page-fetcher';
import { createFailedMessageRepository } from '../store/failed-messages';
import { closeTemporalClient, connectTemporalClient, workflowUrl } from '../infra/temporal/connection';
import { pipelineStores, publishActivitiesFor } from './publishing';
import { closeAll, type RunnableWorker, type WorkerContext } from './worker-context';

/** Polls the io queue: slow network work (fetch, publish, MongoDB, mail), many at a time. */
export async function createIoWorker(context: WorkerContext): Promise<RunnableWorker> {
  const { config, logger } = context;
  const taskQueue = config.temporal.taskQueues.io;
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-io-worker' });
  const temporal = await connectTemporalClient(config.temporal);
  const mailer = createMailer(config.alerts);
  const fetcher = createPageFetcher(config.fetch);
  const extractor = createContentExtractor(config.extract);
  const producer = createTaggedProducer(createKafka(config.kafka, logger, 'io-worker'), config.kafka.outputTopic);
  const close = closeAll(logger, [
    ['kafka producer', () => producer.close()],
    ['page fetcher', () => fetcher.close()],
    ['content extractor', () => extractor.close()],
    ['mailer', () => mailer.close()],
    ['temporal client', () => closeTemporalClient(temporal)],
    ['mongodb', () => mongo.client.close()],
  ]);
  try {
    const alerts = createAlertRepository(mongo.db);
    const alerting = createDeploymentAlerting({ db: mongo.db, temporal, config, logger });
    const { payloads, taskProgress } = pipelineStores(mongo.db);
    observeGauge(metrics.alertsWaiting, () => alerts.countPending());
    const worker = await Worker.create({
      connection: context.connection,
      namespace: config.temporal.namespace,
      taskQueue,
      activities: {
        ...createSelfCheckActivities({ queue: QueueKind.Io }),
        ...createFetchActivities({ metrics, fetcher, extractor, payloads, taskProgress, logger }),
        ...publishActivitiesFor(config, { producer, payloads, taskProgress }),
        ...createPayloadPruneActivities({ payloads, logger }),
        ...createFailureActivities({ metrics, failedMessages: createFailedMessageRepository(mongo.db), alerting, taskProgress }),
        ...createAlertActivities({
          metrics,
          alerts,
          alerting,
          mailer,
          mail: { from: config.alerts.from, recipients: config.alerts.recipients, subjectPrefix: config.alerts.subject, locale: config.alerts.mailLocale },
          workflowUrl: (workflowId) => workflowUrl(config.temporal, workflowId),
        }),
      },
      // Fetches mostly wait on the network: many at once cost little.
      maxConcurrentActivityTaskExecutions: 100,
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
