import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findFreeMetricsPort } from '../../infra/metrics/ports';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { requireStack, uniqueName } from '../../support/stack';
import { logLines } from './crawlflow-process';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

const bin = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');

// What an operator reads from a real `crawlflow bridge` while Temporal is away: the bridge's
// starts fail and its readiness watch fails too — two reporters, one outage, so one warning
// (what, since when, what happens meanwhile) and one line when it is back; no error lines,
// since nothing needs a person.
describe('crawlflow bridge: a Temporal outage in its log', () => {
  let pipeline: PipelineHarness;
  let proxy: TcpProxy;
  let bridge: ChildProcess | undefined;
  let output = '';

  before(async () => {
    await requireStack();
    // The workflows, io and cpu workers run in the test, on Temporal directly; only the bridge goes through the proxy.
    pipeline = await startPipelineHarness({ bridge: false });
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 7233 });
  });
  after(async () => {
    if (bridge && bridge.exitCode === null && bridge.signalCode === null) {
      bridge.kill('SIGKILL');
      await new Promise((done) => bridge!.once('exit', done));
    }
    await proxy?.close();
    await pipeline?.close();
  });

  it('one warning and one "reachable again" line for the whole outage, nothing at error level, every record out', async () => {
    const lines = () => logLines(output);
    bridge = spawn(process.execPath, [bin, 'bridge'], {
      env: {
        ...process.env,
        ...pipeline.env,
        TEMPORAL_ADDRESS: proxy.address,
        METRICS_PORT: String(await findFreeMetricsPort('127.0.0.1')),
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [bridge.stdout!, bridge.stderr!]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => bridge!.once('exit', (code) => done(code)));
    await eventually('the bridge started', () => lines().some((line) => line.msg === 'bridge started'), { timeoutMs: 60_000 });

    const run = uniqueName('outage-log');
    const message = (name: string) => ({ id: `${run}-${name}`, type: 1, text: `the stock market ${name}` });
    await pipeline.produce([message('before')]);
    await pipeline.waitForOutput(`${run}-before`);

    await proxy.close();
    await pipeline.produce(['a', 'b', 'c'].map(message));
    // Back-offs of 1, 2, 4 and 8 s: by the fourth attempt the readiness watch (every 5 s) failed too.
    await eventually(
      'a partition waited four times for Temporal',
      () => lines().some((line) => line.msg === 'partition waits' && Number(line.attempt) >= 4),
      { timeoutMs: 90_000 },
    );
    await proxy.open();
    for (const name of ['a', 'b', 'c']) await pipeline.waitForOutput(`${run}-${name}`, 90_000);
    await eventually('the "back" line', () => lines().some((line) => line.dependency === 'temporal' && line.msg === 'dependency reachable again'), {
      timeoutMs: 30_000,
    });

    bridge.kill('SIGTERM');
    assert.equal(await exited, 0, `the bridge stops cleanly; output:\n${output.slice(-3000)}`);
    const about = lines().filter((line) => line.dependency === 'temporal' && line.level >= 30);
    assert.deepEqual(
      about.map((line) => [line.level, line.msg]),
      [
        [40, 'dependency unreachable'],
        [30, 'dependency reachable again'],
      ],
      `one warning and one info line for the outage, from the bridge and its readiness watch together:\n${about.map((line) => JSON.stringify(line)).join('\n')}`,
    );
    assert.match(String(about[0]!.meanwhile), /records wait in Kafka/, 'the warning says what the bridge does meanwhile');
    assert.ok(Number(about[1]!.failedCalls) >= 4, 'the failed starts and checks are counted in the one outage');
    const errors = lines().filter((line) => line.level >= 50);
    assert.deepEqual(
      errors.map((line) => line.msg),
      [],
      'an outage that ends by itself needs no person: no error lines',
    );
    const warnings = lines().filter((line) => line.level === 40 && line.dependency !== 'temporal');
    assert.deepEqual(
      warnings.map((line) => line.msg),
      [],
      `no other warnings (SDK poll failures, client retries) for the same outage:\n${warnings.map((line) => JSON.stringify(line)).join('\n')}`,
    );
  });
});
