import { randomUUID } from 'node:crypto';
import { profileMongoServer, stackProfile } from '../infra/config/stack-profile';

/** A unique suffix so each run's topics, queues, databases and ids never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * The environment that gives a test or benchmark run names of its own on the shared stack:
 * task-queue prefix, topics, consumer group and database all derive from `id`, so runs side
 * by side never see each other's work and cleaning up is deleting what carries the id.
 */
export function isolatedEnv(id: string, environment: NodeJS.ProcessEnv = process.env): Record<string, string> {
  // The profile's other addresses come from its defaults (CRAWLFLOW_STACK_PROFILE is in the
  // environment the run inherits); the database name is this run's own.
  const profile = stackProfile(environment);
  // A FerretDB build under test on a port of its own (the shared one is the stack's): host:port.
  const mongo = environment.CRAWLFLOW_TEST_MONGODB_ADDRESS ? `mongodb://${environment.CRAWLFLOW_TEST_MONGODB_ADDRESS}` : profileMongoServer(profile);
  return {
    CRAWLFLOW_STACK_PROFILE: profile,
    TASK_QUEUE_PREFIX: `crawlflow-${id}`,
    KAFKA_INPUT_TOPIC: `${id}.messages`,
    KAFKA_OUTPUT_TOPIC: `${id}.tagged`,
    KAFKA_DEAD_LETTER_TOPIC: `${id}.dead-letter`,
    KAFKA_CONSUMER_GROUP: `${id}-bridge`,
    MONGODB_URI: `${mongo}/${id.replace(/-/g, '_')}`,
  };
}
