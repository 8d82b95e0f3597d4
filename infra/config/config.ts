import type { Locale } from '../i18n/i18n';
import { availableParallelism } from 'node:os';
import { taskQueueNames, type TaskQueueNames } from '../../common/task-queues';
import { envSchema, ENV_VARIABLE_NAMES, type Env } from './env-schema';
import { profileDefaults, STACK_PROFILES, type StackProfile } from './stack-profile';

/** The environment was invalid; `problems` names each bad variable and what is wrong with it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: ReadonlyArray<{ variable: string; message: string }>) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
    );
  }
}

export interface Config {
  /** CRAWLFLOW_STACK_PROFILE: the local stack the address defaults point at. */
  stackProfile: StackProfile;
  temporal: {
    address: string;
    namespace: string;
    uiUrl: string;
    /** TASK_QUEUE_PREFIX: names this deployment's task queues and schedules. */
    prefix: string;
    taskQueues: TaskQueueNames;
    /** TEMPORAL_EAGER_START: the bridge starts message runs eagerly on a workflows worker of its own. */
    eagerStart: boolean;
  };
  kafka: {
    brokers: string[];
    clientId: string;
    inputTopic: string;
    outputTopic: string;
    deadLetterTopic: string;
    consumerGroup: string;
    /** The bridge consumer's session timeout (KAFKA_SESSION_TIMEOUT_MS). */
    sessionTimeoutMs: number;
    topicPartitions: number;
    maxMessageBytes: number;
    replicationFactor: number;
    minInsyncReplicas: number;
  };
  mongo: { uri: string };
  /** Claim-check payloads (docs/data-model.md, "Payload retention"). */
  payloads: { retentionDays: number };
  /** How the bridge turns records into workflows (docs/pipeline.md, "Batch mode"). */
  pipeline: {
    mode: Env['PIPELINE_MODE'];
    batchSize: number;
    batchWaitMs: number;
    /** PIPELINE_LOCAL_PUBLISH: new runs publish as a local activity (docs/pipeline.md, "Publishing"). */
    localPublish: boolean;
    /** PIPELINE_LOCAL_FETCH: new runs fetch as a local activity (docs/pipeline.md, "Fetching in the workflows worker"). */
    localFetch: boolean;
  };
  alerts: {
    smtpUrl: string;
    from: string;
    recipients: string[];
    subject: string;
    digestIntervalSeconds: number;
    /** Language of alert mails (ALERT_MAIL_LOCALE). */
    mailLocale: Locale;
  };
  fetch: {
    spiderApi: string | undefined;
    timeoutSeconds: number;
    maxBytes: number;
    maxRedirects: number;
    allowPrivateNetworks: boolean;
    userAgent: string;
  };
  extract: {
    threads: number;
    timeoutMs: number;
  };
  tagging: {
    serviceType: string;
    rulesFile: string | undefined;
    modelFile: string | undefined;
    threads: number;
  };
  ingest: {
    allowedSchemes: string[];
    maxUploadBytes: number;
  };
  generators: {
    timeoutSeconds: number;
    sandboxMode: 'auto' | 'bwrap' | 'limits';
    sandboxUser: string;
  };
  web: { host: string; port: number; token: string | undefined };
  metrics: { host: string; port: number };
  /** How long-running processes start, wait for lost dependencies and stop (infra/process/lifecycle.ts). */
  process: { startTimeoutMs: number; dependencyLossMs: number; shutdownTimeoutMs: number };
  log: { level: Env['LOG_LEVEL']; format: Env['LOG_FORMAT'] };
}

