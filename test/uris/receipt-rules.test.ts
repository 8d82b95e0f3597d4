import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ObjectId } from 'mongodb';
import { recheckLine, type RulesChange } from '../../domain/ingest/receipt-recheck';
import { describeLine } from '../../domain/ingest/receipt-text';
import type { ReceiptLine } from '../../domain/ingest/receipt';
import { createIngestService, type IngestService } from '../../domain/ingest/service';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { crawlerTaskId, TaskSource } from '../../store/crawler-tasks';
import { LogSource } from '../../store/ingest-logs';
import type { Job } from '../../store/jobs';
import { createStore, type Store } from '../../store/store';
import { uriHash } from '../../domain/uris/hash';
import { URI_RULES_VERSION } from '../../domain/uris/normalize';
import { buildWebServer } from '../../processes/web/server';
import { requireStack, testConfig, testLogger } from '../../support/stack';

const config = testConfig();
const logger = testLogger(config);
const TOKEN = 'receipt-rules-token';
let mongo: MongoHandle;
let store: Store;
let ingest: IngestService;
let app: FastifyInstance;

interface LegacyLine {
  input: string;
  /** What rules version 1 made of it. */
  v1: { accepted: string } | { duplicateOfLine: number; uri: string } | { invalid: string; reason: string };
}

/**
 * An ingest as rules version 1 stored it — the tasks under v1's normalized URIs, the error log
 * of its rejections and duplicates, the run marked rules_version 1 — without running v1's code.
 */
async function storeVersion1Ingest(job: Job, lines: readonly LegacyLine[]): Promise<ObjectId> {
  const ingest = new ObjectId();
  const now = new Date();
  await store.ingestRuns.start({
    _id: ingest, job: job.id, job_name: job.name, source: 'manual', filename: null, format: 'list', encoding: null, bytes: 0,
    rules_version: 1, status: 'done', counts: { lines: lines.length, accepted: 0, duplicate: 0, invalid: 0, failed: 0, skipped: 0 },
    error: null, start_datetime: now, finish_datetime: now,
  });
  const context = { job: job.id, source: TaskSource.Manual, rulesVersion: 1, ingest };
  const taskOfUri = (uri: string) => crawlerTaskId(job.id, uriHash(uri));
  for (const [index, { input, v1 }] of lines.entries()) {
    const line = index + 1;
    if ('accepted' in v1) {
      const [outcome] = await store.tasks.insertNew(context, [{ uri: v1.accepted, uriHash: uriHash(v1.accepted), original: input, line }]);
      assert.equal(outcome?.kind, 'accepted');
    } else if ('duplicateOfLine' in v1) {
      await store.logs.recordErrors([{ job: job.id, jobName: job.name, source: LogSource.Manual, ingest, line, input, reasonCode: 'duplicate', reason: 'duplicate', duplicateOf: taskOfUri(v1.uri) }]);
    } else {
      await store.logs.recordErrors([{ job: job.id, jobName: job.name, source: LogSource.Manual, ingest, line, input, reasonCode: v1.invalid, reason: v1.reason }]);
    }
  }
  return ingest;
}

