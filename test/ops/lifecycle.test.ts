import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../infra/config/config';
import { createLogger } from '../../infra/logging/logger';
import { createLifecycle, runLifecycle, type LifecycleOptions } from '../../infra/process/lifecycle';
import { eventually } from '../../support/eventually';

/** A lifecycle whose signals, exit and log lines the test holds. */
function harness(overrides: Partial<LifecycleOptions> = {}) {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const signals = new EventEmitter();
  const exits: number[] = [];
  const options: LifecycleOptions = {
    name: 'test-process',
    logger: createLogger({ level: 'debug', format: 'json' }, {}, sink),
    signalSource: signals,
    exit: (code) => exits.push(code),
    ...overrides,
  };
  return { options, lines, signals, exits };
}

describe('the process lifecycle', () => {
  it('releases what the start acquired in reverse order, each step on its own, and exits 0 on SIGTERM', async () => {
    const { options, signals, exits, lines } = harness();
    const released: string[] = [];
    const life = createLifecycle(options);
    const running = life.run(async (lifecycle) => {
      lifecycle.onShutdown('database', () => released.push('database'));
      lifecycle.onShutdown('broken client', () => {
        throw new Error('close failed');
      });
      lifecycle.onShutdown('work', async () => released.push('work'));
    });
    await eventually('the process runs', () => life.state === 'running');
    signals.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
    assert.deepEqual(released, ['work', 'database'], 'the failing step did not skip the one after it');
    assert.deepEqual(exits, [0]);
    assert.ok(lines.some((line) => line.what === 'broken client' && line.level === 40), 'the failed release is logged as a warning');
    assert.equal(signals.listenerCount('SIGTERM'), 0, 'the signal handlers are removed');
  });

  it('exits 1 when the start fails, after releasing what it had acquired', async () => {
    const { options, exits, lines } = harness();
    const released: string[] = [];
    const code = await runLifecycle(options, async (lifecycle) => {
      lifecycle.onShutdown('database', () => released.push('database'));
      throw new Error('broker unreachable');
    });
    assert.equal(code, 1);
    assert.deepEqual(exits, [1]);
    assert.deepEqual(released, ['database']);
    assert.ok(lines.some((line) => line.level === 50 && /could not start/.test(line.msg)));
  });

  it('exits 1 when the start hangs past its timeout, and releases what the late start acquires afterwards', async () => {
    const { options, exits } = harness({ startTimeoutMs: 100 });
    const released: string[] = [];
    let finishStart!: () => void;
    const code = await runLifecycle(options, async (lifecycle) => {
      lifecycle.onShutdown('first client', () => released.push('first client'));
      await new Promise<void>((resolve) => (finishStart = resolve));
      lifecycle.onShutdown('late client', () => released.push('late client'));
    });
    assert.equal(code, 1);
    assert.deepEqual(exits, [1]);
    assert.deepEqual(released, ['first client']);
    finishStart();
    await eventually('the late client is released', () => released.includes('late client'));
  });

  it('is safe to shut down twice: the steps run once and the first reason decides the exit code', async () => {
    const { options, exits } = harness();
    let releases = 0;
    const life = createLifecycle(options);
    const running = life.run(async (lifecycle) => {
      lifecycle.onShutdown('client', async () => {
        releases++;
      });
    });
    await eventually('the process runs', () => life.state === 'running');
    const [first, second] = await Promise.all([life.shutdown({ kind: 'requested' }), life.shutdown({ kind: 'start-failed', error: new Error('x') })]);
    assert.deepEqual([first, second, await running], [0, 0, 0]);
    assert.equal(releases, 1);
    assert.deepEqual(exits, [0]);
  });

  it('exits 1 when its work fails, 0 when it ends', async () => {
    for (const [done, expected] of [
      [Promise.reject(new Error('worker crashed')), 1],
      [Promise.resolve(), 0],
    ] as const) {
      done.catch(() => undefined);
      const { options } = harness();
      assert.equal(await runLifecycle(options, async () => ({ done })), expected);
    }
  });

  it('warns once when a dependency stops answering, says when it is back, and exits 1 when it stays away', async () => {
    const { options, exits, lines } = harness({ dependencyCheckIntervalMs: 20, dependencyLossMs: 400, dependencySettleMs: 0 });
    let answering = true;
    let outages = 0;
    const broker = {
      name: 'kafka',
      check: async () => {
        if (!answering) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
      },
    };
    const life = createLifecycle(options);
    const running = life.run(async () => ({ dependencies: [broker] }));
    // A short outage: one warning, one "back" line, no exit.
    answering = false;
    await eventually('the outage is noticed', () => lines.some((line) => line.dependency === 'kafka' && line.level === 40));
    answering = true;
    await eventually('the recovery is noticed', () => lines.some((line) => line.dependency === 'kafka' && line.level === 30));
    outages++;
    assert.equal(life.state, 'running');
    // An outage longer than the bound: the process stops with 1.
    answering = false;
    assert.equal(await running, 1);
    assert.deepEqual(exits, [1]);
    const warnings = lines.filter((line) => line.dependency === 'kafka' && line.level === 40);
    assert.equal(warnings.length, outages + 1, 'one warning per outage, not one per check');
    assert.equal(warnings[0]?.msg, 'dependency unreachable');
    assert.match(String(warnings[0]?.meanwhile), /this process exits/);
    assert.equal(warnings[0]?.exitAfterSeconds, 0.4);
    assert.match(String(warnings[0]?.error), /ECONNREFUSED/);
    assert.ok(lines.some((line) => line.dependency === 'kafka' && line.level === 50 && /stayed unreachable/.test(line.msg)));
  });

  it('an outage that both the work and the readiness watch notice is one warning and one "reachable again" line', async () => {
    const { options, lines } = harness({ dependencyCheckIntervalMs: 20, dependencyLossMs: 0 });
    let answering = false;
    const broker = {
      name: 'kafka',
      check: async () => {
        if (!answering) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
      },
    };
    const life = createLifecycle(options);
    life.dependencies.describe('kafka', 'records wait in Kafka');
    const running = life.run(async () => ({ dependencies: [broker] }));
    // The work's own failing calls (the bridge's consumer, the feeder's sends) report to the same state.
    life.dependencies.unreachable('kafka', new Error('KafkaJSNumberOfRetriesExceeded: connect ECONNREFUSED'), 'records wait in Kafka');
    const checksSeen = () => lines.filter((line) => line.dependency === 'kafka').length;
    await eventually('the readiness watch checked a few times while the outage lasts', () => (life.dependencies.outage('kafka')?.failures ?? 0) >= 3);
    life.dependencies.unreachable('kafka', new Error('KafkaJSNonRetriableError'), 'records wait in Kafka');
    answering = true;
    await eventually('the recovery is noticed', () => lines.some((line) => line.dependency === 'kafka' && line.level === 30));
    life.dependencies.reachable('kafka');
    void life.shutdown();
    assert.equal(await running, 0);
    const kafkaLines = lines.filter((line) => line.dependency === 'kafka');
    assert.equal(checksSeen(), 2);
    assert.deepEqual(
      kafkaLines.map((line) => [line.level, line.msg]),
      [
        [40, 'dependency unreachable'],
        [30, 'dependency reachable again'],
      ],
    );
    assert.equal(kafkaLines[0]?.meanwhile, 'records wait in Kafka', 'the work says what happens meanwhile, whoever noticed first');
    assert.ok(Number(kafkaLines[1]?.failedCalls) >= 4, 'the failures of both reporters are counted in the one outage');
  });

  it('a second signal while stopping exits at once; the same signal delivered twice at once does not', async () => {
    const { options, signals, exits } = harness({ repeatSignalWindowMs: 200 });
    const life = createLifecycle(options);
    let releaseStuck!: () => void;
    const running = life.run(async (lifecycle) => {
      lifecycle.onShutdown('stuck', () => new Promise<void>((resolve) => (releaseStuck = resolve)));
    });
    await eventually('the process runs', () => life.state === 'running');
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGTERM', 'SIGTERM');
    await eventually('the shutdown began', () => life.state === 'stopping');
    assert.deepEqual(exits, [], 'a duplicate delivery leaves the shutdown graceful');
    await eventually('a later Ctrl-C ends the process at once', () => {
      signals.emit('SIGINT', 'SIGINT');
      return exits.length > 0;
    });
    assert.deepEqual(exits, [130]);
    releaseStuck();
    assert.equal(await running, 0);
  });

  it('exits 1 when the shutdown outlasts its bound', async () => {
    const { options, exits } = harness({ shutdownTimeoutMs: 100 });
    const life = createLifecycle(options);
    const running = life.run(async (lifecycle) => {
      lifecycle.onShutdown('never closes', () => new Promise(() => undefined));
    });
    await eventually('the process runs', () => life.state === 'running');
    void life.shutdown();
    assert.equal(await running, 1);
    assert.deepEqual(exits, [1]);
  });
});

describe("the lifecycle's configuration", () => {
  it('takes its bounds from PROCESS_* variables, in seconds; a dependency wait of 0 means forever', () => {
    assert.deepEqual(loadConfig({}).process, { startTimeoutMs: 60_000, dependencyLossMs: 300_000, shutdownTimeoutMs: 25_000 });
    assert.deepEqual(
      loadConfig({ PROCESS_START_TIMEOUT_SECONDS: '5', PROCESS_DEPENDENCY_LOSS_SECONDS: '0', PROCESS_SHUTDOWN_TIMEOUT_SECONDS: '2' }).process,
      { startTimeoutMs: 5_000, dependencyLossMs: 0, shutdownTimeoutMs: 2_000 },
    );
  });

  it('names a bad bound', () => {
    assert.throws(
      () => loadConfig({ PROCESS_START_TIMEOUT_SECONDS: '0', PROCESS_DEPENDENCY_LOSS_SECONDS: 'soon' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((problem) => problem.variable === 'PROCESS_START_TIMEOUT_SECONDS') &&
        error.problems.some((problem) => problem.variable === 'PROCESS_DEPENDENCY_LOSS_SECONDS' && /whole number/.test(problem.message)),
    );
  });
});
