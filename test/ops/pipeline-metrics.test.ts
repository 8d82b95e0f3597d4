import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findFreePort } from '../../infra/metrics/ports';
import { serveProcessHealth } from '../../infra/metrics/process-health';
import type { MetricsServer } from '../../infra/metrics/server';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';
import { sampleValue, scrape } from './prometheus-text';
import { eventually } from '../../support/eventually';

/** The crawlflow counters this test watches, by series. */
const SERIES = {
  consumed: ['crawlflow_bridge_records_consumed_total', {}],
  started: ['crawlflow_bridge_workflows_started_total', { result: 'started' }],
  invalidJson: ['crawlflow_bridge_dead_letters_total', { reason: 'invalid_json' }],
  notAnObject: ['crawlflow_bridge_dead_letters_total', { reason: 'not_an_object' }],
  fetchedOk: ['crawlflow_fetches_total', { outcome: 'ok' }],
  fetchLatencyOk: ['crawlflow_fetch_duration_seconds_count', { outcome: 'ok' }],
  fetchedBytes: ['crawlflow_fetched_bytes_total', {}],
  tagged: ['crawlflow_messages_tagged_total', {}],
  tagLatency: ['crawlflow_tagging_duration_seconds_count', {}],
  published: ['crawlflow_messages_published_total', {}],
  deadLetterFailures: ['crawlflow_failures_total', { kind: 'dead_letter' }],
} as const satisfies Record<string, readonly [string, Record<string, string>]>;

function read(text: string): Record<keyof typeof SERIES, number> {
  return Object.fromEntries(
    Object.entries(SERIES).map(([key, [name, labels]]) => [key, sampleValue(text, name, labels) ?? 0]),
  ) as Record<keyof typeof SERIES, number>;
}

// The bridge and the workers in one process (the pipeline's own test harness), with the
// bridge's metrics server: the counters must say exactly what the pipeline did.
describe('the pipeline counts its work on /metrics', () => {
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  let health: MetricsServer;

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    pipeline = await startPipelineHarness({ env: { METRICS_PORT: String(await findFreePort('127.0.0.1')) } });
    health = await serveProcessHealth('bridge', pipeline.config, pipeline.logger, {
      temporal: pipeline.temporal.connection,
      db: pipeline.mongo.db,
      consumerLag: true,
    });
  });
  after(async () => {
    await health?.close();
    await pipeline?.close();
    await spider?.close();
  });

  it('counts records, workflow starts, dead letters, fetches, tags and publishes, and the lag falls to 0', async () => {
    const before = read(await scrape(health.url));
    const run = uniqueName('ops-metrics');
    const ids = [`${run}-link-1`, `${run}-link-2`, `${run}-text-1`, `${run}-text-2`];
    await pipeline.produce([
      { id: ids[0], type: 3, url: `${spider.url}/article/1` },
      { id: ids[1], type: 3, url: `${spider.url}/article/2` },
      { id: ids[2], type: 1, text: 'the stock market rallied' },
      { id: ids[3], type: 1, text: '股票市场' },
      'not json',
      '[1, 2]',
    ]);
    await pipeline.waitForOutputs(4);
    await pipeline.waitForDeadLetters(2);

    const expected = {
      consumed: 6,
      started: 4,
      invalidJson: 1,
      notAnObject: 1,
      fetchedOk: 2,
      fetchLatencyOk: 2,
      tagged: 4,
      tagLatency: 4,
      published: 4,
      deadLetterFailures: 2,
    };
    let delta: Record<string, number> = {};
    let lag: number | undefined;
    // Waits for the counters; on a timeout the asserts below say which one differs.
    await eventually('the counters to show what was sent', async () => {
      const text = await scrape(health.url);
      const now = read(text);
      delta = Object.fromEntries(Object.keys(expected).map((key) => [key, now[key as keyof typeof SERIES] - before[key as keyof typeof SERIES]]));
      lag = text
        .split('\n')
        .filter((line) => line.startsWith('crawlflow_bridge_consumer_lag_messages{'))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      const bytes = now.fetchedBytes - before.fetchedBytes;
      return JSON.stringify(delta) === JSON.stringify(expected) && lag === 0 && bytes > 0;
    }, { timeoutMs: 30_000, intervalMs: 250 }).catch(() => undefined);
    assert.deepEqual(delta, expected);
    assert.equal(lag, 0, 'the bridge committed everything it consumed');
  });

  it('is ready: Temporal, MongoDB and Kafka answer', async () => {
    const response = await fetch(`${health.url}/readyz`);
    const body = (await response.json()) as { checks: Array<{ name: string; ok: boolean }> };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual(body.checks.map((check) => check.name).sort(), ['kafka', 'mongodb', 'temporal']);
  });
});
