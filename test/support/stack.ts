import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../domain/config/config';
import { createLogger, type Logger } from '../../domain/logging/logger';
import { stack } from '../../stack/stack';

let ready: Promise<void> | undefined;

/**
 * Brings the local stack up (a no-op when `npm test` already did) and fails the test when a
 * service cannot be started: tests that need real services never skip silently.
 */
export function requireStack(): Promise<void> {
  ready ??= stack.up(stack.services);
  return ready;
}

/** A unique suffix so each test's topics, queues, databases and ids never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Configuration pointing at the local stack with names of this test's own: its own task
 * queue prefix, topics, consumer group and database.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(testEnv(overrides));
}

/** The environment behind `testConfig`, for crawlflow processes a test starts as children. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const id = uniqueName('t');
  return {
    TASK_QUEUE_PREFIX: `crawlflow-${id}`,
    KAFKA_INPUT_TOPIC: `${id}.messages`,
    KAFKA_OUTPUT_TOPIC: `${id}.tagged`,
    KAFKA_DEAD_LETTER_TOPIC: `${id}.dead-letter`,
    KAFKA_CONSUMER_GROUP: `${id}-bridge`,
    KAFKA_TOPIC_PARTITIONS: '2',
    MONGODB_URI: `mongodb://127.0.0.1:27017/${id.replace(/-/g, '_')}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    LOG_FORMAT: 'json',
    ...overrides,
  };
}

export function testLogger(config: Config): Logger {
  return createLogger(config.log, { test: true });
}
