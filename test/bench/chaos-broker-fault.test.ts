import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coordinatorPartition, outputPause } from '../../bench/chaos/broker-fault';
import { createLedger } from '../../bench/chaos/ledger';

describe('the chaos benchmark: output pause around a broker kill', () => {
  it('finds the longest gap between outputs that ends after the fault, beside the longest one before it', () => {
    // An output every 250 ms from 0 to 10 s, a fault at 10 s, nothing until 19 s, then every 250 ms again.
    const before = Array.from({ length: 41 }, (_, index) => index * 250);
    const after = Array.from({ length: 20 }, (_, index) => 19_000 + index * 250);
    const pause = outputPause([...after, ...before], 10_000, 20_000);
    assert.ok(pause);
    assert.equal(pause.longestMs, 9000, 'from the last output (10 s) to the next (19 s)');
    assert.equal(pause.startsAtMs, 0, 'it started at the fault');
    assert.equal(pause.beforeMs, 250);
    assert.deepEqual(pause.perSecond.slice(0, 7), [4, 4, 4, 4, 4, 1, 0], 'per second from 5 s before the fault');
    assert.equal(pause.perSecond[14], 4, 'the outputs of 19–20 s');
    assert.equal(pause.perSecond.length, 25);
  });

  it('a gap that began before the fault counts; one that begins after the window does not', () => {
    const pause = outputPause([0, 1000, 8000, 8100, 12_000, 14_500, 15_500, 40_000], 5000, 10_000);
    assert.ok(pause);
    assert.equal(pause.longestMs, 7000, '1 s → 8 s spans the fault at 5 s');
    assert.equal(pause.startsAtMs, -4000);
    assert.equal(pause.beforeMs, 1000, 'before the fault: 0 → 1 s; the gap the fault interrupted is not counted there');
    assert.equal(outputPause([0, 1000], 5000, 10_000), undefined, 'nothing after the fault');
  });

  it('the ledger keeps every output record\'s append time, duplicates included', () => {
    const ledger = createLedger();
    ledger.trying(['a'], 0);
    ledger.acknowledged(['a']);
    ledger.output('a', 500, 'ok', 400);
    ledger.output('a', 900, 'ok', 800);
    ledger.output('a', 950, 'ok', Number.NaN);
    assert.deepEqual(ledger.appended(), [400, 800]);
  });
});

describe('the chaos benchmark: which broker coordinates a group', () => {
  it("finds a group's __consumer_offsets partition as Kafka does (abs of Java's String.hashCode, mod the partitions)", () => {
    // "hello".hashCode() is 99162322 in Java; "polygenelubricants".hashCode() is Integer.MIN_VALUE (Utils.abs gives 0).
    assert.equal(coordinatorPartition('hello', 50), 99162322 % 50);
    assert.equal(coordinatorPartition('polygenelubricants', 7), 0);
    // Measured on the cluster profile: these groups were coordinated from partitions 0 and 2 of 3.
    assert.equal(coordinatorPartition('chaos-2f595827-bridge', 3), 0);
    assert.equal(coordinatorPartition('chaos-57935d75-bridge', 3), 2);
  });
});
