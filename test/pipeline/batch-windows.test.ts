import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchWorkflowId } from '../../common/messages';
import { randomUUID } from 'node:crypto';
import { SEARCH_ATTRIBUTE_VALUE_MAX_BYTES } from '../../common/search-attributes';
import { batchInlineLimitBytes, cutWindow, MAX_HOLD_MS, messageIdListBytes, planWindow, WINDOW_BUDGET, type PreparedSize } from '../../starters/batch-windows';

const limits = { batchSize: 64, batchWaitMs: 200 };
const message = (inputBytes = 500, messageIdBytes = 10): PreparedSize => ({ kind: 'message', inputBytes, messageIdBytes });

describe('batch windows', () => {
  it('takes a full window at once, whatever its age', () => {
    assert.deepEqual(planWindow(64, 0, limits), { take: 64 });
    assert.deepEqual(planWindow(1000, 0, limits), { take: 64 });
  });

  it('holds a short tail until it has waited PIPELINE_BATCH_WAIT_MS, then takes what is there', () => {
    assert.deepEqual(planWindow(10, 0, limits), { holdMs: 200 });
    assert.deepEqual(planWindow(10, 150, limits), { holdMs: 50 });
    assert.deepEqual(planWindow(10, 200, limits), { take: 10 });
    assert.deepEqual(planWindow(63, 5000, limits), { take: 63 });
  });

  it('holds a short tail while a short window of its partition still runs, for at most MAX_HOLD_MS', () => {
    assert.deepEqual(planWindow(10, 250, limits, 1), { holdMs: MAX_HOLD_MS - 250 });
    assert.deepEqual(planWindow(10, 250, limits, 0), { take: 10 });
    assert.deepEqual(planWindow(10, MAX_HOLD_MS, limits, 1), { take: 10 });
    assert.deepEqual(planWindow(64, 0, limits, 3), { take: 64 }, 'a full window never waits');
  });

  it('never waits with PIPELINE_BATCH_WAIT_MS=0, and has nothing to take from nothing', () => {
    assert.deepEqual(planWindow(3, 0, { batchSize: 64, batchWaitMs: 0 }), { take: 3 });
    assert.deepEqual(planWindow(0, 0, limits), { take: 0 });
  });

  it('ends a window before the first record that must wait', () => {
    assert.equal(cutWindow([message(), message(), { kind: 'wait' }, message()]), 2);
    assert.equal(cutWindow([{ kind: 'wait' }, message()]), 0);
  });

  it('carries records that are not messages without counting them against the budget', () => {
    assert.equal(cutWindow([{ kind: 'reject' }, message(), { kind: 'reject' }]), 3);
    assert.equal(cutWindow([{ kind: 'reject' }, { kind: 'reject' }]), 2);
  });

  it('ends a window before the message that would take its input or its message ids over budget', () => {
    const half = WINDOW_BUDGET.inputBytes / 2;
    assert.equal(cutWindow([message(half), message(half), message(1)]), 2);
    assert.equal(cutWindow([message(half), message(half + 1)]), 1);
    const ids = Math.floor(WINDOW_BUDGET.messageIdBytes / 3);
    assert.equal(cutWindow([message(10, ids), message(10, ids), message(10, WINDOW_BUDGET.messageIdBytes - 2 * ids), message(10, 1)]), 3);
  });

  it('cuts a window where its CrawlflowMessageIds list, encoded as Temporal measures it, would pass 2048 bytes', () => {
    const families = {
      uuids: Array.from({ length: 500 }, () => randomUUID()),
      short: Array.from({ length: 500 }, (_, index) => `m-${index}`),
      'multi-byte and escaped': Array.from({ length: 500 }, (_, index) => `消息-"${index}"\\`),
    };
    for (const [family, ids] of Object.entries(families)) {
      const taken = cutWindow(ids.map((id) => message(10, messageIdListBytes(id))));
      const listBytes = (count: number) => Buffer.byteLength(JSON.stringify(ids.slice(0, count)));
      assert.ok(listBytes(taken) <= SEARCH_ATTRIBUTE_VALUE_MAX_BYTES, `${family}: ${taken} ids are ${listBytes(taken)} bytes`);
      assert.ok(listBytes(taken + 1) > SEARCH_ATTRIBUTE_VALUE_MAX_BYTES, `${family}: one more id would still have fit`);
    }
  });

  it('always takes the first message, however large (it passed the record checks alone)', () => {
    assert.equal(cutWindow([message(WINDOW_BUDGET.inputBytes * 2), message()]), 1);
  });

  it('shrinks the inline limit of page texts with the window, within 512 bytes and 32 KiB', () => {
    assert.equal(batchInlineLimitBytes(64), 4096);
    assert.equal(batchInlineLimitBytes(1), 32 * 1024);
    assert.equal(batchInlineLimitBytes(256), 1024);
    assert.ok(batchInlineLimitBytes(64) * 2 * 64 <= WINDOW_BUDGET.inputBytes);
  });

  it('names a window after its first record, so a window read again finds its run', () => {
    assert.equal(batchWorkflowId({ topic: 'crawlflow.messages', partition: 2, firstOffset: '1200' }), 'batch-crawlflow.messages-2-1200');
    assert.equal(batchWorkflowId({ topic: 'a\u0000b', partition: 0, firstOffset: '0' }), 'batch-a_b-0-0');
  });
});
