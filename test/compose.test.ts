import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseQueues } from '../cli/commands/worker';
import { buildProgram } from '../cli/main';
import { loadConfig } from '../infra/config/config';
import { ENV_VARIABLE_NAMES } from '../infra/config/env-schema';

// Docker cannot run on our machines; this keeps docker-compose.yml honest against the code.
interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  container_name?: string;
  ports?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }> | string[];
}

const composeText = readFileSync(resolve(__dirname, '..', 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, ComposeService>;
};
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has the service ${name}`);
  return found;
};
const dependsOn = (name: string): Record<string, { condition: string }> => {
  const value = service(name).depends_on ?? {};
  return Array.isArray(value) ? Object.fromEntries(value.map((dependency) => [dependency, { condition: 'service_started' }])) : value;
};
const crawlflowEnv = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([key, value]) => [key, String(value)]));
const crawlflowServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

describe('docker-compose.yml', () => {
  it('runs the infrastructure crawlflow needs and its processes', () => {
    for (const name of ['temporal', 'temporal-schema', 'temporal-ui', 'postgresql', 'kafka-1', 'kafka-2', 'kafka-3', 'mongodb-1', 'mongodb-2', 'mongodb-3', 'maildev']) {
      assert.ok(compose.services[name], `service ${name}`);
    }
    const commands = crawlflowServices.map(([, service]) => service.command?.join(' '));
    for (const queue of ['workflows', 'io', 'cpu', 'sandbox']) {
      assert.ok(commands.includes(`worker --queue ${queue}`), `a worker for the ${queue} queue`);
    }
  });

  it("every crawlflow service's command exists in the CLI", () => {
    const program = buildProgram();
    for (const [name, service] of crawlflowServices) {
      const [command, ...args] = service.command ?? [];
      const subcommand = program.commands.find((candidate) => candidate.name() === command);
      assert.ok(subcommand, `${name}: \`crawlflow ${command}\` is a CLI command`);
      for (const arg of args.filter((value) => value.startsWith('--'))) {
        assert.ok(
          subcommand.options.some((option) => option.long === arg),
          `${name}: \`crawlflow ${command}\` has the option ${arg}`,
        );
      }
      if (command === 'worker') {
        assert.doesNotThrow(() => parseQueues(args[args.indexOf('--queue') + 1] ?? ''), `${name}: a known queue`);
      }
    }
  });

  it('every environment variable given to crawlflow is one the configuration knows', () => {
    const known = new Set<string>(ENV_VARIABLE_NAMES);
    for (const [name, service] of crawlflowServices) {
      const unknown = Object.keys(service.environment ?? {}).filter((variable) => !known.has(variable));
      assert.deepEqual(unknown, [], `${name} sets unknown variables`);
    }
  });

  it('runs the Temporal server, not the auto-setup image, after a schema job on PostgreSQL', () => {
    assert.match(service('temporal').image ?? '', /^temporalio\/server:/);
    for (const [name, value] of Object.entries(compose.services)) assert.doesNotMatch(value.image ?? '', /auto-setup/, `${name}: no auto-setup image`);
    assert.equal(dependsOn('temporal')['temporal-schema']?.condition, 'service_completed_successfully');
    assert.equal(dependsOn('temporal-schema').postgresql?.condition, 'service_healthy');
    const schema = service('temporal-schema').command?.join(' ') ?? '';
    for (const step of ['create-database', 'setup-schema', 'update-schema --schema-name postgresql/v12/$$schema', 'temporal_visibility:visibility']) {
      assert.ok(schema.includes(step), `the schema job runs ${step}`);
    }
    assert.equal(service('temporal').environment?.DB, 'postgres12');
    assert.ok(Number(service('temporal').environment?.NUM_HISTORY_SHARDS) >= 4, 'several history shards');
    assert.equal(dependsOn('temporal-setup').temporal?.condition, 'service_healthy');
  });

  it('runs three Kafka brokers with replication factor 3 and min.insync.replicas 2, and crawlflow creates its topics so', () => {
    const voters = ['1@kafka-1:9093', '2@kafka-2:9093', '3@kafka-3:9093'].join(',');
    const clusterIds = new Set<string>();
    for (const [index, name] of ['kafka-1', 'kafka-2', 'kafka-3'].entries()) {
      const env = crawlflowEnv(name);
      assert.equal(env.KAFKA_NODE_ID, String(index + 1), `${name} node id`);
      assert.equal(env.KAFKA_CONTROLLER_QUORUM_VOTERS, voters, `${name} knows the three controllers`);
      assert.equal(env.KAFKA_ADVERTISED_LISTENERS, `PLAINTEXT://${name}:9092`);
      assert.equal(env.KAFKA_DEFAULT_REPLICATION_FACTOR, '3');
      assert.equal(env.KAFKA_MIN_INSYNC_REPLICAS, '2');
      assert.equal(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '3', 'consumer offsets replicated too');
      assert.equal(env.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE, 'false');
      clusterIds.add(env.CLUSTER_ID ?? '');
    }
    assert.equal(clusterIds.size, 1, 'the three nodes share one cluster id');
    for (const [name] of crawlflowServices) {
      const config = loadConfig(crawlflowEnv(name));
      assert.deepEqual(config.kafka.brokers, ['kafka-1:9092', 'kafka-2:9092', 'kafka-3:9092'], `${name} bootstraps from the three brokers`);
      assert.equal(config.kafka.replicationFactor, 3, `${name} creates topics with replication factor 3`);
      assert.equal(config.kafka.minInsyncReplicas, 2, `${name} creates topics with min.insync.replicas 2`);
    }
  });

  it('runs MongoDB as a three-member replica set that crawlflow writes with majority write concern', () => {
    for (const name of ['mongodb-1', 'mongodb-2', 'mongodb-3']) {
      assert.deepEqual(service(name).command, ['mongod', '--replSet', 'rs0', '--bind_ip_all'], `${name} is a replica-set member`);
    }
    const init = service('mongodb-init').command?.join(' ') ?? '';
    for (const member of ['mongodb-1:27017', 'mongodb-2:27017', 'mongodb-3:27017']) assert.ok(init.includes(member), `rs.initiate names ${member}`);
    assert.equal(dependsOn('crawlflow-setup')['mongodb-init']?.condition, 'service_completed_successfully');
    for (const [name] of crawlflowServices) {
      const uri = loadConfig(crawlflowEnv(name)).mongo.uri;
      assert.match(uri, /^mongodb:\/\/mongodb-1:27017,mongodb-2:27017,mongodb-3:27017\//, `${name} knows every member`);
      const options = new URLSearchParams(uri.split('?')[1] ?? '');
      assert.equal(options.get('replicaSet'), 'rs0');
      assert.equal(options.get('w'), 'majority', `${name} writes with majority write concern`);
    }
  });

  it('each kind of crawlflow process is its own service that scales: no fixed name, no fixed host port', () => {
    const kinds = new Map(crawlflowServices.map(([name, value]) => [name, value.command?.join(' ')]));
    for (const [name, command] of [
      ['worker-workflows', 'worker --queue workflows'],
      ['worker-io', 'worker --queue io'],
      ['worker-cpu', 'worker --queue cpu'],
      ['worker-sandbox', 'worker --queue sandbox'],
      ['bridge', 'bridge'],
      ['feeder', 'feeder'],
    ] as const) {
      assert.equal(kinds.get(name), command, `${name} runs \`crawlflow ${command}\``);
      const value = service(name);
      assert.equal(value.container_name, undefined, `${name} has no container_name (it would forbid --scale)`);
      for (const port of value.ports ?? []) {
        // host:port:container pins one host port, which a second replica cannot take.
        assert.match(port, /^127\.0\.0\.1::\d+$/, `${name} publishes ${port} on a free loopback port per replica`);
      }
    }
  });

  it('every long-running service has a healthcheck, and crawlflow waits for healthy infrastructure', () => {
    const jobs = new Set(['temporal-schema', 'temporal-setup', 'mongodb-init', 'crawlflow-setup']);
    for (const [name, value] of Object.entries(compose.services)) {
      if (jobs.has(name) || (value as { profiles?: string[] }).profiles?.includes('monitoring')) continue;
      assert.ok(value.healthcheck?.test?.length, `${name} has a healthcheck`);
    }
    for (const broker of ['kafka-1', 'kafka-2', 'kafka-3']) assert.equal(dependsOn('crawlflow-setup')[broker]?.condition, 'service_healthy');
  });

  it('holds no secrets: the PostgreSQL password comes from the environment', () => {
    for (const [name, value] of Object.entries(compose.services)) {
      for (const [key, setting] of Object.entries(value.environment ?? {})) {
        if (/PASSWORD|PWD|SECRET|TOKEN/.test(key)) {
          assert.match(String(setting), /^\$\{[A-Z_]+:[?-]/, `${name}: ${key} is taken from the environment, not written in the file`);
        }
      }
    }
    assert.match(composeText, /POSTGRES_PASSWORD:\?/, 'compose refuses to start without POSTGRES_PASSWORD');
  });
});
