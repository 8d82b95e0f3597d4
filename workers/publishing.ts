import type { Db } from 'mongodb';
import { createPublishActivities } from '../activities/publish';
import { createTaskProgressWriter, type TaskProgressWriter } from '../activities/task-progress';
import type { Config } from '../infra/config/config';
import type { TaggedProducer } from '../infra/kafka/tagged-producer';
import { metrics } from '../infra/metrics/metrics';
import { createCrawlerTaskRepository } from '../store/crawler-tasks';
import { createPayloadStore, type PayloadStore } from '../store/payload-store';
import { createUriLogRepository } from '../store/uri-logs';

/** The stores every worker that runs pipeline steps writes through: claim checks and crawler-task progress. */
export function pipelineStores(db: Db): { payloads: PayloadStore; taskProgress: TaskProgressWriter } {
  return {
    payloads: createPayloadStore(db),
    taskProgress: createTaskProgressWriter({ tasks: createCrawlerTaskRepository(db), uriLogs: createUriLogRepository(db) }),
  };
}

/**
 * The publish activity as both workers that run it register it: the workflows worker (as a
 * local activity, the default) and the io worker (runs with PIPELINE_LOCAL_PUBLISH=false, and
 * runs started before local publishing existed).
 */
export function publishActivitiesFor(
  config: Config,
  clients: { producer: Pick<TaggedProducer, 'send'>; payloads: Pick<PayloadStore, 'get'>; taskProgress: Pick<TaskProgressWriter, 'write'> },
) {
  return createPublishActivities({ metrics, ...clients, topic: config.kafka.outputTopic, maxMessageBytes: config.kafka.maxMessageBytes });
}
