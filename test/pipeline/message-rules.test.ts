import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLinkMessage, messageWorkflowId, summarize, urlHost, workflowIdProblem } from '../../common/messages';
import type { TagResult } from '../../common/pipeline';
import { checkRecord } from '../../infra/kafka/record-check';
import { buildOutputMessage, OutputTooLargeError } from '../../domain/pipeline/output-message';

const tagging: TagResult = {
  tags: [{ name: 'finance', score: 1, source: 'keyword', rule: 'finance' }],
  taggerVersion: 'test',
  rulesVersion: 'r1',
  scannedChars: 10,
  truncated: false,
  elapsedMs: 1,
};
const timings = { startedAt: '2026-01-01T00:00:00.000Z', fetchMs: 5, tagMs: 1 };

describe('record check (what the bridge accepts as a message)', () => {
  it('accepts a JSON object and rejects everything else with a reason', () => {
    assert.equal(checkRecord(Buffer.from('{"a":1}'), 100).ok, true);
    assert.equal(checkRecord(Buffer.from('\ufeff{"a":1}'), 100).ok, true, 'a BOM is tolerated');
    const cases: Array<[Buffer | null, string]> = [
      [null, 'empty'],
      [Buffer.alloc(0), 'empty'],
      [Buffer.from('{"a":'), 'invalid_json'],
      [Buffer.from('[1,2]'), 'not_an_object'],
      [Buffer.from('42'), 'not_an_object'],
      [Buffer.from('null'), 'not_an_object'],
      [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_utf8'],
      [Buffer.from(`{"a":"${'x'.repeat(200)}"}`), 'too_large'],
    ];
    for (const [value, reason] of cases) {
      const result = checkRecord(value, 100);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.reason, reason, `${value?.toString('hex')} → ${reason}`);
    }
  });
});

describe('message ids and routing', () => {
  it('takes the workflow id from the message id, else from the Kafka position', () => {
    const origin = { kind: 'kafka' as const, topic: 'in', partition: 2, offset: '17' };
    assert.equal(messageWorkflowId(summarize({ id: 'abc' }, 'kafka'), origin), 'msg-abc');
    assert.equal(messageWorkflowId(summarize({ msg_id: 12 }, 'kafka'), origin), 'msg-12');
    assert.equal(messageWorkflowId(summarize({ text: 'no id' }, 'kafka'), origin), 'kafka-in-2-17');
  });

  it('keeps every character of an id that makes a valid workflow id, and says when one is too long', () => {
    const origin = { kind: 'kafka' as const, topic: 'in', partition: 0, offset: '1' };
    // Control characters and lone surrogates (not UTF-8: the server fails them as INTERNAL) become "_".
    assert.equal(messageWorkflowId(summarize({ id: 'a\u0001b\ud800c\udc00d😀' }, 'kafka'), origin), 'msg-a_b_c_d😀');
    // Two long ids that differ only at the end stay two ids (they used to be cut at 200 characters).
    const [first, second] = ['x', 'y'].map((last) => messageWorkflowId(summarize({ id: `${'a'.repeat(300)}${last}` }, 'kafka'), origin));
    assert.notEqual(first, second);
    assert.equal(workflowIdProblem(`msg-${'a'.repeat(996)}`), undefined);
    assert.match(String(workflowIdProblem(`msg-${'a'.repeat(997)}`)), /1001 bytes long.*at most 1000/);
    assert.equal(workflowIdProblem(`msg-${'中'.repeat(332)}`), undefined, '1,000 bytes');
    assert.match(String(workflowIdProblem(`msg-${'中'.repeat(333)}`)), /1003 bytes long/, 'bytes, not characters');
  });

  it('recognises link messages as the seed does (type 3 with a non-empty url)', () => {
    assert.equal(isLinkMessage({ type: 3, url: 'http://a/' }), true);
    assert.equal(isLinkMessage({ type: 3, url: ' ' }), false);
    assert.equal(isLinkMessage({ type: '3', url: 'http://a/' }), false);
    assert.equal(isLinkMessage({ type: 1, url: 'http://a/' }), false);
  });

  it('finds the URL host without Node built-ins', () => {
    assert.equal(urlHost('https://User@News.Example.COM:8080/x?y#z'), 'news.example.com');
    assert.equal(urlHost('http://[::1]:80/'), '[::1]');
    assert.equal(urlHost('not a url'), undefined);
  });
});

