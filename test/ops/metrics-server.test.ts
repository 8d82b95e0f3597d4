import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../infra/logging/logger';
import { metrics, observeGauge } from '../../infra/metrics/metrics';
import { startMetricsServer, type MetricsServer } from '../../infra/metrics/server';
import { sampleValue, scrape } from './prometheus-text';

const logger = createLogger({ level: 'silent', format: 'json' });

describe('metrics server', () => {
  let server: MetricsServer;
  before(async () => {
    server = await startMetricsServer({ processName: 'test-process', host: '127.0.0.1', port: 0, logger });
  });
  after(() => server.close());

  it('answers /healthz while the process runs', async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { process: string }).process, 'test-process');
  });

  it('counts what the process did, labelled with the process', async () => {
    const before = sampleValue(await scrape(server.url), 'crawlflow_fetches_total', { outcome: 'timeout' }) ?? 0;
    for (let i = 0; i < 3; i++) metrics.fetches.inc({ outcome: 'timeout' });
    const text = await scrape(server.url);
    assert.equal(sampleValue(text, 'crawlflow_fetches_total', { outcome: 'timeout', process: 'test-process' }), before + 3);
    assert.ok(sampleValue(text, 'process_cpu_user_seconds_total') !== undefined, "Node's own metrics are there too");
  });

  it('reads a sourced gauge at scrape time, and a failing source as NaN instead of a failed scrape', async () => {
    let waiting = 4;
    observeGauge(metrics.alertsWaiting, () => waiting);
    assert.equal(sampleValue(await scrape(server.url), 'crawlflow_alerts_waiting'), 4);
    waiting = 9;
    assert.equal(sampleValue(await scrape(server.url), 'crawlflow_alerts_waiting'), 9);
    observeGauge(metrics.alertsWaiting, () => Promise.reject(new Error('mongodb down')));
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.ok(Number.isNaN(sampleValue(await response.text(), 'crawlflow_alerts_waiting')));
    observeGauge(metrics.alertsWaiting, undefined);
  });

  it('is not ready while starting, ready when every check passes, and names the one that fails', async () => {
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    let mongoUp = true;
    server.setReadinessChecks([
      { name: 'temporal', check: async () => undefined },
      { name: 'mongodb', check: async () => (mongoUp ? undefined : Promise.reject(new Error('connection refused\n  at stack'))) },
    ]);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    mongoUp = false;
    const response = await fetch(`${server.url}/readyz`);
    assert.equal(response.status, 503);
    const body = (await response.json()) as { ready: boolean; checks: Array<{ name: string; ok: boolean; error?: string }> };
    assert.deepEqual(
      body.checks.map(({ name, ok, error }) => ({ name, ok, error })),
      [
        { name: 'temporal', ok: true, error: undefined },
        { name: 'mongodb', ok: false, error: 'connection refused' },
      ],
    );
  });

  it('answers 404 with the routes it has', async () => {
    const response = await fetch(`${server.url}/nope`);
    assert.equal(response.status, 404);
    assert.match(await response.text(), /\/metrics/);
  });
});

describe('metrics server port', () => {
  let squatter: Server;
  let taken: number;
  before(async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    taken = (squatter.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => squatter.close(() => resolve())));

  it('refuses a port the operator chose when it is taken, naming METRICS_PORT', async () => {
    await assert.rejects(
      startMetricsServer({ processName: 'p', host: '127.0.0.1', port: taken, logger }),
      /already in use; set METRICS_PORT/,
    );
  });

  it('moves to a free port when a default port is taken', async () => {
    const server = await startMetricsServer({ processName: 'p', host: '127.0.0.1', port: taken, logger, fallbackToFreePort: true });
    try {
      assert.notEqual(server.port, taken);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
