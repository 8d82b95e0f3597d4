import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { before, describe, it } from 'node:test';
import { findFreeMetricsPort, findFreePort } from '../../infra/metrics/ports';
import { portOpen } from '../../stack/processes';
import { requireStack, testEnv } from '../../support/stack';
import { describeExit, runUntilExit } from './crawlflow-process';
import { startTcpProxy } from './tcp-proxy';

/** Environment of a test process: its own names, a start bounded at 20 s. */
function processEnv(overrides: Record<string, string>): Record<string, string> {
  return testEnv({ LOG_LEVEL: 'info', PROCESS_START_TIMEOUT_SECONDS: '20', ...overrides });
}

describe('a long-running process whose start fails exits non-zero', () => {
  before(() => requireStack());

  it('the bridge, when Kafka is unreachable', async () => {
    const closedPort = await findFreePort('127.0.0.1');
    const exit = await runUntilExit(['bridge'], processEnv({ KAFKA_BROKERS: `127.0.0.1:${closedPort}` }), 60_000);
    assert.equal(exit.timedOut, false, describeExit(exit));
    assert.equal(exit.code, 1, describeExit(exit));
    assert.match(exit.output, /"bridge could not start; stopping"/);
  });

  it('the web server, when its port is taken, and its health port closes with it', async () => {
    const taken: Server = createServer();
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
    const webPort = (taken.address() as { port: number }).port;
    const metricsPort = await findFreePort('127.0.0.1');
    try {
      const exit = await runUntilExit(['web'], processEnv({ WEB_PORT: String(webPort), METRICS_PORT: String(metricsPort) }), 60_000);
      assert.equal(exit.timedOut, false, describeExit(exit));
      assert.equal(exit.code, 1, describeExit(exit));
      assert.match(exit.output, new RegExp(`WEB_PORT ${webPort} on 127.0.0.1 is already in use`));
      assert.equal(await portOpen('127.0.0.1', metricsPort), false, 'the health port is closed');
    } finally {
      await new Promise((closed) => taken.close(closed));
    }
  });

  it('a worker, when Temporal is unreachable', async () => {
    const closedPort = await findFreePort('127.0.0.1');
    const exit = await runUntilExit(['worker', '--queue', 'workflows'], processEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` }), 60_000);
    assert.equal(exit.timedOut, false, describeExit(exit));
    assert.equal(exit.code, 1, describeExit(exit));
    assert.match(exit.output, /worker-workflows could not start/);
  });
});

describe('a running process whose dependency stays away exits non-zero', () => {
  before(() => requireStack());

  it('a worker, after Temporal stayed unreachable for PROCESS_DEPENDENCY_LOSS_SECONDS', async () => {
    const temporal = await startTcpProxy({ host: '127.0.0.1', port: 7233 });
    let cut: Promise<void> | undefined;
    try {
      const env = processEnv({
        TEMPORAL_ADDRESS: temporal.address,
        METRICS_PORT: String(await findFreeMetricsPort('127.0.0.1')),
        PROCESS_DEPENDENCY_LOSS_SECONDS: '3',
        // This test needs the start to succeed: the workflow bundle alone took 12 s on a busy machine.
        PROCESS_START_TIMEOUT_SECONDS: '90',
      });
      // Temporal goes away once the worker polls, and stays away.
      const exit = await runUntilExit(['worker', '--queue', 'workflows'], env, 150_000, (output) => {
        if (!cut && output.includes('"workers polling"')) cut = temporal.close();
      });
      assert.ok(cut, `the worker polled before Temporal went away; ${describeExit(exit)}`);
      assert.equal(exit.timedOut, false, describeExit(exit));
      assert.equal(exit.code, 1, describeExit(exit));
      assert.match(exit.output, /"dependency":"temporal".*"exitAfterSeconds":3,"msg":"dependency unreachable"/, 'one warning says Temporal is away and when the process gives up');
    } finally {
      await cut;
      await temporal.close().catch(() => undefined);
    }
  });
});
