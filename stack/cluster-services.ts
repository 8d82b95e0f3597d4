import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { stringify } from 'yaml';
import { CLUSTER_PORTS } from '../infra/config/stack-profile';
import { ensureSearchAttributes } from '../infra/temporal/search-attributes';
import type { StackPaths } from './paths';
import { portOpen, startDetached } from './processes';
import { runCommand } from './run-command';
import {
  goEnv,
  HOST,
  kafkaNode,
  mail,
  mongo,
  NAMESPACE_RETENTION,
  TEMPORAL_DYNAMIC_CONFIG,
  type StackService,
} from './services';

/**
 * The cluster profile (`npm run stack -- up --profile cluster`): the production topology on
 * one machine, beside the dev profile on ports of its own (infra/config/stack-profile.ts)
 * and with its own state under `<stack home>/cluster`.
 *
 * - postgresql: Debian's PostgreSQL, one server for Temporal's two databases;
 * - temporal: the Temporal server built from its Go module (all four services in one process),
 *   several history shards, its own dynamic config; the `default` namespace and crawlflow's
 *   search attributes are created on first start;
 * - temporal-ui: the Web UI (ui-server, built from its Go module) pointing at it;
 * - kafka-1..3: three KRaft brokers (each also a controller), replication factor 3,
 *   min.insync.replicas 2;
 * - mongodb: FerretDB as in the dev profile (it cannot form a replica set);
 * - mail: MailDev.
 */

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The ui-server the Temporal CLI v1.5.1 embeds (its module carries the built UI). */
export const TEMPORAL_UI_VERSION = 'v2.42.1';
/**
 * History shards of the cluster profile's server. Fixed when the database is created (a
 * different count needs a new database); 4 keeps the per-shard goroutines and database
 * load small on 2 cores. docs/deploy.md says how to size it on real hardware.
 */
export const TEMPORAL_HISTORY_SHARDS = 4;
const PG_USER = 'temporal';
const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

export function clusterServices(paths: StackPaths, repoRoot: string): StackService[] {
  const postgres = postgresql(paths, repoRoot);
  return [
    postgres,
    temporalServer(paths),
    temporalUi(paths),
    ...kafkaCluster(paths),
    mongo(paths, CLUSTER_PORTS.mongodb),
    mail(paths, repoRoot, { smtp: CLUSTER_PORTS.smtp, web: CLUSTER_PORTS.mailWeb }),
  ];
}

/** Debian's PostgreSQL server binaries, newest major version first. */
function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/**
 * PostgreSQL refuses to run as root. As root the server runs as Debian's `postgres` user, whose
 * files cannot live under root's home (not traversable): its data directory is then under
 * /var/lib/postgresql, named after this stack's state directory. Otherwise it runs as the
 * current user in the state directory.
 */
function postgresUser(paths: StackPaths): { uid?: number; gid?: number; dataDir: string } {
  if (process.getuid?.() !== 0) return { dataDir: join(paths.data, 'postgres') };
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('PostgreSQL cannot run as root and there is no `postgres` user: install Debian\'s postgresql package (scripts/install-system-packages.sh)');
  }
  const tag = createHash('sha256').update(paths.data).digest('hex').slice(0, 8);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), dataDir: `/var/lib/postgresql/crawlflow-cluster-${tag}` };
}

