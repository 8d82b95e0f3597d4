/**
 * The two shapes of the local stack (`npm run stack -- up [--profile cluster]`) and the
 * addresses each listens on. `CRAWLFLOW_STACK_PROFILE` picks one; crawlflow's defaults for
 * the service addresses then point at that profile, so `CRAWLFLOW_STACK_PROFILE=cluster
 * crawlflow up` and `CRAWLFLOW_STACK_PROFILE=cluster npm test` need nothing else set.
 *
 * The cluster profile has ports of its own (dev port + 10000 where that is free) and a state
 * directory of its own, so both run side by side on one machine.
 */

export const STACK_PROFILES = ['dev', 'cluster'] as const;
export type StackProfile = (typeof STACK_PROFILES)[number];

const HOST = '127.0.0.1';

export const CLUSTER_PORTS = {
  /** Temporal frontend gRPC (the dev server: 7233). */
  temporalFrontend: 17233,
  temporalFrontendHttp: 17243,
  temporalHistory: 17234,
  temporalMatching: 17235,
  temporalWorker: 17239,
  /** Membership (ringpop) ports of frontend, history, matching, worker. */
  temporalMembership: { frontend: 16933, history: 16934, matching: 16935, worker: 16939 },
  temporalUi: 18233,
  postgres: 55432,
  /** Client listeners of the three brokers, node ids 1-3. */
  kafkaBrokers: [19092, 19093, 19094],
  /** KRaft controller listeners of the same three nodes. */
  kafkaControllers: [19095, 19096, 19097],
  mongodb: 37017,
  smtp: 11025,
  mailWeb: 11080,
} as const;

/** The variables whose default depends on the profile, and their cluster values. */
export const CLUSTER_PROFILE_DEFAULTS: Readonly<Record<string, string>> = {
  TEMPORAL_ADDRESS: `${HOST}:${CLUSTER_PORTS.temporalFrontend}`,
  TEMPORAL_UI_URL: `http://${HOST}:${CLUSTER_PORTS.temporalUi}`,
  KAFKA_BROKERS: CLUSTER_PORTS.kafkaBrokers.map((port) => `${HOST}:${port}`).join(','),
  KAFKA_REPLICATION_FACTOR: '3',
  KAFKA_MIN_INSYNC_REPLICAS: '2',
  MONGODB_URI: `mongodb://${HOST}:${CLUSTER_PORTS.mongodb}/crawlflow`,
  SMTP_URL: `smtp://${HOST}:${CLUSTER_PORTS.smtp}`,
};

/**
 * The profile named by `CRAWLFLOW_STACK_PROFILE` (empty or unset: dev).
 *
 * @throws {Error} naming the variable and the profiles there are, for any other value.
 */
export function stackProfile(environment: NodeJS.ProcessEnv = process.env): StackProfile {
  const value = environment.CRAWLFLOW_STACK_PROFILE?.trim() || 'dev';
  if (!(STACK_PROFILES as readonly string[]).includes(value)) {
    throw new Error(`CRAWLFLOW_STACK_PROFILE: must be ${STACK_PROFILES.join(' or ')} (got ${JSON.stringify(value)})`);
  }
  return value as StackProfile;
}

/** The defaults a profile puts under the environment (nothing for dev: the schema's defaults). */
export function profileDefaults(profile: StackProfile): Readonly<Record<string, string>> {
  return profile === 'cluster' ? CLUSTER_PROFILE_DEFAULTS : {};
}

/** The MongoDB server (no database) of the profile's stack, for names a test or bench makes. */
export function profileMongoServer(profile: StackProfile): string {
  return profile === 'cluster' ? `mongodb://${HOST}:${CLUSTER_PORTS.mongodb}` : `mongodb://${HOST}:27017`;
}

/** MailDev's web UI in the profile's stack (the alert mails a person reads). */
export function profileMailWebUrl(profile: StackProfile): string {
  return `http://${HOST}:${profile === 'cluster' ? CLUSTER_PORTS.mailWeb : 1080}`;
}