/**
 * Reads and validates crawlflow's configuration from the environment. Empty variables
 * count as unset, so `FOO= crawlflow …` falls back to the default instead of failing.
 *
 * @throws {ConfigError} naming every invalid variable at once.
 */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const name of ENV_VARIABLE_NAMES) {
    const value = environment[name];
    if (value !== undefined && value.trim() !== '') input[name] = value;
  }
  // The profile's address defaults go under what the environment sets (an unknown profile
  // is reported by the schema below, with every other problem).
  const profile = input.CRAWLFLOW_STACK_PROFILE?.trim();
  if (profile !== undefined && (STACK_PROFILES as readonly string[]).includes(profile)) {
    for (const [name, value] of Object.entries(profileDefaults(profile as StackProfile))) input[name] ??= value;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: `${issue.message} (got ${JSON.stringify(input[String(issue.path[0])] ?? '')})`,
      })),
    );
  }
  const env = parsed.data;
  if (env.TAGGER_THREADS !== undefined && env.TAGGER_THREADS < 1) {
    throw new ConfigError([{ variable: 'TAGGER_THREADS', message: 'must be at least 1' }]);
  }
  if (env.KAFKA_MIN_INSYNC_REPLICAS > env.KAFKA_REPLICATION_FACTOR) {
    throw new ConfigError([
      {
        variable: 'KAFKA_MIN_INSYNC_REPLICAS',
        message: `must be at most KAFKA_REPLICATION_FACTOR (${env.KAFKA_REPLICATION_FACTOR}), or no acks=all send could succeed (got ${env.KAFKA_MIN_INSYNC_REPLICAS})`,
      },
    ]);
  }
  return {
    stackProfile: env.CRAWLFLOW_STACK_PROFILE,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      uiUrl: env.TEMPORAL_UI_URL.replace(/\/+$/, ''),
      prefix: env.TASK_QUEUE_PREFIX,
      taskQueues: taskQueueNames(env.TASK_QUEUE_PREFIX),
      eagerStart: env.TEMPORAL_EAGER_START,
    },
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      inputTopic: env.KAFKA_INPUT_TOPIC,
      outputTopic: env.KAFKA_OUTPUT_TOPIC,
      deadLetterTopic: env.KAFKA_DEAD_LETTER_TOPIC,
      consumerGroup: env.KAFKA_CONSUMER_GROUP,
      sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
      topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
      maxMessageBytes: env.KAFKA_MAX_MESSAGE_BYTES,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: env.KAFKA_MIN_INSYNC_REPLICAS,
    },
    mongo: { uri: env.MONGODB_URI },
    payloads: { retentionDays: env.PAYLOAD_RETENTION_DAYS },
    pipeline: {
      mode: env.PIPELINE_MODE,
      batchSize: env.PIPELINE_BATCH_SIZE,
      batchWaitMs: env.PIPELINE_BATCH_WAIT_MS,
      localPublish: env.PIPELINE_LOCAL_PUBLISH,
      localFetch: env.PIPELINE_LOCAL_FETCH,
    },
    alerts: {
      smtpUrl: env.SMTP_URL,
      from: env.ALERT_FROM,
      recipients: env.ALERT_RECIPIENTS,
      subject: env.ALERT_SUBJECT,
      digestIntervalSeconds: env.ALERT_DIGEST_INTERVAL_SECONDS,
      mailLocale: env.ALERT_MAIL_LOCALE,
    },
    fetch: {
      spiderApi: env.SPIDER_API,
      timeoutSeconds: env.SPIDER_TIMEOUT_SECONDS,
      maxBytes: env.FETCH_MAX_BYTES,
      maxRedirects: env.FETCH_MAX_REDIRECTS,
      allowPrivateNetworks: env.FETCH_ALLOW_PRIVATE_NETWORKS,
      userAgent: env.FETCH_USER_AGENT,
    },
    extract: { threads: env.EXTRACT_THREADS, timeoutMs: env.EXTRACT_TIMEOUT_MS },
    tagging: {
      serviceType: env.SERVICE_TYPE,
      rulesFile: env.TAGGER_RULES_FILE,
      modelFile: env.TAGGER_MODEL_FILE,
      threads: env.TAGGER_THREADS ?? availableParallelism(),
    },
    ingest: {
      allowedSchemes: env.URI_ALLOWED_SCHEMES.map((scheme) => scheme.toLowerCase().replace(/:$/, '')),
      maxUploadBytes: env.INGEST_MAX_UPLOAD_BYTES,
    },
    generators: {
      timeoutSeconds: env.GENERATOR_TIMEOUT_SECONDS,
      sandboxMode: env.SANDBOX_MODE,
      sandboxUser: env.SANDBOX_USER,
    },
    web: { host: env.WEB_HOST, port: env.WEB_PORT, token: env.WEB_TOKEN },
    metrics: { host: env.METRICS_HOST, port: env.METRICS_PORT },
    process: {
      startTimeoutMs: env.PROCESS_START_TIMEOUT_SECONDS * 1000,
      dependencyLossMs: env.PROCESS_DEPENDENCY_LOSS_SECONDS * 1000,
      shutdownTimeoutMs: env.PROCESS_SHUTDOWN_TIMEOUT_SECONDS * 1000,
    },
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
  };
}

/** The MongoDB database name in the connection string's path, `crawlflow` when it has none. */
export function mongoDatabaseName(uri: string): string {
  // The path after the host list (one host or a replica set's several), before the options.
  const path = uri.replace(/^mongodb(\+srv)?:\/\/[^/?#]*/, '').replace(/[?#].*$/, '').replace(/^\//, '');
  return path === '' ? 'crawlflow' : decodeURIComponent(path);
}
