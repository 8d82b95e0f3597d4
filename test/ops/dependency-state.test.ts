import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDependencyState } from '../../infra/logging/dependency-state';
import { capturingLogger } from '../../support/capturing-logger';
import { eventually } from '../../support/eventually';

describe("a process's dependency state", () => {
  it('a call that fails just after a recovery (made during the outage) is no new outage; failures that outlast the settle time are', async () => {
    const { logger, lines } = capturingLogger('dependency-state-test');
    const state = createDependencyState(logger, { settleMs: 300, exitAfterSeconds: 300 });
    state.describe('temporal', 'records wait in Kafka');
    const about = () => lines.filter((line) => line.dependency === 'temporal').map((line) => line.msg);

    state.unreachable('temporal', new Error('14 UNAVAILABLE: connection refused'), 'work waits');
    state.unreachable('temporal', new Error('14 UNAVAILABLE: connection refused'), 'work waits');
    state.reachable('temporal');
    assert.deepEqual(about(), ['dependency unreachable', 'dependency reachable again']);
    const warning = lines.find((line) => line.msg === 'dependency unreachable')!;
    assert.equal(warning.meanwhile, 'records wait in Kafka', 'the described meanwhile wins over the reporter’s');
    assert.equal(warning.exitAfterSeconds, 300);

    // A start sent during the outage times out after the recovery: no second warning, and no "back" line for it.
    state.unreachable('temporal', new Error('4 DEADLINE_EXCEEDED'), 'work waits');
    state.reachable('temporal');
    assert.deepEqual(about(), ['dependency unreachable', 'dependency reachable again']);

    // A real second outage: failures go on past the settle time — one warning, dated from its first failure.
    const firstFailure = Date.now();
    state.unreachable('temporal', new Error('14 UNAVAILABLE'), 'work waits');
    await eventually('the settle time passed', () => Date.now() - firstFailure > 300, { intervalMs: 20 });
    state.unreachable('temporal', new Error('14 UNAVAILABLE'), 'work waits');
    state.unreachable('temporal', new Error('14 UNAVAILABLE'), 'work waits');
    assert.deepEqual(about(), ['dependency unreachable', 'dependency reachable again', 'dependency unreachable']);
    assert.ok(Date.parse(String(lines.at(-1)!.since)) <= firstFailure + 5);
    assert.equal(state.outage('temporal')?.failures, 3);
  });
});
