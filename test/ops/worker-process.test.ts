import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { createKafka, ensureTopics } from '../../infra/kafka/kafka';
import { findFreeMetricsPort } from '../../infra/metrics/ports';
import { gatherSystemStatus } from '../../domain/monitoring/system-status';
import { connectMongo } from '../../infra/mongo/client';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { buildDashboard } from '../../ops/grafana/dashboard';
import { runWorkers } from '../../workers/run-workers';
import { requireStack, testConfig, testLogger, uniqueName } from '../../support/stack';
import { sampleValue, scrape } from './prometheus-text';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import { eventually } from '../../support/eventually';

/** The deadline is generous: several test files share two cores. */
const waitFor = (what: string, probe: () => Promise<boolean>) => eventually(what, probe, { timeoutMs: 90_000, intervalMs: 250 });

async function readiness(url: string): Promise<{ status: number; checks: Array<{ name: string; ok: boolean; error?: string }> }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, ...((await response.json()) as { checks: Array<{ name: string; ok: boolean }> }) };
}

describe('a worker process serves metrics and health', () => {
  let temporalProxy: TcpProxy;
  let mongoProxy: TcpProxy;
  let config: ReturnType<typeof testConfig>;
  let client: Client;
  let admin: Admin;
  let metricsUrl: string;
  const stop = new AbortController();
  let running: Promise<void>;

  before(async () => {
    await requireStack();
    temporalProxy = await startTcpProxy({ host: '127.0.0.1', port: 7233 });
    mongoProxy = await startTcpProxy({ host: '127.0.0.1', port: 27017 });
    const database = uniqueName('ops').replace(/-/g, '_');
    config = testConfig({
      TEMPORAL_ADDRESS: temporalProxy.address,
      MONGODB_URI: `mongodb://${mongoProxy.address}/${database}`,
      METRICS_PORT: String(await findFreeMetricsPort('127.0.0.1')),
      TAGGER_THREADS: '1',
    });
    admin = createKafka(config.kafka).admin();
    await admin.connect();
    await ensureTopics(admin, config.kafka);
    client = await connectTemporalClient({ ...config.temporal, address: '127.0.0.1:7233' });
    const ready = new Promise<string>((resolve) => {
      running = runWorkers(config, testLogger(config), undefined, { signal: stop.signal, onReady: (info) => resolve(info.metricsUrl) });
      running.catch(() => resolve('failed'));
    });
    metricsUrl = await ready;
    assert.notEqual(metricsUrl, 'failed', 'the workers started');
  });

  after(async () => {
    stop.abort();
    await running;
    await admin.deleteTopics({ topics: [config.kafka.inputTopic, config.kafka.outputTopic, config.kafka.deadLetterTopic] }).catch(() => undefined);
    await admin.disconnect();
    const mongo = await connectMongo({ uri: config.mongo.uri.replace(mongoProxy.address, '127.0.0.1:27017') });
    await mongo.db.dropDatabase();
    await mongo.client.close();
    await closeTemporalClient(client);
    await temporalProxy.close();
    await mongoProxy.close();
  });

  it('is alive and ready, checking Temporal, MongoDB and Kafka', async () => {
    assert.equal((await fetch(`${metricsUrl}/healthz`)).status, 200);
    const ready = await readiness(metricsUrl);
    assert.equal(ready.status, 200, JSON.stringify(ready));
    assert.deepEqual(ready.checks.map((check) => [check.name, check.ok]).sort(), [
      ['kafka', true],
      ['mongodb', true],
      ['temporal', true],
    ]);
  });

  it("counts the activities it ran, through the Temporal SDK's own metrics", async () => {
    const series = { activity_type: 'reportWorker', task_queue: config.temporal.taskQueues.io };
    const before = sampleValue(await scrape(metricsUrl), 'temporal_activity_execution_latency_seconds_count', series) ?? 0;
    const runs = 3;
    for (let i = 0; i < runs; i++) {
      await client.workflow.execute('selfCheckWorkflow', {
        taskQueue: config.temporal.taskQueues.workflows,
        workflowId: uniqueName('ops-self-check'),
        args: [{ taskQueues: config.temporal.taskQueues, queues: ['io'], scheduleToStartSeconds: 30 }],
        workflowExecutionTimeout: '1m',
      });
    }
    let text = '';
    await waitFor(`${runs} reportWorker activities in /metrics`, async () => {
      text = await scrape(metricsUrl);
      return sampleValue(text, 'temporal_activity_execution_latency_seconds_count', series) === before + runs;
    });
    assert.ok(
      (sampleValue(text, 'temporal_workflow_completed_total', { workflow_type: 'selfCheckWorkflow' }) ?? 0) >= runs,
      'the workflows are counted as completed',
    );
    assert.ok(sampleValue(text, 'temporal_worker_task_slots_available', { task_queue: config.temporal.taskQueues.io }) !== undefined);
    assert.ok(sampleValue(text, 'process_resident_memory_bytes', { process: 'worker-all' }) !== undefined, "crawlflow's own registry is served too");
    // The dashboard's SDK panels read series this scrape has (failure counters appear with the first failure).
    const dashboardSdkNames = new Set(
      JSON.stringify(buildDashboard())
        .match(/temporal_[a-z_]+/g)
        ?.map((name) => name.replace(/_bucket$/, '_count'))
        .filter((name) => !name.endsWith('_failed_total')),
    );
    assert.deepEqual([...dashboardSdkNames].filter((name) => sampleValue(text, name) === undefined), []);
  });

  it('sees its workers as a healthy system in crawlflow status', async () => {
    await waitFor('status reports every queue served', async () => (await gatherSystemStatus(config)).problems.length === 0);
  });

  it('turns unready while Temporal is unreachable and ready again when it is back, staying alive', async () => {
    await temporalProxy.close();
    await waitFor('readiness names temporal as down', async () => {
      const ready = await readiness(metricsUrl);
      return ready.status === 503 && ready.checks.some((check) => check.name === 'temporal' && !check.ok);
    });
    assert.equal((await fetch(`${metricsUrl}/healthz`)).status, 200, 'still alive');
    assert.equal((await fetch(`${metricsUrl}/metrics`)).status, 200, 'still scrapeable');
    await temporalProxy.open();
    await waitFor('readiness back to 200', async () => (await readiness(metricsUrl)).status === 200);
  });

  it('turns unready while MongoDB is unreachable and ready again when it is back', async () => {
    await mongoProxy.close();
    await waitFor('readiness names mongodb as down', async () => {
      const ready = await readiness(metricsUrl);
      return ready.status === 503 && ready.checks.some((check) => check.name === 'mongodb' && !check.ok);
    });
    await mongoProxy.open();
    await waitFor('readiness back to 200', async () => (await readiness(metricsUrl)).status === 200);
  });
});
