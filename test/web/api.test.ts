import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createIngestService } from '../../domain/ingest/service';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { RunLogStatus } from '../../store/seed-fields';
import { createStore, type Store } from '../../store/store';
import { buildWebServer } from '../../processes/web/server';
import { FIXTURES, writtenCounts } from '../ingest/support';
import { requireStack, testConfig, testLogger } from '../../support/stack';
import { multipart } from './support';

const config = testConfig({ TEMPORAL_UI_URL: 'http://temporal.test:8233', INGEST_MAX_UPLOAD_BYTES: '200000' });
const logger = testLogger(config);
const TOKEN = 'test-token-123';
const auth = { authorization: `Bearer ${TOKEN}` };
let mongo: MongoHandle;
let store: Store;
let app: FastifyInstance;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload: body as Record<string, unknown>, headers: { ...auth, ...headers } });
}
async function upload(url: string, fields: Record<string, string>, file?: { filename: string; content: string | Buffer }, headers: Record<string, string> = {}) {
  const form = multipart(fields, file);
  return app.inject({ method: 'POST', url, payload: form.payload, headers: { ...auth, ...form.headers, ...headers } });
}
async function get(url: string) {
  return app.inject({ method: 'GET', url, headers: auth });
}
function errorOf(response: { statusCode: number; json: () => unknown }, status: number, code: string, message: RegExp, field?: string): void {
  const body = response.json() as { error: string; message: string; field?: string };
  assert.equal(response.statusCode, status, JSON.stringify(body).slice(0, 300));
  assert.equal(body.error, code);
  assert.match(body.message, message);
  if (field !== undefined) assert.equal(body.field, field, JSON.stringify(body));
}

