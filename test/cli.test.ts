import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const bin = resolve(__dirname, '..', 'bin', 'crawlflow.js');

function crawlflow(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

describe('crawlflow CLI', () => {
  it('--help lists the process commands', () => {
    const result = crawlflow(['--help']);
    assert.equal(result.status, 0);
    for (const command of ['up', 'worker', 'setup', 'check']) {
      assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'), `lists ${command}`);
    }
  });

  it('rejects an unknown queue with a clear message and exit code 2', () => {
    const result = crawlflow(['worker', '--queue', 'gpu']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown queue gpu: choose workflows, io, cpu, sandbox or all/);
  });

  it('names a bad environment variable and exits 2 before connecting anywhere', () => {
    const result = crawlflow(['worker', '--queue', 'io'], { TEMPORAL_ADDRESS: 'not a host port' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /TEMPORAL_ADDRESS: must be host:port/);
  });
});
