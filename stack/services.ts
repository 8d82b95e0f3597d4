import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
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

const HOST = '127.0.0.1';

export function stackServices(paths: StackPaths, repoRoot: string): StackService[] {
  return [temporal(paths), kafka(paths), mongo(paths), mail(paths, repoRoot)];
}

function goEnv(paths: StackPaths): NodeJS.ProcessEnv {
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
    // adds the missing ones (domain/temporal/search-attributes.ts).
    ...(options.searchAttributes === false ? [] : Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`])),
  ];
}

function temporal(paths: StackPaths): StackService {
  const binary = join(paths.bin, 'temporal');
  const cli = (args: string[]) => runCommand(binary, [...args, '--address', `${HOST}:7233`], { quiet: true });
  return {
    name: 'temporal',
    endpoints: [`grpc ${HOST}:7233`, `web ui http://${HOST}:8233`],
    port: { host: HOST, port: 7233 },
    startTimeoutMs: 120_000,
    installed: () => existsSync(binary),
    async install() {
      // Later CLI tags carry a `replace` directive in go.mod and cannot be `go install`ed.
      await runCommand('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
        env: goEnv(paths),
      });
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

function kafka(paths: StackPaths): StackService {
  const home = join(paths.src, `kafka-${KAFKA_VERSION}`);
  const libs = join(home, 'libs');
  const dataDir = join(paths.data, 'kafka');
  const properties = join(home, 'server.properties');
  const log4j = join(home, 'log4j2.properties');
  const java = (args: string[]): StartOptions => ({
    command: 'java',
    args: ['-Xms256m', '-Xmx1g', `-Dlog4j2.configurationFile=${log4j}`, '-cp', `${libs}/*`, ...args],
  });
  return {
    name: 'kafka',
    endpoints: [`broker ${HOST}:9092`],
    port: { host: HOST, port: 9092 },
    startTimeoutMs: 120_000,
    installed: () => existsSync(join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`)) && existsSync(properties),
    async install() {
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, 'pom.xml'), kafkaPom());
      await runCommand(
        'mvn',
        ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
        { cwd: home },
      );
      writeFileSync(properties, kafkaProperties(dataDir));
      writeFileSync(log4j, KAFKA_LOG4J);
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
          randomBytes(16).toString('base64url'),
          '--config',
          properties,
        ]);
        const result = spawnSync(format.command, format.args, { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`kafka storage format failed:\n${result.stdout}${result.stderr}`);
      }
      return startDetached(paths, 'kafka', java(['kafka.Kafka', properties]));
    },
    async ready() {
      if (!(await portOpen(HOST, 9092))) return false;
      const admin = new Kafka({ brokers: [`${HOST}:9092`], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
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

function kafkaProperties(dataDir: string): string {
  return `# Written by crawlflow's stack script: one KRaft broker+controller on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:9093
listeners=PLAINTEXT://${HOST}:9092,CONTROLLER://${HOST}:9093
advertised.listeners=PLAINTEXT://${HOST}:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${dataDir}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
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

function mongo(paths: StackPaths): StackService {
  const binary = ferretdbBinary(paths);
  // The data directory is the stock build's: the patch changes queries, not the SQLite schema.
  const dataDir = join(paths.data, 'ferretdb');
  return {
    name: 'mongodb',
    endpoints: [`mongodb://${HOST}:27017 (FerretDB ${ferretdbBuildVersion()}, SQLite)`],
    port: { host: HOST, port: 27017 },
    startTimeoutMs: 60_000,
    installed: () => existsSync(binary),
    async install() {
      await buildFerretdb(paths);
    },
    start() {
      mkdirSync(dataDir, { recursive: true });
      return startDetached(paths, 'mongodb', { command: binary, args: ferretdbArgs(dataDir, `${HOST}:27017`) });
    },
    async ready() {
      if (!(await portOpen(HOST, 27017))) return false;
      const client = new MongoClient(`mongodb://${HOST}:27017`, { serverSelectionTimeoutMS: 2000 });
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
      const running = await runningFerretdbVersion(`mongodb://${HOST}:27017`);
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

function mail(paths: StackPaths, repoRoot: string): StackService {
  // MailDev is a dev dependency of the repo, so `npm install` installs it at the locked version.
  const binary = join(repoRoot, 'node_modules', 'maildev', 'bin', 'maildev');
  return {
    name: 'mail',
    endpoints: [`smtp ${HOST}:1025`, `web ui and REST API http://${HOST}:1080`],
    port: { host: HOST, port: 1025 },
    startTimeoutMs: 30_000,
    installed: () => existsSync(binary),
    async install() {
      throw new Error(`MailDev is missing at ${binary}: run \`npm install\` in the repository first`);
    },
    start() {
      return startDetached(paths, 'mail', {
        command: process.execPath,
        args: [binary, '--smtp', '1025', '--web', '1080', '--ip', HOST, '--web-ip', HOST],
      });
    },
    async ready() {
      const response = await fetch(`http://${HOST}:1080/healthz`);
      return response.ok;
    },
  };
}

export { logFile };
