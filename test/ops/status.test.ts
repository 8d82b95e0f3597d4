import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { FailureStep } from '../../common/pipeline';
import { AlertKind, createAlertRepository } from '../../store/alert-repository';
import { createKafka, ensureTopics } from '../../infra/kafka/kafka';
import { metricsRegistry } from '../../infra/metrics/metrics';
import { findFreePort } from '../../infra/metrics/ports';
import { gatherSystemStatus, type SystemStatus } from '../../domain/monitoring/system-status';
import { observeTaskQueueBacklog } from '../../infra/metrics/task-queue-stats';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { createFailedMessageRepository } from '../../store/failed-messages';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { requireStack, testConfig, uniqueName } from '../../support/stack';
import { sampleValue } from './prometheus-text';
import { eventually } from '../../support/eventually';

const execFileAsync = promisify(execFile);
const CLI = resolve(__dirname, '../../bin/crawlflow.js');
const PREFIX = `crawlflow-${uniqueName('status')}`;
const config = testConfig({ TASK_QUEUE_PREFIX: PREFIX });
/** The environment that points the CLI at this test's names (what testConfig set). */
const env = {
  ...process.env,
  TASK_QUEUE_PREFIX: PREFIX,
  KAFKA_INPUT_TOPIC: config.kafka.inputTopic,
  KAFKA_OUTPUT_TOPIC: config.kafka.outputTopic,
  KAFKA_DEAD_LETTER_TOPIC: config.kafka.deadLetterTopic,
  KAFKA_CONSUMER_GROUP: config.kafka.consumerGroup,
  MONGODB_URI: config.mongo.uri,
  LOG_LEVEL: 'warn',
};

