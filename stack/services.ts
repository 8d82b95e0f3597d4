import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { SEARCH_ATTRIBUTE_TYPES } from '../common/search-attributes';
import type { StackPaths } from './paths';
import { logFile, portOpen, startDetached, type StartOptions } from './processes';
import { runCommand } from './run-command';

/**
 * The services of the local stack, each installed from a registry this machine reaches
 * and run on loopback. Versions are pinned here; the README's service table mirrors them.
 */

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/**
 * The SQLite driver the dev server is built with. v1.5.1 ships modernc.org/sqlite v1.34.1,
 * whose connection can stay "interrupted" after a query is cancelled under load: every later
 * query fails with `interrupted (9)` until the process restarts (seen here at load 20; fixed
 * upstream in v1.44.3, the version Temporal itself moved to).
 */
export const TEMPORAL_SQLITE_VERSION = 'v1.44.3';
export const FERRETDB_VERSION = 'v1.24.2';
export const KAFKA_VERSION = '4.1.1';
/** How long closed workflows (and so their ids, which de-duplicate messages) are kept. */
export const NAMESPACE_RETENTION = '30d';

export interface StackService {
  name: string;
  /** What a person connects to. */
  endpoints: string[];
  installed(): boolean;
  install(): Promise<void>;
  /** Services that must answer before this one starts (waited for even when not selected). */
  dependsOn?: string[];
  /** Runs once those answer, right before `start` (schema setup, config files); idempotent. */
  prepare?(): Promise<void>;
  start(): number;
  /** True once the service really answers requests, not merely listens. */
  ready(): Promise<boolean>;
  /**
   * True while a running service still does its work, for the supervisor's probe.
   * @default `ready()`
   */
  healthy?(): Promise<boolean>;
  /** One-off setup once ready (namespaces, retention); must be idempotent. */
  afterReady?(): Promise<void>;
  startTimeoutMs: number;
  /** host:port that tells whether anything already listens there. */
  port: { host: string; port: number };
}

export const HOST = '127.0.0.1';

/** The dev profile's services (the cluster profile's are in cluster-services.ts). */
export function devServices(paths: StackPaths, repoRoot: string): StackService[] {
  return [temporal(paths), kafka(paths), mongo(paths), mail(paths, repoRoot)];
}

