import { loadConfig, type Config } from '../infra/config/config';
import { createLogger, type Logger } from '../infra/logging/logger';
import { stack } from '../stack/stack';
import { isolatedEnv, uniqueName } from './isolated-env';

export { uniqueName };

let ready: Promise<void> | undefined;

/**
 * Brings the local stack up (a no-op when `npm test` already did) and fails the test when a
 * service cannot be started: tests that need real services never skip silently.
 */
export function requireStack(): Promise<void> {
  ready ??= stack.up(stack.services);
  return ready;
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
  return {
    ...isolatedEnv(uniqueName('t')),
    KAFKA_TOPIC_PARTITIONS: '2',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    LOG_FORMAT: 'json',
    ...overrides,
  };
}

export function testLogger(config: Config): Logger {
  return createLogger(config.log, { test: true });
}
