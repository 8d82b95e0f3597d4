import { Kafka, logLevel, type Admin, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';

// crawlflow uses kafkajs's (new) default partitioner everywhere; its one-time warning about
// the v2 change is noise in every process's log.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/**
 * The one place crawlflow builds Kafka clients. kafkajs is in maintenance mode; keeping
 * access behind this module lets @confluentinc/kafka-javascript (same API) replace it.
 */
export function createKafka(
  config: Config['kafka'],
  logger?: Logger,
  clientSuffix = '',
  /** Connection tuning; health checks pass `{ retry: { retries: 0 } }` to fail fast. @default kafkajs defaults */
  tuning: Pick<KafkaConfig, 'retry' | 'connectionTimeout' | 'requestTimeout'> = {},
): Kafka {
  return new Kafka({
    ...tuning,
    clientId: `${config.clientId}${clientSuffix ? `-${clientSuffix}` : ''}`,
    brokers: config.brokers,
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, ...rest } = entry.log;
      logger[kafkaLogLevel(entry)]({ kafka: entry.namespace, ...rest }, message);
    },
  });
}

/**
 * Where kafkajs's own log lines go. kafkajs logs every failed attempt of what it retries — a
 * connect (`Connection`, `BrokerPool`: "Connection error: connect ECONNREFUSED", "Failed to
 * connect to seed broker"), a send ("Failed to send messages", a KafkaJSNonRetriableError for
 * an attempt that is retried by the caller and succeeds), the consumer's crash and restart —
 * as an error, then hands the outcome to crawlflow, which reports it once: the outage warning of
 * the process's dependency watch or the bridge, the activity's failure. Those attempts are
 * debug; the rest keeps its level.
 */
export function kafkaLogLevel(entry: Pick<LogEntry, 'namespace' | 'level' | 'log'>): 'error' | 'warn' | 'debug' {
  if (entry.level !== logLevel.ERROR && entry.level !== logLevel.WARN) return 'debug';
  const attempt =
    RETRIED_NAMESPACES.has(entry.namespace) ||
    'retryCount' in entry.log ||
    (entry.namespace === 'Consumer' && /^(Crash: |Restarting the consumer in )/.test(entry.log.message));
  if (attempt) return 'debug';
  return entry.level === logLevel.ERROR ? 'error' : 'warn';
}

/** kafkajs namespaces whose warnings and errors are each one attempt of a retried operation. */
const RETRIED_NAMESPACES = new Set(['Connection', 'BrokerPool']);

/** The topics crawlflow owns, with their settings. Auto-create is off on the broker. */
export function crawlflowTopics(config: Config['kafka']): Array<{
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries: Array<{ name: string; value: string }>;
}> {
  const configEntries = [
    { name: 'max.message.bytes', value: String(config.maxMessageBytes + 64 * 1024) },
    // With acks=all (every crawlflow producer) a send succeeds once this many replicas have it.
    { name: 'min.insync.replicas', value: String(config.minInsyncReplicas) },
  ];
  return [config.inputTopic, config.outputTopic, config.deadLetterTopic].map((topic) => ({
    topic,
    numPartitions: config.topicPartitions,
    replicationFactor: config.replicationFactor,
    configEntries,
  }));
}

/** Creates crawlflow's topics where missing; returns the names it created. */
export async function ensureTopics(admin: Admin, config: Config['kafka']): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = crawlflowTopics(config).filter((topic) => !existing.has(topic.topic));
  if (missing.length === 0) return [];
  await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((topic) => topic.topic);
}

/** Fails with a clear message when a topic is missing (auto-create is off on purpose). */
export async function requireTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new MissingTopicError(topic);
    }
  } finally {
    await admin.disconnect();
  }
}

export class MissingTopicError extends Error {
  override readonly name = 'MissingTopicError';
  constructor(readonly topic: string) {
    super(`Kafka topic "${topic}" does not exist: run \`crawlflow setup\` (or \`crawlflow up\`) to create crawlflow's topics`);
  }
}
