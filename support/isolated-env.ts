import { randomUUID } from 'node:crypto';

/** A unique suffix so each run's topics, queues, databases and ids never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * The environment that gives a test or benchmark run names of its own on the shared stack:
 * task-queue prefix, topics, consumer group and database all derive from `id`, so runs side
 * by side never see each other's work and cleaning up is deleting what carries the id.
 */
export function isolatedEnv(id: string): Record<string, string> {
  // A FerretDB build under test on a port of its own (the shared one is the stack's): host:port.
  const mongo = process.env.CRAWLFLOW_TEST_MONGODB_ADDRESS ?? '127.0.0.1:27017';
  return {
    TASK_QUEUE_PREFIX: `crawlflow-${id}`,
    KAFKA_INPUT_TOPIC: `${id}.messages`,
    KAFKA_OUTPUT_TOPIC: `${id}.tagged`,
    KAFKA_DEAD_LETTER_TOPIC: `${id}.dead-letter`,
    KAFKA_CONSUMER_GROUP: `${id}-bridge`,
    MONGODB_URI: `mongodb://${mongo}/${id.replace(/-/g, '_')}`,
  };
}
