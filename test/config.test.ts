import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, mongoDatabaseName } from '../infra/config/config';
import { ENV_VARIABLE_NAMES } from '../infra/config/env-schema';

describe('configuration', () => {
  it('defaults point at the local stack', () => {
    const config = loadConfig({});
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.temporal.namespace, 'default');
    assert.deepEqual(config.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(config.mongo.uri, 'mongodb://127.0.0.1:27017/crawlflow');
    assert.equal(config.alerts.smtpUrl, 'smtp://127.0.0.1:1025');
    assert.equal(config.fetch.timeoutSeconds, 30);
    assert.equal(config.fetch.spiderApi, undefined);
    assert.equal(config.temporal.taskQueues.cpu, 'crawlflow-cpu');
    assert.ok(config.tagging.threads >= 1);
  });

  it('reads lists, numbers and flags', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'a:9092, b:9093,',
      ALERT_RECIPIENTS: 'x@example.com,y@example.com',
      SPIDER_TIMEOUT_SECONDS: '5',
      FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
      TASK_QUEUE_PREFIX: 'prod',
      URI_ALLOWED_SCHEMES: 'HTTP,https:,ftp',
    });
    assert.deepEqual(config.kafka.brokers, ['a:9092', 'b:9093']);
    assert.deepEqual(config.alerts.recipients, ['x@example.com', 'y@example.com']);
    assert.equal(config.fetch.timeoutSeconds, 5);
    assert.equal(config.fetch.allowPrivateNetworks, true);
    assert.equal(config.temporal.taskQueues.io, 'prod-io');
    assert.deepEqual(config.ingest.allowedSchemes, ['http', 'https', 'ftp']);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ SPIDER_API: '', TEMPORAL_ADDRESS: '  ' });
    assert.equal(config.fetch.spiderApi, undefined);
    assert.equal(config.temporal.address, '127.0.0.1:7233');
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () =>
        loadConfig({
          SPIDER_TIMEOUT_SECONDS: 'soon',
          MONGODB_URI: 'postgres://x',
          FETCH_ALLOW_PRIVATE_NETWORKS: 'maybe',
          WEB_PORT: '70000',
          LOG_LEVEL: 'loud',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const variables = error.problems.map((problem) => problem.variable).sort();
        assert.deepEqual(variables, ['FETCH_ALLOW_PRIVATE_NETWORKS', 'LOG_LEVEL', 'MONGODB_URI', 'SPIDER_TIMEOUT_SECONDS', 'WEB_PORT']);
        assert.match(error.message, /SPIDER_TIMEOUT_SECONDS: must be a whole number \(got "soon"\)/);
        assert.match(error.message, /MONGODB_URI: must be a URL starting with mongodb:\/\//);
        return true;
      },
    );
  });

  it('rejects a zero timeout and a spider API that is not a URL', () => {
    assert.throws(() => loadConfig({ SPIDER_TIMEOUT_SECONDS: '0' }), /SPIDER_TIMEOUT_SECONDS: must be greater than 0/);
    assert.throws(() => loadConfig({ SPIDER_API: 'spider.local/api' }), /SPIDER_API: must be empty or a URL/);
  });

  it('takes the database name from the MongoDB URI', () => {
    assert.equal(mongoDatabaseName('mongodb://h:27017/jobs'), 'jobs');
    assert.equal(mongoDatabaseName('mongodb://h:27017'), 'crawlflow');
    assert.equal(mongoDatabaseName('mongodb://h:27017/'), 'crawlflow');
    assert.equal(mongoDatabaseName('mongodb://a:27017,b:27017,c:27017/jobs?replicaSet=rs0&w=majority'), 'jobs');
    assert.equal(mongoDatabaseName('mongodb://a:27017,b:27017/?replicaSet=rs0'), 'crawlflow');
    assert.equal(loadConfig({ MONGODB_URI: 'mongodb://a:1,b:2/x?replicaSet=rs0' }).mongo.uri, 'mongodb://a:1,b:2/x?replicaSet=rs0');
  });

  it('the cluster profile moves the address defaults to its own ports; set variables still win', () => {
    const config = loadConfig({ CRAWLFLOW_STACK_PROFILE: 'cluster', SMTP_URL: 'smtp://mail.test:25' });
    assert.equal(config.stackProfile, 'cluster');
    assert.equal(config.temporal.address, '127.0.0.1:17233');
    assert.equal(config.temporal.uiUrl, 'http://127.0.0.1:18233');
    assert.deepEqual(config.kafka.brokers, ['127.0.0.1:19092', '127.0.0.1:19093', '127.0.0.1:19094']);
    assert.equal(config.kafka.replicationFactor, 3);
    assert.equal(config.kafka.minInsyncReplicas, 2);
    assert.equal(config.mongo.uri, 'mongodb://127.0.0.1:37017/crawlflow');
    assert.equal(config.alerts.smtpUrl, 'smtp://mail.test:25');
    const dev = loadConfig({});
    assert.equal(dev.stackProfile, 'dev');
    assert.equal(dev.kafka.replicationFactor, 1);
    assert.equal(dev.kafka.minInsyncReplicas, 1);
  });

  it('rejects an unknown profile and more in-sync replicas than replicas', () => {
    assert.throws(() => loadConfig({ CRAWLFLOW_STACK_PROFILE: 'prod' }), /CRAWLFLOW_STACK_PROFILE: must be dev or cluster \(got "prod"\)/);
    assert.throws(
      () => loadConfig({ KAFKA_REPLICATION_FACTOR: '2', KAFKA_MIN_INSYNC_REPLICAS: '3' }),
      /KAFKA_MIN_INSYNC_REPLICAS: must be at most KAFKA_REPLICATION_FACTOR \(2\)/,
    );
  });

  it('every variable is documented in the README', () => {
    const readme = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8');
    const missing = ENV_VARIABLE_NAMES.filter((name) => !readme.includes(`\`${name}\``));
    assert.deepEqual(missing, [], `README lacks ${missing.join(', ')}`);
  });
});
