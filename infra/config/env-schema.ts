import { LOCALES, parseLocale } from '../i18n/i18n';
import { z } from 'zod';

/**
 * Every environment variable crawlflow reads, with its default and what it is for.
 * Defaults point at the local stack (`npm run stack -- up`), so nothing needs setting
 * on a developer machine. The README's configuration table is checked against this list.
 */

const text = (fallback: string) => z.string().trim().min(1, 'must not be empty').default(fallback);
const optionalText = () =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === '' ? undefined : value));
const positiveInt = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().positive('must be greater than 0'))
    .default(fallback);
const wholeNumber = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(0))
    .default(fallback);
const port = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(65535, 'must be a port number (0-65535)'))
    .default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes')
    .default(fallback);
const list = (fallback: string[]) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    )
    .default(fallback);
const hostPort = (fallback: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'must be host:port')
    .default(fallback);
const url = (fallback: string, protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`)
    .default(fallback);
const optionalUrl = (protocols: string[]) =>
  optionalText().refine((value) => {
    if (value === undefined) return true;
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be empty or a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/**
 * A MongoDB connection string. Not WHATWG URL parsing: a replica set's string names several
 * hosts (`mongodb://a:27017,b:27017/db?replicaSet=rs0`), which `new URL` refuses.
 */
const mongoUri = (fallback: string) =>
  z
    .string()
    .trim()
    .regex(/^mongodb(\+srv)?:\/\/[^/?#\s]+(\/[^\s]*)?$/, 'must be a URL starting with mongodb:// or mongodb+srv:// followed by host[:port][,host[:port]…]')
    .default(fallback);

export const envSchema = z.object({
  // Which local stack the address defaults point at (infra/config/stack-profile.ts)
  CRAWLFLOW_STACK_PROFILE: z
    .enum(['dev', 'cluster'], { error: 'must be dev or cluster' })
    .default('dev')
    .describe(
      'Local stack the defaults point at: dev (dev server, one broker) or cluster (Temporal server on PostgreSQL, three brokers; own ports, docs/deploy.md); `npm run stack`, `crawlflow up` and `npm test` use it too',
    ),

  // Temporal
  TEMPORAL_ADDRESS: hostPort('127.0.0.1:7233').describe('Temporal frontend gRPC address'),
  TEMPORAL_NAMESPACE: text('default').describe('Temporal namespace'),
  TEMPORAL_UI_URL: url('http://127.0.0.1:8233', ['http:', 'https:']).describe(
    'Temporal Web UI base URL, used for links to runs',
  ),
  TASK_QUEUE_PREFIX: text('crawlflow').describe(
    'Prefix of the task queue names: <prefix>-workflows, -io, -cpu, -sandbox',
  ),
  TEMPORAL_EAGER_START: flag(true).describe(
    "The bridge runs a workflows worker on its own connection and asks for eager start: each new run's first workflow task comes back in the start's answer",
  ),

  // Kafka
  KAFKA_BROKERS: list(['127.0.0.1:9092']).describe('Comma-separated Kafka bootstrap brokers'),
  KAFKA_CLIENT_ID: text('crawlflow').describe('Kafka client id'),
  KAFKA_INPUT_TOPIC: text('crawlflow.messages').describe("Topic the bridge consumes (the seed's sub_topics)"),
  KAFKA_OUTPUT_TOPIC: text('crawlflow.tagged').describe("Topic tagged messages are published to (the seed's pub_topics)"),
  KAFKA_DEAD_LETTER_TOPIC: text('crawlflow.dead-letter').describe('Topic for records that are not valid messages'),
  KAFKA_CONSUMER_GROUP: text('crawlflow-bridge').describe("The bridge's consumer group (the seed's consumer_group)"),
  KAFKA_SESSION_TIMEOUT_MS: positiveInt(10_000).describe(
    "How long the bridge's consumer may go without a heartbeat before its group drops it, in ms (within the brokers' group.min/max.session.timeout.ms, 6000–1800000 by default). After a broker that coordinated the group dies, the bridge rejoins and waits this long for its old membership to lapse",
  ),
  KAFKA_TOPIC_PARTITIONS: positiveInt(3).describe('Partitions of the topics crawlflow creates'),
  KAFKA_MAX_MESSAGE_BYTES: positiveInt(1_048_576).describe('Largest record crawlflow accepts or publishes, in bytes'),
  KAFKA_REPLICATION_FACTOR: positiveInt(1).describe(
    'Replication factor of the topics crawlflow creates (3 in the cluster profile and docker-compose)',
  ),
  KAFKA_MIN_INSYNC_REPLICAS: positiveInt(1).describe(
    "min.insync.replicas of crawlflow's topics: replicas that must have a record before an acks=all send succeeds (2 in the cluster profile and docker-compose); at most KAFKA_REPLICATION_FACTOR",
  ),

  // MongoDB
  MONGODB_URI: mongoUri('mongodb://127.0.0.1:27017/crawlflow').describe(
    'MongoDB connection string; the database name in its path is used',
  ),

  PAYLOAD_RETENTION_DAYS: positiveInt(45).describe(
    'Claim-check payloads (page HTML and text, large messages) not stored or read for this many days are deleted by the daily payload-prune schedule; keep it above the Temporal namespace retention (30 days) so replays and resets still find theirs',
  ),

  // Mail and alerts
  SMTP_URL: url('smtp://127.0.0.1:1025', ['smtp:', 'smtps:']).describe('SMTP relay alert mails go through'),
  ALERT_FROM: text('crawlflow <crawlflow@localhost>').describe('From address of alert mails'),
  ALERT_RECIPIENTS: list(['ops@localhost']).describe("Comma-separated alert recipients (the seed's monitor_mail_list)"),
  ALERT_SUBJECT: text('[crawlflow] failures').describe("Subject prefix of alert digests (the seed's monitor_mail_sub)"),
  ALERT_DIGEST_INTERVAL_SECONDS: positiveInt(60).describe('How often pending alerts are mailed as one digest'),
  ALERT_MAIL_LOCALE: z
    .string()
    .trim()
    .default('en')
    .refine((value) => parseLocale(value) !== undefined, { error: `must be one of ${LOCALES.join(', ')}` })
    .transform((value) => parseLocale(value)!)
    .describe('Language of alert mails: en or zh-CN'),

  // Message pipeline
  PIPELINE_MODE: z
    .enum(['message', 'batch'], { error: 'must be message or batch' })
    .default('message')
    .describe('How the bridge starts workflows: one per message, or batch (one per window of records of one partition, for backlogs)'),
  PIPELINE_BATCH_SIZE: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be greater than 0').max(256, 'must be at most 256 (a window is one workflow input)'))
    .default(64)
    .describe('Batch mode: most records of one partition in one window (one workflow)'),
  PIPELINE_BATCH_WAIT_MS: wholeNumber(200).describe(
    'Batch mode: longest a window shorter than PIPELINE_BATCH_SIZE waits for more records before it starts',
  ),
  PIPELINE_LOCAL_PUBLISH: flag(true).describe(
    'Runs publish their tagged messages as a local activity of the workflows worker that runs them (one workflow task and one activity task fewer per run); false publishes on the io queue',
  ),
  PIPELINE_LOCAL_FETCH: flag(false).describe(
    'Runs fetch their pages as a local activity of the workflows worker that runs them (one workflow task and one activity task fewer per run; that worker then fetches and extracts too); false fetches on the io queue',
  ),

  // Fetching
  SPIDER_API: optionalUrl(['http:', 'https:']).describe(
    'Spider API the URL is posted to; empty means a direct GET of the URL',
  ),
  SPIDER_TIMEOUT_SECONDS: positiveInt(30).describe("Timeout of one fetch (the seed's SPIDER_TIMEOUT)"),
  FETCH_MAX_BYTES: positiveInt(10 * 1024 * 1024).describe('Largest page body fetched, in bytes'),
  FETCH_MAX_REDIRECTS: positiveInt(5).describe('Redirects followed by a direct fetch'),
  FETCH_ALLOW_PRIVATE_NETWORKS: flag(false).describe(
    'Let direct fetches reach loopback, private and link-local addresses (SSRF guard off)',
  ),
  FETCH_USER_AGENT: text('crawlflow/0.1').describe('User-Agent of direct fetches'),
  EXTRACT_THREADS: positiveInt(1).describe("Worker threads of the io worker that extract pages' main text"),
  EXTRACT_TIMEOUT_MS: positiveInt(5000).describe("Time one page's main-text extraction may take before the page gets its full text"),

  // Tagging
  SERVICE_TYPE: text('wx').describe("Service type whose tagging rules apply (the seed's SERVICE_TYPE)"),
  TAGGER_RULES_FILE: optionalText().describe('Tagging rules file (JSON or YAML); empty means the built-in rules'),
  TAGGER_MODEL_FILE: optionalText().describe('Trained classifier model file; empty means rules only'),
  TAGGER_THREADS: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .optional()
    .describe('Tagging worker threads; default is the number of cores'),

  // URI ingest and generators
  URI_ALLOWED_SCHEMES: list(['http', 'https']).describe('URI schemes ingest accepts'),
  INGEST_MAX_UPLOAD_BYTES: positiveInt(50 * 1024 * 1024).describe('Largest uploaded URI file or script, in bytes'),
  GENERATOR_TIMEOUT_SECONDS: positiveInt(300).describe('Default wall-time limit of one generator script run'),
  SANDBOX_MODE: z
    .enum(['auto', 'bwrap', 'limits'], { error: 'must be auto, bwrap or limits' })
    .default('auto')
    .describe('Script sandbox: bwrap, limits only, or auto (bwrap where it runs)'),
  SANDBOX_USER: text('crawlflow-sandbox').describe('Unprivileged user generator scripts run as'),

  // Processes
  WEB_HOST: text('127.0.0.1').describe('Address `crawlflow web` listens on'),
  WEB_PORT: port(8080).describe('Port `crawlflow web` listens on'),
  WEB_TOKEN: optionalText().describe(
    'Access token of the web page and HTTP API; empty means a random one per start, printed in the log',
  ),
  METRICS_HOST: text('127.0.0.1').describe('Address the metrics and health endpoints listen on'),
  METRICS_PORT: port(0).describe(
    'Port of the metrics and health endpoints; 0 picks the per-process default (workers 9464 workflows, 9465 io, 9466 cpu, 9467 sandbox; bridge 9468; web 9469; feeder 9470), the Temporal SDK exporter of a worker listens 10 above (docs/operations.md)',
  ),
  PROCESS_START_TIMEOUT_SECONDS: positiveInt(60).describe(
    'Longest a long-running process (bridge, feeder, web, worker, up) may take to start; past it, or when its start fails, it exits with status 1',
  ),
  PROCESS_DEPENDENCY_LOSS_SECONDS: wholeNumber(300).describe(
    'How long a running process waits for a dependency that stopped answering (Temporal, Kafka, MongoDB) before it exits with status 1 so its supervisor restarts it; 0 waits forever',
  ),
  PROCESS_SHUTDOWN_TIMEOUT_SECONDS: positiveInt(25).describe(
    'Longest a process may take to stop on SIGINT/SIGTERM (in-flight work finishes, clients close) before it exits anyway',
  ),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      error: 'must be one of trace, debug, info, warn, error, fatal, silent',
    })
    .default('info')
    .describe('Log level'),
  LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' })
    .default('auto')
    .describe('Log format: JSON lines, human-readable, or auto (pretty on a terminal)'),
});

export type Env = z.output<typeof envSchema>;
export type EnvVariableName = keyof typeof envSchema.shape;
export const ENV_VARIABLE_NAMES = Object.keys(envSchema.shape) as EnvVariableName[];
