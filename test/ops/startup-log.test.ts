import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { findFreeMetricsPort } from '../../infra/metrics/ports';
import { requireStack, testEnv } from '../../support/stack';
import { describeExit, logLines, runUntilExit } from './crawlflow-process';

describe('a worker process starts quietly', () => {
  before(() => requireStack());

  it('logs no warning from start to a SIGTERM, and exits 0', async () => {
    const env = testEnv({ LOG_LEVEL: 'info', METRICS_PORT: String(await findFreeMetricsPort('127.0.0.1')), TAGGER_THREADS: '1' });
    let signalled = false;
    const exit = await runUntilExit(['worker', '--queue', 'all'], env, 90_000, (output, child) => {
      if (!signalled && output.includes('"workers polling"')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    assert.ok(signalled, `the workers started; ${describeExit(exit)}`);
    assert.equal(exit.code, 0, describeExit(exit));
    const warnings = logLines(exit.output).filter((line) => line.level >= 40);
    assert.deepEqual(
      warnings.map((line) => line.msg),
      [],
      'start-up and a clean stop log no warnings or errors',
    );
  });
});