function postgresql(paths: StackPaths, repoRoot: string): StackService {
  const port = CLUSTER_PORTS.postgres;
  return {
    name: 'postgresql',
    endpoints: [`postgresql://${PG_USER}@${HOST}:${port} (Temporal's databases ${DATABASES.map((db) => db.name).join(', ')})`],
    port: { host: HOST, port },
    startTimeoutMs: 60_000,
    installed: () => postgresBinDir() !== undefined,
    async install() {
      // Debian's package, through the script that installs the other system packages (as root).
      await runCommand('bash', [join(repoRoot, 'scripts', 'install-system-packages.sh')]);
      if (postgresBinDir() === undefined) throw new Error('PostgreSQL is still missing under /usr/lib/postgresql after installing the postgresql package');
    },
    start() {
      const bin = postgresBinDir();
      if (!bin) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): run scripts/install-system-packages.sh as root');
      const user = postgresUser(paths);
      const asUser = { ...(user.uid === undefined ? {} : { uid: user.uid, gid: user.gid }) };
      if (!existsSync(join(user.dataDir, 'PG_VERSION'))) {
        mkdirSync(user.dataDir, { recursive: true, mode: 0o700 });
        if (user.uid !== undefined && user.gid !== undefined) chownSync(user.dataDir, user.uid, user.gid);
        // Loopback only and trust: the cluster profile is a developer's machine, like the dev
        // profile's services, which have no passwords either. docker-compose takes a password.
        const init = spawnSync(
          join(bin, 'initdb'),
          ['-D', user.dataDir, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--locale=C'],
          { encoding: 'utf8', cwd: user.dataDir, ...asUser },
        );
        if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}`);
      }
      return startDetached(paths, 'postgresql', {
        command: join(bin, 'postgres'),
        args: [
          '-D',
          user.dataDir,
          '-c',
          `listen_addresses=${HOST}`,
          '-c',
          `port=${port}`,
          '-c',
          `unix_socket_directories=${user.dataDir}`,
          '-c',
          'max_connections=200',
          '-c',
          'shared_buffers=128MB',
        ],
        cwd: user.dataDir,
        ...asUser,
      });
    },
    async ready() {
      const bin = postgresBinDir();
      if (!bin || !(await portOpen(HOST, port))) return false;
      const probe = spawnSync(join(bin, 'pg_isready'), ['-h', HOST, '-p', String(port), '-U', PG_USER, '-d', 'postgres'], { encoding: 'utf8' });
      return probe.status === 0;
    },
  };
}

function psql(sql: string): string {
  const bin = postgresBinDir();
  const client = bin && existsSync(join(bin, 'psql')) ? join(bin, 'psql') : 'psql';
  const result = spawnSync(client, ['-h', HOST, '-p', String(CLUSTER_PORTS.postgres), '-U', PG_USER, '-d', 'postgres', '-tAc', sql], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`psql failed (${sql}): ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

function temporalServerBinDir(paths: StackPaths): string {
  return join(paths.bin, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

/** Temporal's databases and their schema: created once, then brought to the binary's version. */
async function setupTemporalSchema(paths: StackPaths): Promise<void> {
  const sqlTool = join(temporalServerBinDir(paths), 'sql');
  const connection = ['--plugin', 'postgres12', '--ep', HOST, '--port', String(CLUSTER_PORTS.postgres), '--user', PG_USER];
  for (const database of DATABASES) {
    const exists = psql(`SELECT 1 FROM pg_database WHERE datname = '${database.name}'`) === '1';
    const tool = (args: string[]) => runCommand(sqlTool, [...connection, '--db', database.name, ...args], { quiet: true });
    if (!exists) {
      await tool(['create-database']);
      await tool(['setup-schema', '-v', '0.0']);
    }
    // The schema files are embedded in the tool; a no-op when the schema is current.
    await tool(['update-schema', '--schema-name', database.schema]);
  }
}

/** The dynamic config values of the dev profile, as the server's YAML file wants them. */
function dynamicConfigFile(): Record<string, Array<{ value: unknown }>> {
  const typed = (value: string): unknown => (value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value);
  return Object.fromEntries(Object.entries(TEMPORAL_DYNAMIC_CONFIG).map(([key, value]) => [key, [{ value: typed(value) }]]));
}

/** The server's configuration (its `config/crawlflow.yaml`). */
export function temporalServerConfig(dynamicConfigPath: string): Record<string, unknown> {
  const sql = (database: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${HOST}:${CLUSTER_PORTS.postgres}`,
      connectProtocol: 'tcp',
      user: PG_USER,
      password: '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  const ports = CLUSTER_PORTS;
  return {
    log: { stdout: true, level: 'warn', format: 'json' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: TEMPORAL_HISTORY_SHARDS,
      datastores: { 'postgres-default': sql('temporal', 20), 'postgres-visibility': sql('temporal_visibility', 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: HOST } },
    services: {
      frontend: service(ports.temporalFrontend, ports.temporalMembership.frontend, { httpPort: ports.temporalFrontendHttp }),
      history: service(ports.temporalHistory, ports.temporalMembership.history),
      matching: service(ports.temporalMatching, ports.temporalMembership.matching),
      worker: service(ports.temporalWorker, ports.temporalMembership.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${HOST}:${ports.temporalFrontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: dynamicConfigPath, pollInterval: '10s' },
  };
}



function temporalServer(paths: StackPaths): StackService {
  const temporalAddress = `${HOST}:${CLUSTER_PORTS.temporalFrontend}`;
  const binDir = temporalServerBinDir(paths);
  const root = join(paths.data, 'temporal');
  return {
    name: 'temporal',
    endpoints: [`grpc ${temporalAddress} (Temporal server ${TEMPORAL_SERVER_VERSION}, PostgreSQL, ${TEMPORAL_HISTORY_SHARDS} history shards)`],
    port: { host: HOST, port: CLUSTER_PORTS.temporalFrontend },
    startTimeoutMs: 180_000,
    dependsOn: ['postgresql'],
    installed: () => existsSync(join(binDir, 'server')) && existsSync(join(binDir, 'sql')),
    async install() {
      // The server and its SQL schema tool (with the schema files embedded) from the module proxy.
      await runCommand(
        'go',
        ['install', `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`],
        { env: { ...goEnv(paths), GOBIN: binDir } },
      );
    },
    async prepare() {
      await setupTemporalSchema(paths);
      mkdirSync(join(root, 'config'), { recursive: true });
      const dynamicConfigPath = join(root, 'dynamicconfig.yaml');
      writeFileSync(dynamicConfigPath, stringify(dynamicConfigFile()));
      writeFileSync(join(root, 'config', 'crawlflow.yaml'), stringify(temporalServerConfig(dynamicConfigPath)));
    },
    start() {
      return startDetached(paths, 'temporal', {
        command: join(binDir, 'server'),
        args: ['--root', root, '--config', 'config', '--env', 'crawlflow', '--allow-no-auth', 'start'],
        cwd: root,
      });
    },
    async ready() {
      if (!(await portOpen(HOST, CLUSTER_PORTS.temporalFrontend))) return false;
      const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 2000 });
      try {
        const health = await connection.healthService.check({});
        return health.status === 1; // SERVING
      } finally {
        await connection.close();
      }
    },
    async healthy() {
      // Reads the namespace from PostgreSQL: the frontend can answer health checks while the
      // database is gone, which is what crawlflow's workers would notice.
      const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 2000 });
      try {
        const { namespaceInfo } = await connection.withDeadline(Date.now() + 5000, () =>
          connection.workflowService.describeNamespace({ namespace: 'default' }),
        );
        return namespaceInfo?.name === 'default';
      } finally {
        await connection.close();
      }
    },
    async afterReady() {
      await ensureDefaultNamespace(temporalAddress);
    },
  };
}

/** gRPC status codes. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/**
 * The `default` namespace with crawlflow's retention and search attributes. The server creates
 * only its system namespace; the dev server creates `default` itself.
 */
async function ensureDefaultNamespace(temporalAddress: string): Promise<void> {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const namespace = 'default';
    const retention = msToTs(NAMESPACE_RETENTION);
    try {
      await connection.workflowService.describeNamespace({ namespace });
      await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: retention } });
    } catch (error) {
      if ((error as { code?: unknown }).code !== NOT_FOUND) throw error;
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: retention });
      } catch (registerError) {
        if ((registerError as { code?: unknown }).code !== ALREADY_EXISTS) throw registerError;
      }
    }
    // A new namespace reaches the frontend's cache within its refresh interval (10 s).
    const client = new Client({ connection, namespace });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await ensureSearchAttributes(client);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error('the default namespace was created but its search attributes could not be added', { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  } finally {
    await connection.close();
  }
}

function temporalUi(paths: StackPaths): StackService {
  const temporalAddress = `${HOST}:${CLUSTER_PORTS.temporalFrontend}`;
  const binDir = join(paths.bin, `temporal-ui-${TEMPORAL_UI_VERSION}`);
  const root = join(paths.data, 'temporal-ui');
  const port = CLUSTER_PORTS.temporalUi;
  return {
    name: 'temporal-ui',
    endpoints: [`web ui http://${HOST}:${port} (ui-server ${TEMPORAL_UI_VERSION})`],
    port: { host: HOST, port },
    startTimeoutMs: 60_000,
    installed: () => existsSync(join(binDir, 'server')),
    async install() {
      await runCommand('go', ['install', `github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_VERSION}`], {
        env: { ...goEnv(paths), GOBIN: binDir },
      });
    },
    start() {
      mkdirSync(join(root, 'config'), { recursive: true });
      writeFileSync(
        join(root, 'config', 'crawlflow.yaml'),
        stringify({
          temporalGrpcAddress: temporalAddress,
          host: HOST,
          port,
          enableUi: true,
          defaultNamespace: 'default',
          notifyOnNewVersion: false,
          cors: { allowOrigins: [`http://${HOST}:${port}`] },
        }),
      );
      return startDetached(paths, 'temporal-ui', {
        command: join(binDir, 'server'),
        args: ['--root', root, '--config', 'config', '--env', 'crawlflow', 'start'],
        cwd: root,
      });
    },
    async ready() {
      const response = await fetch(`http://${HOST}:${port}/`);
      return response.ok;
    },
  };
}

/**
 * Three KRaft nodes, each broker and controller, sharing one cluster id (kept in the state
 * directory, so a node formatted later joins the same cluster).
 */
function kafkaCluster(paths: StackPaths): StackService[] {
  const voters = CLUSTER_PORTS.kafkaControllers.map((port, index) => ({ nodeId: index + 1, port }));
  const clusterIdFile = join(paths.data, 'kafka-cluster-id');
  const clusterId = () => {
    if (!existsSync(clusterIdFile)) {
      mkdirSync(paths.data, { recursive: true });
      writeFileSync(clusterIdFile, randomBytes(16).toString('base64url'));
    }
    return readFileSync(clusterIdFile, 'utf8').trim();
  };
  return CLUSTER_PORTS.kafkaBrokers.map((port, index) => {
    const name = `kafka-${index + 1}`;
    return kafkaNode(paths, {
      name,
      nodeId: index + 1,
      port,
      voters,
      replication: { factor: 3, minInsync: 2 },
      dataDir: join(paths.data, name),
      propertiesFile: join(paths.data, `${name}.properties`),
      clusterId,
      maxHeap: '512m',
    });
  });
}