export function goEnv(paths: StackPaths): NodeJS.ProcessEnv {
  return { ...process.env, GOBIN: paths.bin, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' };
}

/**
 * The dev server's SQLite pragmas. WAL with synchronous=NORMAL: commits survive a crash of the
 * server process (runs survive a restart) without an fsync per write, which capped the server
 * at a few workflows per second on our disks (docs/pipeline.md has the measurement).
 */
export const TEMPORAL_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

/** Dynamic configuration of the dev server (docs/pipeline.md measures each value). */
export const TEMPORAL_DYNAMIC_CONFIG: Readonly<Record<string, string>> = {
  // Task-queue priority (generator priorities) needs the new matcher on this server version.
  'matching.useNewMatcher': 'true',
  // One partition per task queue: the backlog is then served strictly by priority (with the
  // default 4, each partition orders its own share), and one machine gains nothing from more.
  'matching.numTaskqueueReadPartitions': '1',
  'matching.numTaskqueueWritePartitions': '1',
};

/**
 * The arguments of `temporal server start-dev` for the stack (and for throw-away servers the
 * benchmarks start beside it, with `dynamicConfig` overriding single values).
 */
export function temporalDevServerArgs(options: {
  port: number;
  uiPort: number;
  dbFile: string;
  dynamicConfig?: Record<string, string | undefined>;
  sqlitePragmas?: readonly string[];
  /** @default true */
  searchAttributes?: boolean;
}): string[] {
  const dynamicConfig = { ...TEMPORAL_DYNAMIC_CONFIG, ...options.dynamicConfig };
  return [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(options.port),
    '--ui-ip',
    HOST,
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFile,
    ...(options.sqlitePragmas ?? TEMPORAL_SQLITE_PRAGMAS).flatMap((pragma) => ['--sqlite-pragma', pragma]),
    '--log-format',
    'json',
    '--log-level',
    'warn',
    ...Object.entries(dynamicConfig).flatMap(([key, value]) => (value === undefined ? [] : ['--dynamic-config-value', `${key}=${value}`])),
    // Registered when the database file is created; on an existing file `crawlflow setup`
    // adds the missing ones (infra/temporal/search-attributes.ts).
    ...(options.searchAttributes === false ? [] : Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`])),
  ];
}

function temporal(paths: StackPaths): StackService {
  // Everyone runs `bin/temporal`; it links to the build of the pinned versions, so a new pin
  // is a new file and every machine rebuilds.
  const binary = join(paths.bin, 'temporal');
  const build = temporalBuild(paths);
  const cli = (args: string[]) => runCommand(binary, [...args, '--address', `${HOST}:7233`], { quiet: true });
  return {
    name: 'temporal',
    endpoints: [`grpc ${HOST}:7233`, `web ui http://${HOST}:8233`],
    port: { host: HOST, port: 7233 },
    startTimeoutMs: 120_000,
    installed: () => existsSync(build) && existsSync(binary) && realpathSync(binary) === realpathSync(build),
    async install() {
      if (!existsSync(build)) await buildTemporalCli(paths, build);
      const link = `${binary}.${process.pid}.link`;
      rmSync(link, { force: true });
      symlinkSync(basename(build), link);
      renameSync(link, binary);
    },
    start() {
      mkdirSync(paths.data, { recursive: true });
      return startDetached(paths, 'temporal', {
        command: binary,
        args: temporalDevServerArgs({ port: 7233, uiPort: 8233, dbFile: join(paths.data, 'temporal.sqlite') }),
      });
    },
    async ready() {
      if (!(await portOpen(HOST, 7233))) return false;
      const output = await cli(['operator', 'cluster', 'health']);
      return output.includes('SERVING');
    },
    async healthy() {
      // Reads the namespace from the server's database: the dev server can answer "SERVING"
      // while every query of its SQLite connection fails with "interrupted (9)" (NOTES.md).
      const output = await cli(['operator', 'namespace', 'describe', '--namespace', 'default', '--command-timeout', '5s', '--output', 'json']);
      return output.includes('"name": "default"');
    },
    async afterReady() {
      // The 24 h default would let a re-delivered Kafka record start a second run a day later.
      await cli(['operator', 'namespace', 'update', '--namespace', 'default', '--retention', NAMESPACE_RETENTION]);
    },
  };
}

function temporalBuild(paths: StackPaths): string {
  return join(paths.bin, `temporal-${TEMPORAL_CLI_VERSION}-sqlite-${TEMPORAL_SQLITE_VERSION}`);
}

/**
 * Builds the Temporal CLI (its dev server) from the module's source as the main module, with
 * the SQLite driver raised to TEMPORAL_SQLITE_VERSION. (`go install …/cli@version` cannot
 * change a dependency, and later CLI tags carry a `replace` directive that `go install` refuses.)
 */
async function buildTemporalCli(paths: StackPaths, output: string): Promise<void> {
  const json = await runCommand('go', ['mod', 'download', '-json', `github.com/temporalio/cli@${TEMPORAL_CLI_VERSION}`], { env: goEnv(paths), quiet: true });
  const moduleDir = (JSON.parse(json) as { Dir: string }).Dir;
  const source = join(paths.src, basename(output));
  rmSync(source, { recursive: true, force: true });
  cpSync(moduleDir, source, { recursive: true });
  makeWritable(source);
  await runCommand('go', ['get', `modernc.org/sqlite@${TEMPORAL_SQLITE_VERSION}`], { cwd: source, env: goEnv(paths) });
  mkdirSync(paths.bin, { recursive: true });
  await runCommand('go', ['build', '-o', output, './cmd/temporal'], { cwd: source, env: goEnv(paths) });
}

function kafka(paths: StackPaths): StackService {
  const home = kafkaHome(paths);
  const dataDir = join(paths.data, 'kafka');
  return kafkaNode(paths, {
    name: 'kafka',
    nodeId: 1,
    port: 9092,
    voters: [{ nodeId: 1, port: 9093 }],
    replication: { factor: 1, minInsync: 1 },
    dataDir,
    // Written at install (the dev profile's file since the first version of the stack).
    propertiesFile: join(home, 'server.properties'),
    clusterId: () => randomBytes(16).toString('base64url'),
  });
}

function kafkaHome(paths: StackPaths): string {
  return join(paths.src, `kafka-${KAFKA_VERSION}`);
}

export interface KafkaNodeOptions {
  /** The service name (`kafka`, `kafka-1` …). */
  name: string;
  nodeId: number;
  /** Client listener on loopback. */
  port: number;
  /** Every controller of the quorum; this node is one of them (combined broker+controller). */
  voters: ReadonlyArray<{ nodeId: number; port: number }>;
  /** Of the internal topics (offsets, transactions) and of topics created without a factor. */
  replication: { factor: number; minInsync: number };
  dataDir: string;
  propertiesFile: string;
  /** The KRaft cluster id, used when the storage is formatted the first time. */
  clusterId: () => string;
  /** Java heap; the three cluster brokers get less than the one dev broker. @default 1g */
  maxHeap?: string;
}

/**
 * One Kafka node in KRaft combined mode (broker and controller in one JVM) on the Maven
 * Central jars: the dev profile runs one, the cluster profile three with a three-voter quorum.
 */
export function kafkaNode(paths: StackPaths, options: KafkaNodeOptions): StackService {
  const home = kafkaHome(paths);
  const libs = join(home, 'libs');
  const log4j = join(home, 'log4j2.properties');
  const { dataDir, propertiesFile } = options;
  const self = options.voters.find((voter) => voter.nodeId === options.nodeId);
  if (!self) throw new Error(`kafka node ${options.nodeId} is not among its voters`);
  const java = (args: string[]): StartOptions => ({
    command: 'java',
    args: ['-Xms256m', `-Xmx${options.maxHeap ?? '1g'}`, `-Dlog4j2.configurationFile=${log4j}`, '-cp', `${libs}/*`, ...args],
  });
  const writeProperties = () => writeFileSync(propertiesFile, kafkaProperties({ ...options, controllerPort: self.port }));
  return {
    name: options.name,
    endpoints: [`broker ${HOST}:${options.port}`],
    port: { host: HOST, port: options.port },
    startTimeoutMs: 120_000,
    installed: () => existsSync(join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`)) && existsSync(log4j) && existsSync(propertiesFile),
    async install() {
      if (!existsSync(join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
        mkdirSync(home, { recursive: true });
        writeFileSync(join(home, 'pom.xml'), kafkaPom());
        await runCommand(
          'mvn',
          ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
          { cwd: home },
        );
      }
      writeFileSync(log4j, KAFKA_LOG4J);
      mkdirSync(dirname(propertiesFile), { recursive: true });
      writeProperties();
    },
    start() {
      // Format the KRaft storage once; a formatted directory keeps its topics across restarts.
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        mkdirSync(dataDir, { recursive: true });
        const format = java([
          'kafka.tools.StorageTool',
          'format',
          '--ignore-formatted',
          '--cluster-id',
          options.clusterId(),
          '--config',
          propertiesFile,
        ]);
        const result = spawnSync(format.command, format.args, { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`${options.name} storage format failed:\n${result.stdout}${result.stderr}`);
      }
      return startDetached(paths, options.name, java(['kafka.Kafka', propertiesFile]));
    },
    async ready() {
      if (!(await portOpen(HOST, options.port))) return false;
      const admin = new Kafka({ brokers: [`${HOST}:${options.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.some((broker) => broker.nodeId === options.nodeId) && cluster.controller !== null;
      } finally {
        await admin.disconnect();
      }
    },
  };
}

function kafkaPom(): string {
  const dependency = (group: string, artifact: string, version: string) =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.crawlflow</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${dependency('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
${dependency('org.slf4j', 'slf4j-api', '2.0.17')}
${dependency('org.apache.logging.log4j', 'log4j-slf4j2-impl', '2.24.3')}
${dependency('org.apache.logging.log4j', 'log4j-core', '2.24.3')}
  </dependencies>
</project>
`;
}

function kafkaProperties(options: KafkaNodeOptions & { controllerPort: number }): string {
  const { factor, minInsync } = options.replication;
  const voters = options.voters.map((voter) => `${voter.nodeId}@${HOST}:${voter.port}`).join(',');
  return `# Written by crawlflow's stack script: a KRaft broker+controller on loopback (node ${options.nodeId} of ${options.voters.length}).
process.roles=broker,controller
node.id=${options.nodeId}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://${HOST}:${options.port},CONTROLLER://${HOST}:${options.controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${options.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${options.dataDir}
num.partitions=1
default.replication.factor=${factor}
min.insync.replicas=${minInsync}
offsets.topic.replication.factor=${factor}
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=${factor}
transaction.state.log.min.isr=${minInsync}
share.coordinator.state.topic.replication.factor=${factor}
share.coordinator.state.topic.min.isr=${minInsync}
# crawlflow creates its topics itself; a typo must not create a new one.
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
`;
}

const KAFKA_LOG4J = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
`;

/**
 * crawlflow's patch to FerretDB's SQLite backend (docs/data-model.md, "FerretDB, patched"):
 * filters on `_id` — equality, `$in`, ObjectId ranges, in any filter — are answered from the
 * unique `_id` index, and a find sorted by `_id` over an ObjectId range streams in index order.
 * Stock 1.24.2 compares an expression the index does not cover, so every query scanned.
 */
export const FERRETDB_PATCH_FILE = join(__dirname, 'patches', `ferretdb-${FERRETDB_VERSION}-id-pushdown.patch`);

/** Names a build by its patch: a changed patch is a new binary, so every machine rebuilds. */
export function ferretdbPatchId(): string {
  return createHash('sha256').update(readFileSync(FERRETDB_PATCH_FILE)).digest('hex').slice(0, 12);
}

/** The version the patched server reports (`buildInfo.ferretdbVersion`). */
export function ferretdbBuildVersion(): string {
  return `${FERRETDB_VERSION}-crawlflow.${ferretdbPatchId()}`;
}

export function ferretdbBinary(paths: StackPaths, build: 'patched' | 'stock' = 'patched'): string {
  return join(paths.bin, build === 'patched' ? `ferretdb-${ferretdbBuildVersion()}` : `ferretdb-${FERRETDB_VERSION}-stock`);
}

/**
 * Builds FerretDB from its module source, patched (what the stack runs) or stock (the
 * baseline of `npm run bench:store`). Only the Go module proxy is needed.
 */
export async function buildFerretdb(paths: StackPaths, build: 'patched' | 'stock' = 'patched'): Promise<string> {
  // `go install …/ferretdb@v1.24.2` fails here: it looks up the module's deprecation
  // through the proxy's version list, which this network refuses. Building the module's
  // source as the main module avoids that lookup, and FerretDB refuses to start unless
  // build/version/version.txt names its version, which a module download lacks.
  const json = await runCommand('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], {
    env: goEnv(paths),
    quiet: true,
  });
  const moduleDir = (JSON.parse(json) as { Dir: string }).Dir;
  const version = build === 'patched' ? ferretdbBuildVersion() : FERRETDB_VERSION;
  const source = join(paths.src, `ferretdb-${build === 'patched' ? version : `${version}-stock`}`);
  rmSync(source, { recursive: true, force: true });
  cpSync(moduleDir, source, { recursive: true });
  makeWritable(source);
  if (build === 'patched') {
    // GIT_CEILING_DIRECTORIES: apply to this directory even when the stack home lies inside a repository.
    await runCommand('git', ['apply', '--whitespace=nowarn', FERRETDB_PATCH_FILE], {
      cwd: source,
      env: { ...process.env, GIT_CEILING_DIRECTORIES: paths.src },
    });
  }
  writeFileSync(join(source, 'build', 'version', 'version.txt'), `${version}\n`);
  mkdirSync(paths.bin, { recursive: true });
  const binary = ferretdbBinary(paths, build);
  await runCommand('go', ['build', '-o', binary, './cmd/ferretdb'], { cwd: source, env: goEnv(paths) });
  return binary;
}

/** The arguments that run FerretDB on SQLite files in `dataDir`, listening on `address`. */
export function ferretdbArgs(dataDir: string, address: string): string[] {
  return [
    '--handler=sqlite',
    `--sqlite-url=file:${dataDir}/`,
    `--state-dir=${dataDir}`,
    `--listen-addr=${address}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
  ];
}

export function mongo(paths: StackPaths, port = 27017): StackService {
  const binary = ferretdbBinary(paths);
  // The data directory is the stock build's: the patch changes queries, not the SQLite schema.
  const dataDir = join(paths.data, 'ferretdb');
  return {
    name: 'mongodb',
    endpoints: [`mongodb://${HOST}:${port} (FerretDB ${ferretdbBuildVersion()}, SQLite)`],
    port: { host: HOST, port },
    startTimeoutMs: 60_000,
    installed: () => existsSync(binary),
    async install() {
      await buildFerretdb(paths);
    },
    start() {
      mkdirSync(dataDir, { recursive: true });
      return startDetached(paths, 'mongodb', { command: binary, args: ferretdbArgs(dataDir, `${HOST}:${port}`) });
    },
    async ready() {
      if (!(await portOpen(HOST, port))) return false;
      const client = new MongoClient(`mongodb://${HOST}:${port}`, { serverSelectionTimeoutMS: 2000 });
      try {
        await client.connect();
        const reply = await client.db('admin').command({ ping: 1 });
        return reply.ok === 1;
      } finally {
        await client.close();
      }
    },
    async afterReady() {
      // A server started before the patch changed keeps running the old build until restarted.
      const running = await runningFerretdbVersion(`mongodb://${HOST}:${port}`);
      if (running !== ferretdbBuildVersion()) {
        process.stderr.write(
          `[stack] mongodb runs FerretDB ${running ?? '(unknown)'}, not this build ${ferretdbBuildVersion()}: ` +
            'restart it with `npm run stack -- down mongodb && npm run stack -- up mongodb`\n',
        );
      }
    },
  };
}

/** `buildInfo.ferretdbVersion` of the server at `uri` (undefined for real MongoDB). */
export async function runningFerretdbVersion(uri: string): Promise<string | undefined> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : undefined;
  } finally {
    await client.close();
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(path);
    else chmodSync(path, 0o644);
  }
}

export function mail(paths: StackPaths, repoRoot: string, ports = { smtp: 1025, web: 1080 }): StackService {
  // MailDev is a dev dependency of the repo, so `npm install` installs it at the locked version.
  const binary = join(repoRoot, 'node_modules', 'maildev', 'bin', 'maildev');
  return {
    name: 'mail',
    endpoints: [`smtp ${HOST}:${ports.smtp}`, `web ui and REST API http://${HOST}:${ports.web}`],
    port: { host: HOST, port: ports.smtp },
    startTimeoutMs: 30_000,
    installed: () => existsSync(binary),
    async install() {
      throw new Error(`MailDev is missing at ${binary}: run \`npm install\` in the repository first`);
    },
    start() {
      return startDetached(paths, 'mail', {
        command: process.execPath,
        args: [binary, '--smtp', String(ports.smtp), '--web', String(ports.web), '--ip', HOST, '--web-ip', HOST],
      });
    },
    async ready() {
      const response = await fetch(`http://${HOST}:${ports.web}/healthz`);
      return response.ok;
    },
  };
}

export { logFile };