describe('output message', () => {
  const input = { id: 'm1', type: 3, url: 'http://a/', text: '消息' };

  it('adds the seed fields and crawlflow metadata', () => {
    const built = buildOutputMessage({ input, workflowId: 'msg-m1', html: '<p>hi</p>', text: 'hi', tagging, timings }, 10_000);
    const output = JSON.parse(built.value) as Record<string, unknown> & { crawlflow: Record<string, unknown> };
    assert.equal(output.text, '消息');
    assert.equal(output.content, 'hi');
    assert.equal(output.contentHtml, '<p>hi</p>');
    assert.deepEqual(output.tags, tagging.tags);
    assert.equal(output.crawlflow.workflowId, 'msg-m1');
    assert.equal(output.crawlflow.rulesVersion, 'r1');
    assert.equal(built.truncated, false);
    assert.equal(built.bytes, Buffer.byteLength(built.value));
  });

  it('drops contentHtml first, then cuts content, to fit the limit, and flags it', () => {
    const html = `<p>${'x'.repeat(5000)}</p>`;
    const text = '字'.repeat(3000);
    const noHtml = buildOutputMessage({ input, workflowId: 'w', html, text: 'short', tagging, timings }, 2000);
    const parsedNoHtml = JSON.parse(noHtml.value) as { contentHtml: string; content: string; crawlflow: { truncated: { contentHtml: unknown } } };
    assert.equal(noHtml.truncated, true);
    assert.equal(parsedNoHtml.contentHtml, '');
    assert.equal(parsedNoHtml.content, 'short');
    assert.deepEqual(parsedNoHtml.crawlflow.truncated.contentHtml, { originalChars: html.length, keptChars: 0 });

    const cut = buildOutputMessage({ input, workflowId: 'w', html, text, tagging, timings }, 4000);
    assert.ok(cut.bytes <= 4000);
    const parsedCut = JSON.parse(cut.value) as { content: string; crawlflow: { truncated: { content: { originalChars: number; keptChars: number } } } };
    assert.ok(parsedCut.content.length > 100, 'keeps as much text as fits');
    assert.equal(parsedCut.crawlflow.truncated.content.originalChars, 3000);
    assert.equal(parsedCut.crawlflow.truncated.content.keptChars, parsedCut.content.length);
    // Each 字 is 3 bytes in UTF-8: keeping the most text that fits leaves less than 3 bytes (+ a digit of metadata) unused.
    assert.ok(cut.bytes > 4000 - 5, `uses the room it has (${cut.bytes} of 4000 bytes)`);
  });

  it("records the tagger's warnings and its text cap", () => {
    const built = buildOutputMessage(
      { input, workflowId: 'w', html: '', text: '', tagging: { ...tagging, truncated: true, scannedChars: 100, warnings: ['field text is a number'] }, timings },
      10_000,
    );
    const { crawlflow } = JSON.parse(built.value) as { crawlflow: Record<string, unknown> };
    assert.deepEqual(crawlflow.taggingWarnings, ['field text is a number']);
    assert.equal(crawlflow.taggingTextCapped, true);
    assert.equal(crawlflow.taggedChars, 100);
  });

  it('fails when the message alone is over the limit', () => {
    assert.throws(
      () => buildOutputMessage({ input: { ...input, text: 'y'.repeat(5000) }, workflowId: 'w', html: '', text: '', tagging, timings }, 1000),
      OutputTooLargeError,
    );
  });
});