describe('the HTTP API (fastify inject, real MongoDB-compatible server)', () => {
  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
    await ensureIndexes(mongo.db);
    store = createStore(mongo.db);
    const ingest = createIngestService({ store, config, logger, batchSize: 100 });
    app = await buildWebServer({ config, store, ingest, logger, token: TOKEN });
  });
  after(async () => {
    await app.close();
    await mongo.db.dropDatabase();
    await mongo.client.close();
  });

  it('serves the page to anyone and the API only with the token', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<title>crawlflow/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.equal((await app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
    errorOf(await app.inject({ method: 'GET', url: '/api/jobs' }), 401, 'unauthorized', /access token/);
    errorOf(await app.inject({ method: 'GET', url: '/api/jobs', headers: { authorization: 'Bearer wrong-token-12' } }), 401, 'unauthorized', /access token/);
    const session = await get('/api/session');
    assert.equal(session.json().temporalUiUrl, 'http://temporal.test:8233');
    errorOf(await get('/api/nothing-here'), 404, 'not_found', /no route GET \/api\/nothing-here/);
  });

  it('creates jobs and names what is wrong with a bad one', async () => {
    const created = await post('/api/jobs', { name: 'web', info: 'from the page', uriRules: { sortQuery: true } });
    assert.equal(created.statusCode, 201);
    const job = created.json().job as { id: string; uriRules: { sortQuery: boolean }; links: { runs: string } };
    assert.equal(job.uriRules.sortQuery, true);
    assert.equal(job.links.runs, `http://temporal.test:8233/namespaces/default/workflows?query=${encodeURIComponent(`CrawlflowJob = "${job.id}"`)}`);
    errorOf(await post('/api/jobs', { name: 'web' }), 409, 'exists', /a job named "web" already exists/);
    errorOf(await post('/api/jobs', { info: 'no name' }), 400, 'bad_request', /^body\.name: required$/, 'body.name');
    errorOf(await post('/api/jobs', { name: 'x'.repeat(200) }), 400, 'invalid', /name: at most 128 characters/);
    errorOf(await app.inject({ method: 'POST', url: '/api/jobs', payload: '{"name": ', headers: { ...auth, 'content-type': 'application/json' } }), 400, 'bad_request', /JSON/);
  });

  it('takes typed URIs and the configuration string, and tells which line was too long', async () => {
    const tooLong = 'http://example.com/' + 'a'.repeat(7982);
    const typed = await post('/api/jobs/web/uris', { text: `http://web.example/?b=2&a=1\n${tooLong}\n\nhttp://web.example/?a=1&b=2` });
    assert.equal(typed.statusCode, 200);
    const receipt = typed.json();
    assert.deepEqual(receipt.counts, { lines: 4, accepted: 1, duplicate: 1, invalid: 1, failed: 0, skipped: 1 });
    assert.deepEqual(receipt.lines[1], {
      line: 2,
      input: tooLong.slice(0, 300),
      outcome: 'invalid',
      code: 'too_long',
      reason: 'longer than 8000 characters (8001)',
      reasonMessage: { key: 'receipt.uri.too_long', params: { max: '8000', chars: '8001' } },
    });
    assert.equal(receipt.lines[2].reason, `duplicate of task ${receipt.lines[0].taskId}`);

    const config = await post('/api/jobs/web/config', { config: 'https://conf.example/path/file?param=value' });
    assert.equal(config.json().lines[0].uri, 'https://conf.example/path/file?param=value');
    errorOf(await post('/api/jobs/web/config', { config: 'http://a.example/\nhttp://b.example/' }), 400, 'bad_config', /one configuration string at a time/);
    errorOf(await post('/api/jobs/web/uris', { uris: 'not a list' }), 400, 'bad_request', /^body\.uris: expected a list$/, 'body.uris');
    errorOf(await post('/api/jobs/ghost/uris', { uris: ['http://a.example/'] }), 404, 'unknown_job', /no job named "ghost"/);
  });

  it('seed test case 1 over HTTP: an uploaded CSV becomes crawler_task rows', async () => {
    const response = await upload('/api/jobs/web/files', { column: 'url' }, { filename: 'uris.csv', content: readFileSync(join(FIXTURES, 'uris.csv')) });
    assert.equal(response.statusCode, 200, response.body);
    const receipt = response.json();
    assert.equal(receipt.filename, 'uris.csv');
    assert.deepEqual(receipt.counts, { lines: 5, accepted: 2, duplicate: 1, invalid: 1, failed: 0, skipped: 1 });
    const job = (await store.jobs.findByName('web'))!;
    const uris = (await mongo.db.collection(Collection.CrawlerTask).find({ job: job.id }).toArray()).map((task) => task.uri);
    assert.ok(uris.includes('http://example.com/a') && uris.includes('https://example.com/b?x=1'));
  });

  it('streams progress as NDJSON for a big upload, then the receipt', async () => {
    const content = Array.from({ length: 1200 }, (_, index) => `http://stream.example/${index}`).join('\n');
    const response = await upload('/api/jobs/web/files', {}, { filename: 'big.txt', content }, { accept: 'application/x-ndjson' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /application\/x-ndjson/);
    const events = response.body.trim().split('\n').map((line) => JSON.parse(line) as { type: string; bytesRead?: number; receipt?: { counts: { accepted: number } } });
    assert.ok(events.filter((event) => event.type === 'progress').length >= 5);
    assert.equal(events.at(-1)?.type, 'receipt');
    assert.equal(events.at(-1)?.receipt?.counts.accepted, 1200);
  });

  it('never stores one URI twice when two uploads race', async () => {
    const shared = Array.from({ length: 600 }, (_, index) => `http://race.example/${index}`);
    const [a, b] = await Promise.all([
      upload('/api/jobs/web/files', {}, { filename: 'a.txt', content: shared.join('\n') }),
      upload('/api/jobs/web/files', {}, { filename: 'b.txt', content: [...shared].reverse().join('\n') }),
    ]);
    const accepted = a.json().counts.accepted + b.json().counts.accepted;
    assert.equal(accepted, 600);
    assert.equal(a.json().counts.duplicate + b.json().counts.duplicate, 600);
    const job = (await store.jobs.findByName('web'))!;
    assert.equal(await mongo.db.collection(Collection.CrawlerTask).countDocuments({ job: job.id, uri: /^http:\/\/race\.example\// }), 600);
  });

  it('rejects malformed, huge, binary, empty and wrongly typed uploads with a 4xx naming the problem, writing nothing, and keeps serving', async () => {
    await post('/api/jobs', { name: 'strict' });
    const before = await writtenCounts(mongo.db);
    errorOf(await upload('/api/jobs/strict/files', {}, { filename: 'book.xlsx', content: 'PK\u0003\u0004' }), 415, 'wrong_file_type', /\.csv or \.txt \(got "book\.xlsx"\)/);
    errorOf(await upload('/api/jobs/strict/files', {}, { filename: 'pic.txt', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]) }), 415, 'binary_file', /PNG image/);
    errorOf(await upload('/api/jobs/strict/files', {}, { filename: 'empty.txt', content: '' }), 400, 'empty_input', /the file is empty/);
    errorOf(await upload('/api/jobs/strict/files', {}, { filename: 'huge.txt', content: 'http://huge.example/\n'.repeat(12_000) }), 413, 'too_large', /larger than the limit of 200000 bytes/);
    errorOf(await upload('/api/jobs/strict/files', {}), 400, 'no_file', /holds no file/);
    errorOf(await post('/api/jobs/strict/files', { not: 'multipart' }), 415, 'not_multipart', /multipart\/form-data/);
    errorOf(await upload('/api/jobs/strict/files', { column: 'nope' }, { filename: 'u.csv', content: 'url\nhttp://a.example/\n' }), 400, 'bad_column', /no column "nope"/);
    errorOf(
      await app.inject({ method: 'POST', url: '/api/jobs/strict/uris', payload: JSON.stringify({ text: 'x'.repeat(250_000) }), headers: { ...auth, 'content-type': 'application/json' } }),
      413,
      'too_large',
      /too large/i,
    );
    errorOf(await upload('/api/jobs/strict/files', {}, { filename: '../../../etc/passwd', content: 'root:x:0:0' }), 415, 'wrong_file_type', /got "passwd"/);
    await post('/api/jobs/strict/status', { status: 'off' });
    errorOf(await post('/api/jobs/strict/uris', { uris: ['http://a.example/'] }), 409, 'job_disabled', /job "strict" is disabled/);
    assert.deepEqual(await writtenCounts(mongo.db), before, 'nothing was written');
    assert.equal((await app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
  });

  it('seed test case 2 over HTTP: an uploaded script becomes a crawler_task_generator row; bad settings are named', async () => {
    const created = await upload(
      '/api/jobs/web/scripts',
      { cron: '0 */6 * * *', priority: 'very high', status: 'on', timeout: '120', network: 'on', name: 'six-hourly' },
      { filename: 'generator.py', content: readFileSync(join(FIXTURES, 'generator.py')) },
    );
    assert.equal(created.statusCode, 201, created.body);
    const generator = created.json().generator as { id: string; name: string; priority: string; status: string; timeoutSeconds: number; networkAllowed: boolean; links: { runs: string } };
    assert.deepEqual([generator.name, generator.priority, generator.status, generator.timeoutSeconds, generator.networkAllowed], ['six-hourly', 'very high', 'on', 120, true]);
    assert.match(generator.links.runs, /CrawlflowGenerator%20%3D%20%22[0-9a-f]{24}%22/);
    const row = await mongo.db.collection(Collection.CrawlerTaskGenerator).findOne({ cron: '0 */6 * * *' });
    assert.equal(row?.code, readFileSync(join(FIXTURES, 'generator.py'), 'utf8'));

    errorOf(await upload('/api/jobs/web/scripts', { cron: 'every day' }, { filename: 'g.sh', content: '#!/bin/sh\necho x\n' }), 400, 'bad_cron', /expected five fields/);
    errorOf(await upload('/api/jobs/web/scripts', {}, { filename: 'g.exe', content: 'MZ' }), 415, 'wrong_file_type', /Python \(\.py\) or Shell \(\.sh\)/);
    errorOf(await upload('/api/jobs/web/scripts', {}, { filename: 'big.py', content: Buffer.alloc(210_000, 0x61) }), 413, 'too_large', /larger than 200000 bytes/);
  });

  it('shows tasks by status, generators with their runs, the logs and the receipts, with Temporal links', async () => {
    const tasks = await get('/api/jobs/web/tasks?status=new&limit=2');
    assert.equal(tasks.statusCode, 200);
    const page = tasks.json() as { tasks: Array<{ id: string; status: string; links: { run: string } }>; next: string };
    assert.equal(page.tasks.length, 2);
    assert.equal(page.tasks[0]?.status, 'new');
    assert.equal(page.tasks[0]?.links.run, `http://temporal.test:8233/namespaces/default/workflows/msg-${page.tasks[0]?.id}`);
    const second = (await get(`/api/jobs/web/tasks?status=new&limit=2&before=${encodeURIComponent(page.next)}`)).json() as { tasks: Array<{ id: string }> };
    assert.equal(second.tasks.length, 2);
    assert.ok(!page.tasks.some((task) => task.id === second.tasks[0]?.id));
    errorOf(await get('/api/jobs/web/tasks?status=lost'), 400, 'bad_request', /^query\.status "lost": one of new, in progress/, 'query.status');

    const jobs = (await get('/api/jobs')).json().jobs as Array<{ name: string; tasks: Record<string, number> }>;
    assert.ok((jobs.find((job) => job.name === 'web')?.tasks.new ?? 0) > 1000);

    const job = (await store.jobs.findByName('web'))!;
    const [generator] = await store.generators.list({ job: job.id });
    await store.generatorLogs.record({ job: job.id, generator: generator!.id, status: RunLogStatus.Succeeded, urisNew: 3, workflowId: 'gen-run-1', runId: 'r1' });
    const generators = (await get('/api/jobs/web/generators')).json().generators as Array<{ runs: Array<{ urisNew: number; links: { run: string } }> }>;
    assert.equal(generators[0]?.runs[0]?.urisNew, 3);
    assert.equal(generators[0]?.runs[0]?.links.run, 'http://temporal.test:8233/namespaces/default/workflows/gen-run-1/r1/history');

    const errors = (await get('/api/logs/errors?job=web&limit=1000')).json().entries as Array<{ reasonCode: string; links: { duplicateOf?: string } }>;
    assert.ok(errors.some((entry) => entry.reasonCode === 'too_long'));
    assert.ok(errors.some((entry) => entry.reasonCode === 'duplicate' && entry.links.duplicateOf?.includes('/workflows/msg-')));
    assert.equal((await get('/api/logs/failures?job=web')).statusCode, 200);

    const ingests = (await get('/api/ingests?job=web')).json().ingests as Array<{ id: string; filename: string | null }>;
    const csv = ingests.find((run) => run.filename === 'uris.csv')!;
    const lines = (await get(`/api/ingests/${csv.id}/lines`)).json().lines as Array<{ line: number; outcome: string }>;
    assert.deepEqual(lines.map((line) => [line.line, line.outcome]), [[2, 'accepted'], [3, 'accepted'], [4, 'duplicate'], [5, 'invalid']]);
    errorOf(await get('/api/ingests/not-an-id/lines'), 400, 'bad_request', /^params\.id "not-an-id": not an id \(24 hex digits\)$/, 'params.id');
  });

  it('checks every request against its route schema and names the wrong field, in the reader\'s language', async () => {
    const zh = { 'accept-language': 'zh-CN' };
    // wrong type
    errorOf(await post('/api/jobs', { name: 7 }), 400, 'bad_request', /^body\.name: expected a string$/, 'body.name');
    errorOf(await post('/api/jobs', { name: 'typed', uriRules: { sortQuery: 'yes' } }), 400, 'bad_request', /^body\.uriRules\.sortQuery: expected true or false$/, 'body.uriRules.sortQuery');
    errorOf(await post('/api/jobs/web/config', { config: ['a'] }), 400, 'bad_request', /^body\.config: expected a string$/, 'body.config');
    errorOf(await post('/api/jobs/web/uris', { uris: ['http://a.example/', 3] }), 400, 'bad_request', /^body\.uris\.1: expected a string$/, 'body.uris.1');
    errorOf(await get('/api/ingests?limit=many'), 400, 'bad_request', /^query\.limit: expected a number$/, 'query.limit');
    errorOf(await post('/api/jobs', { name: 7 }, zh), 400, 'bad_request', /^body\.name：应为字符串$/, 'body.name');
    // missing field, or neither of two
    errorOf(await post('/api/jobs/web/config', {}), 400, 'bad_request', /^body\.config: required$/, 'body.config');
    errorOf(await post('/api/jobs/web/status', {}), 400, 'bad_request', /^body\.status: required$/, 'body.status');
    errorOf(await post('/api/jobs/web/uris', {}), 400, 'bad_request', /^body: send \{"uris": \["…", …\]\} or \{"text": "one URI per line"\}$/, 'body');
    errorOf(await post('/api/jobs/web/status', {}, zh), 400, 'bad_request', /^body\.status：必填$/, 'body.status');
    // unknown enum value, unknown field, out of range
    errorOf(await post('/api/jobs/web/status', { status: 'paused' }), 400, 'bad_request', /^body\.status: one of "on", "off"$/, 'body.status');
    errorOf(await post('/api/jobs/web/status', { status: 'paused' }, zh), 400, 'bad_request', /^body\.status：应为 "on", "off" 之一$/, 'body.status');
    errorOf(await post('/api/jobs', { name: 'typo', custmer: 'x' }), 400, 'bad_request', /^body\.custmer: unknown field$/, 'body.custmer');
    errorOf(await get('/api/jobs/web/tasks?limit=0'), 400, 'bad_request', /^query\.limit: at least 1$/, 'query.limit');
    errorOf(await get('/api/logs/errors?limit=5000'), 400, 'bad_request', /^query\.limit: at most 1000$/, 'query.limit');
    errorOf(await get('/api/jobs/web/tasks?before=yesterday'), 400, 'bad_request', /^query\.before "yesterday": use the "next" value/, 'query.before');
    errorOf(await get('/api/generators/nope'), 400, 'bad_request', /^params\.id "nope": not an id/, 'params.id');
    // the token first: a request without it learns nothing of the schema
    errorOf(await app.inject({ method: 'POST', url: '/api/jobs', payload: { name: 7 } }), 401, 'unauthorized', /access token/);
    assert.equal((await store.jobs.findByName('typed')), null);
  });
});
