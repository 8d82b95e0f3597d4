import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLedger, faultReports, healthySince, slowThresholdMs, type Arrival } from '../../bench/chaos/ledger';

describe('the chaos benchmark ledger', () => {
  it('counts in, distinct out, lost, duplicates and dead letters; a retried send keeps its first try', () => {
    const ledger = createLedger();
    ledger.trying(['a', 'b', 'c'], 1000);
    ledger.trying(['a', 'b', 'c'], 5000); // the same batch again after a failed send
    ledger.acknowledged(['a', 'b', 'c']);
    ledger.output('a', 6000, 'ok');
    ledger.output('a', 6100, 'ok');
    ledger.output('b', 7000, 'failed');
    ledger.output('zzz', 7000, 'ok');
    ledger.deadLetter();
    assert.deepEqual(ledger.totals(), {
      messagesIn: 3,
      inputRecords: 3,
      distinctOut: 2,
      lost: 1,
      outputRecords: 4,
      duplicates: 1,
      deadLetters: 1,
      fetchFailed: 1,
      strangers: 1,
    });
    assert.deepEqual(ledger.lost(), ['c']);
    assert.deepEqual(
      ledger.arrivals().map((arrival) => [arrival.id, arrival.at - arrival.sentAt]),
      [['a', 5000], ['b', 6000]],
      'latency from the first try, once per message',
    );
  });

  it('per fault: back, flowing again (first message sent after it out), normal again (last slow one)', () => {
    const arrivals: Arrival[] = [
      // before the fault: 100 ms each
      ...Array.from({ length: 20 }, (_, index) => ({ id: `w${index}`, sentAt: index * 100, at: index * 100 + 100 })),
      // fault at 10_000: messages sent after it wait for the restart, then drain
      { id: 'x1', sentAt: 10_000, at: 14_000 },
      { id: 'x2', sentAt: 10_500, at: 14_100 },
      { id: 'x3', sentAt: 11_000, at: 15_000 },
      { id: 'x4', sentAt: 14_500, at: 14_600 },
      // second fault at 20_000: nothing slow after it
      { id: 'y1', sentAt: 20_100, at: 20_300 },
    ];
    const threshold = slowThresholdMs(arrivals, 10_000);
    assert.equal(threshold, 1100, 'p95 100 ms → slow means over 1.1 s');
    const reports = faultReports(
      [
        { name: 'worker-io', injectedAt: 10_000, backAt: 13_000 },
        { name: 'kafka', injectedAt: 20_000 },
      ],
      arrivals,
      threshold,
    );
    assert.deepEqual(reports, [
      { name: 'worker-io', backMs: 3000, resumedMs: 4000, recoveredMs: 5000, measured: 4 },
      { name: 'kafka', backMs: undefined, resumedMs: 300, recoveredMs: 300, measured: 1 },
    ]);
    assert.equal(healthySince(arrivals.slice(0, 24), 10_000, threshold, 3), false, 'the latest ones were slow');
    assert.equal(healthySince([...arrivals, { id: 'y2', sentAt: 20_200, at: 20_400 }], 20_000, threshold, 2), true);
  });
});
