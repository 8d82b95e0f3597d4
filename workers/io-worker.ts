import { Worker } from '@temporalio/worker';
import { createAlertActivities } from '../activities/alerts';
import { createSelfCheckActivities } from '../activities/self-check';
import { QueueKind } from '../common/task-queues';
import { createAlertRepository } from '../domain/alerts/alert-repository';
import { createMailer } from '../domain/mail/mailer';
import { connectMongo } from '../domain/mongo/client';
import { workflowUrl } from '../domain/temporal/connection';
import { closeAll, type RunnableWorker, type WorkerContext } from './worker-context';

/** Polls the io queue: slow network work (fetch, publish, MongoDB, mail), many at a time. */
export async function createIoWorker(context: WorkerContext): Promise<RunnableWorker> {
  const { config, logger } = context;
  const taskQueue = config.temporal.taskQueues.io;
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-io-worker' });
  const mailer = createMailer(config.alerts);
  const close = closeAll(logger, [
    ['mailer', () => mailer.close()],
    ['mongodb', () => mongo.client.close()],
  ]);
  try {
    const worker = await Worker.create({
      connection: context.connection,
      namespace: config.temporal.namespace,
      taskQueue,
      activities: {
        ...createSelfCheckActivities({ queue: QueueKind.Io }),
        ...createAlertActivities({
          alerts: createAlertRepository(mongo.db),
          mailer,
          mail: { from: config.alerts.from, recipients: config.alerts.recipients, subjectPrefix: config.alerts.subject },
          workflowUrl: (workflowId) => workflowUrl(config.temporal, workflowId),
        }),
      },
      maxConcurrentActivityTaskExecutions: 100,
    });
    return { queue: taskQueue, run: () => worker.run(), shutdown: () => worker.shutdown(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