async function crawlflowStatus(extraEnv: Record<string, string> = {}, args: string[] = []) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, 'status', ...args], { env: { ...env, ...extraEnv } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Reads the status until `accept` holds (the server's queue statistics refresh every few seconds). */
async function statusWhere(accept: (status: SystemStatus) => boolean, what: string): Promise<SystemStatus> {
  let last: SystemStatus | undefined;
  try {
    return await eventually(what, async () => {
      last = await gatherSystemStatus(config);
      return accept(last) && last;
    }, { timeoutMs: 20_000, intervalMs: 500 });
  } catch (error) {
    assert.fail(`${what} never showed; last status: ${JSON.stringify(last, null, 1)} (${String(error)})`);
  }
}

describe('crawlflow status', () => {
  let client: Client;
  let admin: Admin;
  let mongo: MongoHandle;
  const workflowIds: string[] = [];

  before(async () => {
    await requireStack();
    client = await connectTemporalClient(config.temporal);
    admin = createKafka(config.kafka).admin();
    await admin.connect();
    await ensureTopics(admin, config.kafka);
    mongo = await connectMongo(config.mongo);
  });

  after(async () => {
    await Promise.allSettled(workflowIds.map((id) => client.workflow.getHandle(id).terminate('test over')));
    await admin.deleteTopics({ topics: [config.kafka.inputTopic, config.kafka.outputTopic, config.kafka.deadLetterTopic] }).catch(() => undefined);
    await admin.deleteGroups([config.kafka.consumerGroup]).catch(() => undefined);
    await admin.disconnect();
    await mongo.db.dropDatabase();
    await mongo.client.close();
    await closeTemporalClient(client);
  });

  it('sees every service up, and calls a queue nobody serves a problem while its backlog grows', async () => {
    for (let i = 0; i < 2; i++) {
      const workflowId = uniqueName('status-backlog');
      workflowIds.push(workflowId);
      await client.workflow.start('selfCheckWorkflow', {
        taskQueue: config.temporal.taskQueues.workflows,
        workflowId,
        args: [{ taskQueues: config.temporal.taskQueues, queues: [], scheduleToStartSeconds: 5 }],
        workflowExecutionTimeout: '2m',
      });
    }
    const status = await statusWhere(
      (candidate) => candidate.taskQueues.ok && candidate.taskQueues.value.find((queue) => queue.kind === 'workflows')?.backlog === 2,
      'a backlog of 2 on the workflows queue',
    );
    assert.deepEqual(
      status.services.map((service) => [service.name, service.ok]),
      [
        ['temporal', true],
        ['kafka', true],
        ['mongodb', true],
        ['smtp', true],
      ],
    );
    assert.ok(status.taskQueues.ok);
    assert.deepEqual(
      status.taskQueues.value.map((queue) => [queue.name, queue.pollers.length]),
      Object.values(config.temporal.taskQueues).map((name) => [name, 0]),
    );
    assert.ok(status.problems.includes(`no worker polls ${PREFIX}-workflows (start: crawlflow worker --queue workflows)`));
  });

  it('exports the backlog Temporal sees as a gauge per task queue, read at scrape time', async () => {
    const detach = observeTaskQueueBacklog(client.workflowService, config.temporal.namespace, config.temporal.taskQueues);
    try {
      const workflows = { task_queue: config.temporal.taskQueues.workflows };
      const text = await eventually('a backlog of 2 in the gauge', async () => {
        const scraped = await metricsRegistry.metrics();
        return sampleValue(scraped, 'crawlflow_task_queue_backlog_tasks', workflows) === 2 && scraped;
      }, { timeoutMs: 20_000, intervalMs: 500 });
      assert.equal(sampleValue(text, 'crawlflow_task_queue_backlog_tasks', workflows), 2);
      assert.ok((sampleValue(text, 'crawlflow_task_queue_backlog_age_seconds', workflows) ?? 0) > 0, 'the oldest task has an age');
      assert.equal(sampleValue(text, 'crawlflow_task_queue_backlog_tasks', { task_queue: config.temporal.taskQueues.io }), 0);
    } finally {
      detach();
    }
  });

  it("reports the bridge group's lag per partition, from Kafka's offsets", async () => {
    const producer = createKafka(config.kafka).producer();
    await producer.connect();
    await producer.send({
      topic: config.kafka.inputTopic,
      messages: [0, 0, 0, 1, 1].map((partition, index) => ({ partition, value: JSON.stringify({ index }) })),
    });
    await producer.disconnect();
    let status = await gatherSystemStatus(config);
    assert.ok(status.bridgeLag.ok, JSON.stringify(status.bridgeLag));
    assert.deepEqual(
      status.bridgeLag.value.partitions.map(({ partition, committed, lag }) => ({ partition, committed, lag })),
      [
        { partition: 0, committed: null, lag: 3 },
        { partition: 1, committed: null, lag: 2 },
      ],
    );
    // The group consumed two records of partition 0.
    await admin.setOffsets({ groupId: config.kafka.consumerGroup, topic: config.kafka.inputTopic, partitions: [{ partition: 0, offset: '2' }] });
    status = await gatherSystemStatus(config);
    assert.ok(status.bridgeLag.ok);
    assert.equal(status.bridgeLag.value.total, 3);
    assert.deepEqual(
      status.bridgeLag.value.partitions.map(({ partition, lag }) => [partition, lag]),
      [
        [0, 1],
        [1, 2],
      ],
    );
  });

  it('lists recent failures and the alerts waiting to be mailed', async () => {
    const workflowId = uniqueName('status-failed');
    await createFailedMessageRepository(mongo.db).record({ workflowId, step: FailureStep.Fetch, errorType: 'HttpError', error: 'GET https://example.test/ answered 404' });
    await createAlertRepository(mongo.db).record({ kind: AlertKind.FetchFailed, summary: `fetch of https://example.test/ failed for good`, workflowId });
    const status = await gatherSystemStatus(config, { recent: 3 });
    assert.ok(status.failures.ok, JSON.stringify(status.failures));
    assert.equal(status.failures.value.failedMessagesLastDay, 1);
    assert.equal(status.failures.value.alertsWaiting, 1);
    assert.deepEqual(
      status.failures.value.recentFailedMessages.map((failure) => [failure.workflowId, failure.errorType]),
      [[workflowId, 'HttpError']],
    );
    assert.equal(status.failures.value.recentAlerts[0]?.summary, 'fetch of https://example.test/ failed for good');
  });

  it('prints one screen and exits 1 while a queue has no worker', async () => {
    const result = await crawlflowStatus();
    assert.equal(result.code, 1, result.stderr);
    for (const heading of ['Services', 'Task queues', 'Bridge consumer lag', 'Schedules', 'Recent failures']) {
      assert.ok(result.stdout.includes(heading), `the screen has ${heading}`);
    }
    assert.match(result.stdout, new RegExp(`${PREFIX}-io\\s+activity\\s+0`));
    assert.match(result.stdout, /1 failed messages in the last 24 h; 1 alerts waiting/);
    assert.match(result.stdout, /UNHEALTHY/);
  });

  it('says which service is down, without a stack trace, when one does not answer', async () => {
    const closedPort = await findFreePort('127.0.0.1');
    const result = await crawlflowStatus({ KAFKA_BROKERS: `127.0.0.1:${closedPort}`, MONGODB_URI: `mongodb://127.0.0.1:${closedPort}/x` }, ['--timeout', '2']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /DOWN\s+kafka/);
    assert.match(result.stdout, /DOWN\s+mongodb/);
    assert.match(result.stdout, /up\s+temporal/);
    assert.match(result.stdout, /kafka is down/);
    assert.doesNotMatch(`${result.stdout}${result.stderr}`, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
  });

  it('prints JSON with --json', async () => {
    const result = await crawlflowStatus({}, ['--json']);
    const parsed = JSON.parse(result.stdout) as { problems: string[]; services: Array<{ name: string }> };
    assert.deepEqual(
      parsed.services.map((service) => service.name),
      ['temporal', 'kafka', 'mongodb', 'smtp'],
    );
    assert.ok(parsed.problems.length > 0);
  });
});