async function receiptLines(ingest: ObjectId | string) {
  const response = await app.inject({ method: 'GET', url: `/api/ingests/${ingest.toString()}/lines`, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.statusCode, 200, response.body.slice(0, 300));
  return response.json() as { lines: Array<ReceiptLine & { links?: { run: string } }>; rules: { stored: number; current: number; changed: number }; next: number | null };
}

describe('receipts of ingests stored under older URI rules', () => {
  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
    await mongo.db.dropDatabase();
    await ensureIndexes(mongo.db);
    store = createStore(mongo.db);
    ingest = createIngestService({ store, config, logger });
    app = await buildWebServer({ config, store, ingest, logger, token: TOKEN });
  });
  after(async () => {
    await app.close();
    await mongo.db.dropDatabase();
    await mongo.client.close();
  });

  it('marks each line the current rules normalize, accept or reject differently, and only those', async () => {
    assert.equal(URI_RULES_VERSION, 2);
    const job = await store.jobs.create({ name: 'legacy' });
    const id = await storeVersion1Ingest(job, [
      { input: 'http://x.com/%%35%32', v1: { accepted: 'http://x.com/%52' } },
      { input: 'http://x.com/same', v1: { accepted: 'http://x.com/same' } },
      { input: 'http://user:pw@x.com/a', v1: { accepted: 'http://user:pw@x.com/a' } },
      { input: 'http://./', v1: { accepted: 'http://./' } },
      { input: 'http://x.com/b#c d', v1: { invalid: 'whitespace', reason: 'contains whitespace at character 17' } },
      { input: 'ftp://x.com/', v1: { invalid: 'scheme_not_allowed', reason: 'scheme "ftp" is not allowed' } },
      { input: 'HTTP://X.COM/same', v1: { duplicateOfLine: 2, uri: 'http://x.com/same' } },
      { input: 'http://x.com/%25', v1: { accepted: 'http://x.com/%25' } },
      { input: 'http://x.com/%%32%35', v1: { duplicateOfLine: 8, uri: 'http://x.com/%25' } },
      { input: 'x'.repeat(20), v1: { invalid: 'too_long', reason: 'longer than 8000 characters (9000)' } },
    ]);
    const receipt = await receiptLines(id);
    assert.deepEqual(receipt.rules, { stored: 1, current: 2, changed: 5 });
    const byLine = new Map(receipt.lines.map((line) => [line.line, line]));
    assert.deepEqual([...byLine.keys()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const change = (line: number): RulesChange | undefined => byLine.get(line)?.rulesChange;

    const taskOf = (uri: string) => crawlerTaskId(job.id, uriHash(uri)).toHexString();
    assert.deepEqual(change(1), {
      storedRulesVersion: 1, rulesVersion: 2, outcome: 'accepted', uri: 'http://x.com/%%352', taskId: taskOf('http://x.com/%%352'),
      note: `normalized differently under URI rules version 2: http://x.com/%%352 (task ${taskOf('http://x.com/%%352')})`,
      noteMessage: { key: 'receipt.rules.renormalized', params: { version: '2', uri: 'http://x.com/%%352', task: taskOf('http://x.com/%%352') } },
    });
    assert.equal(change(2), undefined, 'the same URI under both versions');
    assert.equal(change(3)?.uri, 'http://x.com/a', 'userinfo is out of the key now');
    assert.equal(change(4)?.outcome, 'invalid');
    assert.equal(change(4)?.code, 'bad_host');
    assert.match(change(4)!.note, /^invalid under URI rules version 2: host "\." has an empty label/);
    assert.equal(change(5)?.outcome, 'accepted');
    assert.equal(change(5)?.uri, 'http://x.com/b', 'whitespace in a dropped fragment no longer rejects');
    assert.equal(change(6), undefined, 'still rejected');
    assert.equal(change(7), undefined, 'still a duplicate of the same task');
    assert.equal(change(8), undefined);
    assert.equal(change(9)?.uri, 'http://x.com/%%325', 'no longer a duplicate of http://x.com/%25');
    assert.equal(change(10), undefined, "a reader's rejection is not a URI rule");
    assert.equal(byLine.get(1)?.links?.run.includes(byLine.get(1)!.taskId!), true);

    assert.match(describeLine(byLine.get(1)!), /^line 1 +accepted .*\[normalized differently under URI rules version 2: http:\/\/x\.com\/%%352/);
    assert.doesNotMatch(describeLine(byLine.get(2)!), /\[/);
  });

  it('marks nothing in a receipt of the current rules', async () => {
    await store.jobs.create({ name: 'current' });
    const submitted = await ingest.submitUris({ job: 'current', uris: ['http://x.com/%%35%32', 'http://./', 'http://x.com/%%352', 'http://u:p@x.com/'] });
    assert.deepEqual(submitted.counts, { lines: 4, accepted: 2, duplicate: 1, invalid: 1, failed: 0, skipped: 0 });
    const receipt = await receiptLines(submitted.ingestId);
    assert.deepEqual(receipt.rules, { stored: URI_RULES_VERSION, current: URI_RULES_VERSION, changed: 0 });
    assert.equal(receipt.lines.length, 4);
    assert.ok(receipt.lines.every((line) => line.rulesChange === undefined));
  });

  it('keeps userinfo out of everything it stores and answers', async () => {
    await store.jobs.create({ name: 'secrets' });
    const submitted = await ingest.submitUris({
      job: 'secrets',
      uris: ['http://alice:s3cr3t@x.com/private', 'http://alice:s3cr3t@x.com/private', 'http://bob:s3cr3t@bad{host}.com/', 'http:carol:s3cr3t@x.com/other'],
    });
    assert.deepEqual(submitted.counts, { lines: 4, accepted: 2, duplicate: 1, invalid: 1, failed: 0, skipped: 0 });
    assert.deepEqual(submitted.lines.map((line) => line.input), ['http://***@x.com/private', 'http://***@x.com/private', 'http://***@bad{host}.com/', 'http:***@x.com/other']);
    assert.deepEqual(submitted.lines.map((line) => line.uri ?? null), ['http://x.com/private', 'http://x.com/private', null, 'http://x.com/other']);
    const stored = JSON.stringify(
      await Promise.all([Collection.CrawlerTask, Collection.CrawlerTaskSource, Collection.ErrorLog, Collection.FailureLog, Collection.IngestRun].map((name) => mongo.db.collection(name).find({}).toArray())),
    );
    assert.ok(stored.includes('http://***@x.com/private'), 'the redacted original is stored');
    assert.doesNotMatch(stored, /s3cr3t|alice|bob|carol/);
    assert.doesNotMatch(JSON.stringify(await receiptLines(submitted.ingestId)), /s3cr3t|alice|bob|carol/);
  });
});

describe('recheckLine', () => {
  const job = new ObjectId();
  const policy = { allowedSchemes: ['http', 'https'] };
  const old = { job, storedRulesVersion: 1, policy };

  it('checks nothing stored under the current version', () => {
    assert.equal(recheckLine({ input: 'http://./', inputCut: false, outcome: 'accepted', taskId: new ObjectId().toHexString() }, { ...old, storedRulesVersion: URI_RULES_VERSION }), null);
  });

  it('does not check an input that was cut, or a rejection that is not the URI rules', () => {
    assert.equal(recheckLine({ input: 'http://x.com/a', inputCut: true, outcome: 'invalid', code: 'whitespace' }, old), null);
    assert.equal(recheckLine({ input: 'http://x.com/a', inputCut: false, outcome: 'invalid', code: 'csv_error' }, old), null);
  });

  it('says when a line that failed to save would now be rejected', () => {
    assert.equal(recheckLine({ input: 'http://x:0/', inputCut: false, outcome: 'failed', code: 'save_failed' }, old)?.code, 'bad_port');
    assert.equal(recheckLine({ input: 'http://x/', inputCut: false, outcome: 'failed', code: 'save_failed' }, old), null);
  });

  it("uses the job's current rules", () => {
    const task = crawlerTaskId(job, uriHash('http://x.com/?b=1&a=2')).toHexString();
    const line = { input: 'http://x.com/?b=1&a=2', inputCut: false, outcome: 'accepted' as const, taskId: task };
    assert.equal(recheckLine(line, old), null);
    assert.equal(recheckLine(line, { ...old, policy: { ...policy, sortQuery: true } })?.uri, 'http://x.com/?a=2&b=1');
  });
});
