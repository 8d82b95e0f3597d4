import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Admin } from 'kafkajs';
import { createIngestService } from '../../domain/ingest/service';
import { createOverview, type Overview, type OverviewSource } from '../../domain/monitoring/overview';
import { createStore } from '../../store/store';
import { buildWebServer } from '../../processes/web/server';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

/** The monitoring panel's data on the real pipeline: messages through, a failure, a dead letter. */
describe('GET /api/overview (real pipeline)', () => {
  const TOKEN = 'overview-token-1';
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  let admin: Admin;
  let overview: OverviewSource;
  let app: FastifyInstance;

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    pipeline = await startPipelineHarness({ env: { SPIDER_API: spider.spiderUrl, SPIDER_TIMEOUT_SECONDS: '2' } });
    admin = pipeline.kafka.admin();
    await admin.connect();
    const { config, logger, mongo, temporal } = pipeline;
    const store = createStore(mongo.db);
    // Sampled by hand below; the timer is far off so it never interleaves.
    overview = createOverview({ config, db: mongo.db, kafkaAdmin: async () => admin, temporal: async () => temporal }, { sampleEveryMs: 3_600_000, cacheMs: 0 });
    app = await buildWebServer({ config, store, ingest: createIngestService({ store, config, logger }), logger, token: TOKEN, overview });
  });
  after(async () => {
    overview?.stop();
    await app?.close();
    await admin?.disconnect();
    await pipeline?.mongo.db.dropDatabase();
    await pipeline?.close();
    await spider?.close();
  });

  const read = async (): Promise<Overview> => {
    const response = await app.inject({ method: 'GET', url: '/api/overview', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.statusCode, 200, response.body.slice(0, 300));
    return response.json() as Overview;
  };
  const value = <T>(section: { ok: true; value: T } | { ok: false; error: string }): T => {
    assert.ok(section.ok, section.ok ? '' : section.error);
    return section.value;
  };

  it('shows messages in and out per minute, failures by step, lag, queues with their workers, alerts', async () => {
    const before = await read();
    assert.equal(before.throughput.ok, false, 'no sample yet: the part says so');
    await overview.start();
    const run = uniqueName('ov');
    await pipeline.produce([
      { id: `${run}-1`, type: 3, url: `http://news.example/article/${run}` },
      { id: `${run}-2`, type: 3, url: `http://news.example/missing` },
      'not json at all',
    ]);
    await pipeline.waitForOutputs(2);
    await pipeline.waitForDeadLetters(1);
    await pipeline.temporal.workflow.getHandle(`msg-${run}-2`).result();
    await overview.sample();

    const now = await read();
    const flow = value(now.throughput);
    assert.equal(flow.series.length, 1);
    assert.equal(flow.inputEnd, 3);
    assert.equal(flow.outputEnd, 2);
    assert.ok(flow.series[0]!.inPerMinute > 0 && flow.series[0]!.outPerMinute > 0, JSON.stringify(flow.series));
    assert.ok(flow.series[0]!.failuresPerMinute > 0, 'the fetch failure and the dead letter are in the chart');
    const failures = value(now.failures);
    assert.deepEqual(failures.byStep, { fetch: 1, bridge: 1 });
    assert.equal(failures.total, 2);
    const lag = await eventually('the bridge caught up', async () => {
      const section = (await read()).bridgeLag;
      return section.ok && section.value.total === 0 ? section.value : undefined;
    });
    assert.equal(lag.topic, pipeline.config.kafka.inputTopic);
    const queues = value(now.taskQueues);
    const byKind = new Map(queues.map((queue) => [queue.kind, queue]));
    for (const kind of ['workflows', 'io', 'cpu']) assert.ok((byKind.get(kind)?.workers ?? 0) >= 1, `a worker polls ${kind}: ${JSON.stringify(queues)}`);
    assert.equal(byKind.get('sandbox')?.workers, 0, 'no sandbox worker runs in this test');
    assert.deepEqual(value(now.feederBacklog), { waiting: 0, atLeast: false, oldestAt: null });
    assert.deepEqual(value(now.generators), { windowHours: 24, runs: 0, failed: 0, atLeast: false });
    const alerts = value(now.alerts);
    assert.equal(typeof alerts.waiting, 'number');
    assert.ok(alerts.lastDigestAt === null || !Number.isNaN(Date.parse(alerts.lastDigestAt)));
  });
});
