import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { requireStack, testConfig } from '../../support/stack';
import { FIXTURES, tempFiles } from './support';

const bin = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');
const config = testConfig();

function crawlflow(args: string[], stdin = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, MONGODB_URI: config.mongo.uri, TASK_QUEUE_PREFIX: config.temporal.prefix, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('crawlflow job and crawlflow ingest', () => {
  let mongo: MongoHandle;
  const files = tempFiles();
  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
    await ensureIndexes(mongo.db);
  });
  after(async () => {
    files.cleanup();
    await mongo.db.dropDatabase();
    await mongo.client.close();
  });

  // Each command is its own process (seconds of start-up on a busy machine): few, and each counts.
  it('creates a job', async () => {
    const created = await crawlflow(['job', 'create', 'cli-news', '--info', 'news sites', '--drop-tracking-params']);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /created job "cli-news" [0-9a-f]{24} \(URI rules: dropTrackingParams\)/);
  });

  it('ingests a file with a full receipt file, URIs from the command line, and standard input', async () => {
    const receiptPath = join(files.write('placeholder', ''), '..', 'receipt.ndjson');
    const file = await crawlflow(['ingest', '--job', 'cli-news', '--file', join(FIXTURES, 'uris.txt'), '--receipt', receiptPath]);
    assert.equal(file.status, 0, file.stderr);
    assert.match(file.stdout, /into job "cli-news": 3 accepted, 1 duplicate, 2 invalid, 0 failed \(7 lines, 1 skipped\)/);
    assert.match(file.stdout, /line 2 +duplicate +http:\/\/example\.com\/news\/1 — duplicate of task [0-9a-f]{24}/);
    assert.match(file.stdout, /line 6 +invalid +"ftp:\/\/files\.example\.com\/x": scheme "ftp" is not allowed/);
    const lines = readFileSync(receiptPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { line: number; outcome: string });
    assert.deepEqual(lines.map((line) => line.line), [1, 2, 3, 5, 6, 7]);

    const stdin = await crawlflow(['ingest', '--job', 'cli-news', '-'], 'http://stdin.example/1\r\nhttp://stdin.example/2\r\n');
    assert.equal(stdin.status, 0, stdin.stderr);
    assert.match(stdin.stdout, /2 accepted, 0 duplicate, 0 invalid/);
    assert.equal(await mongo.db.collection(Collection.CrawlerTask).countDocuments({}), 5);

    const list = await crawlflow(['job', 'list']);
    assert.match(list.stdout, /cli-news {2}on .*\n {4}tasks: new 5/);
  });

  it('exits 2 with the reason for bad input, and refuses a disabled job', async () => {
    const unknown = await crawlflow(['ingest', '--job', 'nope', '--uri', 'http://a.example/']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no job named "nope" \(jobs: cli-news\)/);
    const disabled = await crawlflow(['job', 'disable', 'cli-news']);
    assert.equal(disabled.status, 0, disabled.stderr);
    const refused = await crawlflow(['ingest', '--job', 'cli-news', '--uri', 'http://late.example/']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /job "cli-news" is disabled/);
  });
});
