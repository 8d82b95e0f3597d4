import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import iconv from 'iconv-lite';
import { metrics } from '../../infra/metrics/metrics';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import { IngestInputError, IngestSaveError, InputProblem } from '../../domain/ingest/errors';
import type { IngestProgress, ReceiptLine } from '../../domain/ingest/receipt';
import { createIngestService, type IngestService } from '../../domain/ingest/service';
import { Collection } from '../../store/collections';
import { CrawlerTaskStatus, crawlerTaskId } from '../../store/crawler-tasks';
import { GeneratorPriority, GeneratorStatus } from '../../store/generators';
import { JobStatus } from '../../store/jobs';
import { createStore, type Store } from '../../store/store';
import { uriHash } from '../../domain/uris/hash';
import { requireStack, testConfig, testLogger } from '../../support/stack';
import { FIXTURES, tempFiles, writtenCounts } from './support';

const config = testConfig();
const logger = testLogger(config);
let mongo: MongoHandle;
let store: Store;
let ingest: IngestService;
let files: ReturnType<typeof tempFiles>;

async function rejects(promise: Promise<unknown>, code: InputProblem, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof IngestInputError, `an IngestInputError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

async function assertNothingWritten(): Promise<void> {
  assert.deepEqual(Object.values(await writtenCounts(mongo.db)).reduce((sum, count) => sum + count, 0), 0);
}

describe('ingest (seed data_preprocess) against the MongoDB wire-protocol server', () => {
  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
  });
  beforeEach(async () => {
    await mongo.db.dropDatabase();
    await ensureIndexes(mongo.db);
    store = createStore(mongo.db);
    ingest = createIngestService({ store, config, logger, batchSize: 250 });
    await store.jobs.create({ name: 'news' });
    files = tempFiles();
  });
  afterEach(() => files.cleanup());
  after(async () => {
    await mongo.db.dropDatabase();
    await mongo.client.close();
  });

  it('seed test case 1: a TXT file of URIs becomes crawler_task rows; the receipt explains every line', async () => {
    const receipt = await ingest.submitFile({ job: 'news', path: join(FIXTURES, 'uris.txt'), filename: 'uris.txt' });
    assert.equal(receipt.status, 'done');
    assert.equal(receipt.format, 'txt');
    assert.equal(receipt.encoding, 'utf-8');
    assert.deepEqual(receipt.counts, { lines: 7, accepted: 3, duplicate: 1, invalid: 2, failed: 0, skipped: 1 });
    const byLine = new Map(receipt.lines.map((line) => [line.line, line]));
    assert.equal(byLine.get(1)?.outcome, 'accepted');
    assert.equal(byLine.get(1)?.uri, 'http://example.com/news/1');
    assert.equal(byLine.get(2)?.outcome, 'duplicate');
    assert.equal(byLine.get(2)?.reason, `duplicate of task ${byLine.get(1)?.taskId}`);
    assert.equal(byLine.get(3)?.uri, 'https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=1');
    assert.equal(byLine.has(4), false, 'a blank line is skipped, not reported');
    assert.equal(byLine.get(5)?.code, 'whitespace');
    assert.equal(byLine.get(6)?.code, 'scheme_not_allowed');

    const job = (await store.jobs.findByName('news'))!;
    const tasks = await mongo.db.collection(Collection.CrawlerTask).find({ job: job.id }).toArray();
    assert.deepEqual(tasks.map((task) => task.uri).sort(), [
      'http://example.com/news/1',
      'http://example.com/news/2',
      'https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=1',
    ]);
    assert.ok(tasks.every((task) => task.status === CrawlerTaskStatus.New && task.task_generator === null));
    const source = await store.tasks.source(crawlerTaskId(job.id, uriHash('https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=1')));
    assert.equal(source?.uri_original, 'https://例子.测试/路径?q=1#top');
    assert.equal(source?.line, 3);

    const errors = await store.logs.listErrors({ ingest: (await store.ingestRuns.list())[0]!._id });
    assert.deepEqual(errors.map((entry) => [entry.line, entry.reason_code]), [[2, 'duplicate'], [5, 'whitespace'], [6, 'scheme_not_allowed']]);
    assert.equal(errors[0]?.duplicate_of?.toHexString(), byLine.get(1)?.taskId);
    const run = await store.ingestRuns.get((await store.ingestRuns.list())[0]!._id);
    assert.equal(run?.status, 'done');
    assert.equal(run?.filename, 'uris.txt');
    assert.deepEqual(run?.counts, receipt.counts);
  });

  it('a second upload of the same file stores nothing new: every URI is a duplicate of its task', async () => {
    const first = await ingest.submitFile({ job: 'news', path: join(FIXTURES, 'uris.txt'), filename: 'uris.txt' });
    const second = await ingest.submitFile({ job: 'news', path: join(FIXTURES, 'uris.txt'), filename: 'uris.txt' });
    assert.equal(second.counts.accepted, 0);
    assert.equal(second.counts.duplicate, 4);
    const firstIds = first.lines.filter((line) => line.outcome === 'accepted').map((line) => line.taskId);
    for (const line of second.lines.filter((entry) => entry.outcome === 'duplicate')) assert.ok(firstIds.includes(line.taskId));
    assert.equal(await mongo.db.collection(Collection.CrawlerTask).countDocuments({}), 3);
  });

  it('two concurrent uploads of overlapping files never store one URI twice', async () => {
    const shared = Array.from({ length: 1500 }, (_, index) => `http://race.example/${index}`);
    const a = files.write('a.txt', [...shared, ...Array.from({ length: 250 }, (_, index) => `http://a.example/${index}`)].join('\n'));
    const b = files.write('b.txt', [...shared.reverse(), ...Array.from({ length: 250 }, (_, index) => `http://b.example/${index}`)].join('\n'));
    const [ra, rb] = await Promise.all([
      ingest.submitFile({ job: 'news', path: a, filename: 'a.txt' }),
      ingest.submitFile({ job: 'news', path: b, filename: 'b.txt' }),
    ]);
    assert.equal(ra.counts.accepted + rb.counts.accepted, 2000);
    assert.equal(ra.counts.duplicate + rb.counts.duplicate, 1500);
    assert.equal(ra.counts.failed + rb.counts.failed, 0);
    assert.equal(await mongo.db.collection(Collection.CrawlerTask).countDocuments({}), 2000);
    const errors = await mongo.db.collection(Collection.ErrorLog).countDocuments({ reason_code: 'duplicate' });
    assert.equal(errors, 1500);
  });

  it('reads a CSV column chosen by header name, by number, or found by its name; a broken row is logged and skipped', async () => {
    const byName = await ingest.submitFile({ job: 'news', path: join(FIXTURES, 'uris.csv'), filename: 'uris.csv', column: 'URL' });
    assert.deepEqual(byName.counts, { lines: 5, accepted: 2, duplicate: 1, invalid: 1, failed: 0, skipped: 1 });
    assert.deepEqual(
      byName.lines.map((line) => [line.line, line.outcome]),
      [[2, 'accepted'], [3, 'accepted'], [4, 'duplicate'], [5, 'invalid']],
    );
    const byNumber = await ingest.submitFile({ job: 'news', path: join(FIXTURES, 'uris.csv'), filename: 'uris.csv', column: '3' });
    assert.equal(byNumber.counts.duplicate, 3, 'header detected: the column holds no "://" in row 1');
    const found = await ingest.submitFile({ job: 'news', path: join(FIXTURES, 'uris.csv'), filename: 'uris.csv' });
    assert.equal(found.counts.duplicate, 3, 'the column headed "url" is chosen without being named');

    const semicolons = files.write('semi.csv', 'http://semi.example/1;x\n"http://semi.example/2";"broken\nhttp://semi.example/3;z\n');
    const broken = await ingest.submitFile({ job: 'news', path: semicolons, filename: 'semi.csv' });
    assert.equal(broken.counts.accepted >= 1, true);
    assert.ok(broken.lines.some((line) => line.outcome === 'accepted' && line.uri === 'http://semi.example/1'));
  });

  it('refuses a CSV column that does not exist before writing anything', async () => {
    await rejects(
      ingest.submitFile({ job: 'news', path: join(FIXTURES, 'uris.csv'), filename: 'uris.csv', column: 'link' }),
      InputProblem.BadColumn,
      /no column "link" in the header row \(it has: "id", "title", "url"\)/,
    );
    await rejects(
      ingest.submitFile({ job: 'news', path: join(FIXTURES, 'uris.csv'), filename: 'uris.csv', column: '9' }),
      InputProblem.BadColumn,
      /column 9 does not exist: the first row has 3 columns/,
    );
    await assertNothingWritten();
  });

  it('detects GB18030, decodes UTF-16 and UTF-8 with a BOM, and honours a stated encoding', async () => {
    const chinese = 'http://例子.测试/新闻/第一页\nhttp://例子.测试/新闻/第二页\n';
    const gb = files.write('gb.txt', iconv.encode(chinese.repeat(20), 'gb18030'));
    const gbReceipt = await ingest.submitFile({ job: 'news', path: gb, filename: 'gb.txt' });
    assert.equal(gbReceipt.encoding, 'gb18030');
    assert.equal(gbReceipt.counts.accepted, 2);
    assert.equal(gbReceipt.lines[0]?.uri, 'http://xn--fsqu00a.xn--0zwm56d/%E6%96%B0%E9%97%BB/%E7%AC%AC%E4%B8%80%E9%A1%B5');

    const utf16 = files.write('u16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('http://utf16.example/一\r\nhttp://utf16.example/二\r\n', 'utf-16le')]));
    const utf16Receipt = await ingest.submitFile({ job: 'news', path: utf16, filename: 'u16.txt' });
    assert.equal(utf16Receipt.encoding, 'utf-16le');
    assert.deepEqual(utf16Receipt.lines.map((line) => line.uri), ['http://utf16.example/%E4%B8%80', 'http://utf16.example/%E4%BA%8C']);

    const bom = files.write('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('url\nhttp://bom.example/\n')]));
    const bomReceipt = await ingest.submitFile({ job: 'news', path: bom, filename: 'bom.csv' });
    assert.deepEqual(bomReceipt.lines.map((line) => line.uri), ['http://bom.example/'], 'the BOM is not part of the header "url"');

    const latin = files.write('latin.txt', iconv.encode('http://latin.example/caf\u00e9\n', 'latin1'));
    const stated = await ingest.submitFile({ job: 'news', path: latin, filename: 'latin.txt', encoding: 'iso-8859-1' });
    assert.equal(stated.lines[0]?.uri, 'http://latin.example/caf%C3%A9');
    await rejects(ingest.submitFile({ job: 'news', path: latin, filename: 'latin.txt', encoding: 'klingon' }), InputProblem.BadEncoding, /unknown encoding "klingon"/);
  });

  it('splits lines on \\n, \\r\\n and \\r, and reports a 100 000-character line by its real length', async () => {
    const long = 'http://long.example/' + 'x'.repeat(100_000);
    const path = files.write('mixed.txt', `http://m.example/1\r\nhttp://m.example/2\rhttp://m.example/3\n${long}\nhttp://m.example/4`);
    const receipt = await ingest.submitFile({ job: 'news', path, filename: 'mixed.txt' });
    assert.deepEqual(receipt.lines.map((line) => [line.line, line.outcome]), [[1, 'accepted'], [2, 'accepted'], [3, 'accepted'], [4, 'invalid'], [5, 'accepted']]);
    assert.equal(receipt.lines[3]?.reason, 'longer than 8000 characters (100020)');
    assert.equal(receipt.lines[3]?.input.length, 300);
    const [entry] = await store.logs.listErrors({ job: (await store.jobs.findByName('news'))!.id });
    assert.equal(entry?.input_length, 16_384, 'the error log keeps the first 16 KiB of the offending URI');
  });

  it('rejects wrong, binary, empty, oversized files and unknown or disabled jobs with a clear error, writing nothing', async () => {
    const txt = files.write('ok.txt', 'http://ok.example/\n');
    await rejects(ingest.submitFile({ job: 'news', path: txt, filename: 'book.xlsx' }), InputProblem.WrongFileType, /must be \.csv or \.txt \(got "book\.xlsx"\)/);
    await rejects(ingest.submitFile({ job: 'news', path: txt, filename: 'noextension' }), InputProblem.WrongFileType, /\.csv or \.txt/);
    const png = files.write('image.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    await rejects(ingest.submitFile({ job: 'news', path: png, filename: 'image.txt' }), InputProblem.BinaryFile, /binary file \(a PNG image\)/);
    const nul = files.write('nul.txt', Buffer.from('http://a.example/\u0000\u0001\u0002'));
    await rejects(ingest.submitFile({ job: 'news', path: nul, filename: 'nul.txt' }), InputProblem.BinaryFile, /NUL bytes/);
    await rejects(ingest.submitFile({ job: 'news', path: files.write('empty.txt', ''), filename: 'empty.txt' }), InputProblem.Empty, /the file is empty/);
    await rejects(ingest.submitFile({ job: 'news', path: files.write('blank.txt', '\n  \r\n\t\n'), filename: 'blank.txt' }), InputProblem.Empty, /only whitespace/);
    await rejects(ingest.submitFile({ job: 'news', path: txt, filename: 'ok.txt', maxBytes: 5 }), InputProblem.TooLarge, /19 bytes; the limit is 5/);
    await rejects(ingest.submitFile({ job: 'nope', path: txt, filename: 'ok.txt' }), InputProblem.UnknownJob, /no job named "nope" \(jobs: news\)/);
    const off = await store.jobs.create({ name: 'old' });
    await store.jobs.setStatus(off.id, JobStatus.Off);
    await rejects(ingest.submitUris({ job: 'old', uris: ['http://a.example/'] }), InputProblem.JobDisabled, /job "old" is disabled/);
    await rejects(ingest.submitUris({ job: 'news', uris: ['', '  '] }), InputProblem.Empty, /no URIs given/);
    await assertNothingWritten();
  });

  it('counts each URI on /metrics by outcome', async () => {
    const count = async (outcome: string) =>
      (await metrics.urisIngested.get()).values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
    const before = { accepted: await count('accepted'), duplicate: await count('duplicate'), invalid: await count('invalid') };
    await ingest.submitUris({ job: 'news', uris: ['http://metrics.example/a', 'http://metrics.example/a', 'not a url'] });
    assert.equal((await count('accepted')) - before.accepted, 1);
    assert.equal((await count('duplicate')) - before.duplicate, 1);
    assert.equal((await count('invalid')) - before.invalid, 1);
  });

  it('takes typed URIs: an 8001-character one goes to the error log and the receipt names its line', async () => {
    const tooLong = 'http://example.com/' + 'a'.repeat(8000 - 19 + 1);
    const receipt = await ingest.submitUris({ job: 'news', uris: ['http://typed.example/a', tooLong, 'http://typed.example/a#frag'] });
    assert.deepEqual(receipt.counts, { lines: 3, accepted: 1, duplicate: 1, invalid: 1, failed: 0, skipped: 0 });
    assert.equal(receipt.lines[1]?.line, 2);
    assert.equal(receipt.lines[1]?.reason, 'longer than 8000 characters (8001)');
    const [entry] = await store.logs.listErrors({ ingest: (await store.ingestRuns.list())[0]!._id });
    assert.equal(entry?.input, tooLong, 'the error log keeps the over-long URI itself');
    assert.equal(entry?.source, 'manual');
  });

  it("applies the job's opinionated rules", async () => {
    await store.jobs.create({ name: 'tidy', uriRules: { sortQuery: true, dropTrackingParams: true } });
    const receipt = await ingest.submitUris({ job: 'tidy', uris: ['http://t.example/?b=2&utm_source=x&a=1', 'http://t.example/?a=1&b=2'] });
    assert.equal(receipt.lines[0]?.uri, 'http://t.example/?a=1&b=2');
    assert.equal(receipt.lines[1]?.outcome, 'duplicate');
  });

  it('takes one configuration string, and refuses several at once', async () => {
    const receipt = await ingest.submitConfig({ job: 'news', config: 'https://config.example/path/file?param=value' });
    assert.equal(receipt.source, 'config');
    assert.equal(receipt.lines[0]?.uri, 'https://config.example/path/file?param=value');
    await rejects(ingest.submitConfig({ job: 'news', config: 'http://a.example/\nhttp://b.example/' }), InputProblem.BadConfig, /one configuration string at a time/);
  });

  it('streams a large file with progress and keeps only the first receipt lines in memory', async () => {
    const path = files.write('big.txt', Array.from({ length: 6_000 }, (_, index) => `http://big.example/${index % 5_000}`).join('\n'));
    const progress: IngestProgress[] = [];
    let streamed = 0;
    const receipt = await ingest.submitFile({
      job: 'news',
      path,
      filename: 'big.txt',
      onProgress: (update) => progress.push(update),
      onLine: () => streamed++,
    });
    assert.deepEqual(receipt.counts, { lines: 6_000, accepted: 5_000, duplicate: 1_000, invalid: 0, failed: 0, skipped: 0 });
    assert.equal(streamed, 6_000, 'every line reached onLine');
    assert.equal(receipt.lines.length, 1000);
    assert.equal(receipt.linesTruncated, true);
    assert.ok(progress.length >= 20);
    for (let index = 1; index < progress.length; index++) {
      assert.ok(progress[index]!.counts.lines >= progress[index - 1]!.counts.lines);
    }
    assert.equal(progress.at(-1)?.bytesRead, progress.at(-1)?.totalBytes);
  });

  it('keeps hostile file names out of paths and logs', async () => {
    const path = files.write('x.txt', 'http://h.example/\n');
    const receipt = await ingest.submitFile({ job: 'news', path, filename: '../../etc/\u0000pass\nwd.txt' });
    assert.equal(receipt.filename, 'passwd.txt');
  });

  it('seed test case 2: a Python or Shell script becomes a crawler_task_generator row with its settings', async () => {
    const { readFileSync } = await import('node:fs');
    const python = await ingest.submitScript({
      job: 'news',
      bytes: readFileSync(join(FIXTURES, 'generator.py')),
      filename: 'generator.py',
      cron: '*/15  * * * *',
      priority: 'Very High',
      status: 'production',
    });
    assert.equal(python.warning, null);
    const seedRow = await mongo.db.collection(Collection.CrawlerTaskGenerator).findOne({ _id: python.generator.id });
    assert.equal(seedRow?.code, readFileSync(join(FIXTURES, 'generator.py'), 'utf8'));
    assert.equal(seedRow?.cron, '*/15 * * * *');
    assert.equal(seedRow?.status, GeneratorStatus.Production);
    assert.ok(seedRow?.job.equals((await store.jobs.findByName('news'))!.id));
    assert.equal(python.generator.priority, GeneratorPriority.VeryHigh);
    assert.equal(python.generator.language, 'python');
    assert.equal(python.generator.name, 'generator');
    assert.equal(python.generator.timeoutSeconds, config.generators.timeoutSeconds);

    const shell = await ingest.submitScript({ job: 'news', bytes: readFileSync(join(FIXTURES, 'generator.sh')), filename: 'generator.sh', cron: '@daily', timeoutSeconds: '60', networkAllowed: 'yes' });
    assert.equal(shell.generator.language, 'shell');
    assert.equal(shell.generator.status, GeneratorStatus.Alpha, "the seed's default status");
    assert.equal(shell.generator.priority, GeneratorPriority.Medium);
    assert.equal(shell.generator.networkAllowed, true);
    assert.equal(shell.generator.timeoutSeconds, 60);
  });

  it('refuses bad scripts and settings with a clear error, writing nothing', async () => {
    const script = Buffer.from('print("http://x.example/")\n');
    const cases: Array<[Parameters<IngestService['submitScript']>[0], InputProblem, RegExp]> = [
      [{ job: 'news', bytes: script, filename: 'gen.rb' }, InputProblem.WrongFileType, /Python \(\.py\) or Shell \(\.sh\) file \(got "gen\.rb"\)/],
      [{ job: 'news', bytes: Buffer.from('#!/bin/bash\necho x\n'), filename: 'gen.py' }, InputProblem.WrongFileType, /#! line says shell, but it was given as python/],
      [{ job: 'news', bytes: Buffer.from('#!/usr/bin/env ruby\nputs 1\n'), filename: 'gen.sh' }, InputProblem.WrongFileType, /names "ruby"/],
      [{ job: 'news', bytes: Buffer.alloc(0), filename: 'gen.py' }, InputProblem.Empty, /the script is empty/],
      [{ job: 'news', bytes: Buffer.from(' \n\n'), filename: 'gen.py' }, InputProblem.Empty, /only whitespace/],
      [{ job: 'news', bytes: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), filename: 'gen.sh' }, InputProblem.BinaryFile, /ELF/],
      [{ job: 'news', bytes: Buffer.from([0x70, 0x72, 0xff, 0xfe, 0x0a]), filename: 'gen.py' }, InputProblem.BinaryFile, /not UTF-8/],
      [{ job: 'news', bytes: Buffer.alloc(1024 * 1024 + 1, 0x61), filename: 'gen.py' }, InputProblem.TooLarge, /at most 1048576/],
      [{ job: 'news', bytes: script, filename: 'gen.py', cron: '* * *' }, InputProblem.BadCron, /expected five fields/],
      [{ job: 'news', bytes: script, filename: 'gen.py', cron: '61 * * * *' }, InputProblem.BadCron, /Invalid value for minute: 61/],
      [{ job: 'news', bytes: script, filename: 'gen.py', cron: '0 0 30 2 *' }, InputProblem.BadCron, /never fires/],
      [{ job: 'news', bytes: script, filename: 'gen.py', priority: 'urgent' }, InputProblem.BadSettings, /choose very high, high, medium or low/],
      [{ job: 'news', bytes: script, filename: 'gen.py', status: 'live' }, InputProblem.BadSettings, /status "live": choose alpha \(1\)/],
      [{ job: 'news', bytes: script, filename: 'gen.py', timeoutSeconds: '0' }, InputProblem.BadSettings, /timeout "0"/],
      [{ job: 'ghost', bytes: script, filename: 'gen.py' }, InputProblem.UnknownJob, /no job named "ghost"/],
    ];
    for (const [submission, code, message] of cases) await rejects(ingest.submitScript(submission), code, message);
    await assertNothingWritten();
  });

  it('puts a script that fails to save into the failure log, with the script, and says so', async () => {
    // A database that refuses this one write on demand cannot be arranged on the real server: the
    // generator repository's create is replaced; everything else (the failure log) is real.
    const failing = createIngestService({
      store: { ...store, generators: { ...store.generators, create: () => Promise.reject(new Error('disk full')) } },
      config,
      logger,
    });
    await assert.rejects(failing.submitScript({ job: 'news', bytes: Buffer.from('print(1)\n'), filename: 'gen.py' }), (error: unknown) => {
      assert.ok(error instanceof IngestSaveError);
      assert.match(error.message, /saving the script failed \(disk full\); it was kept in the failure log/);
      return true;
    });
    const [failure] = await store.logs.listFailures({});
    assert.equal(failure?.source, 'script');
    assert.equal(failure?.input, 'gen.py');
    assert.equal(failure?.code, 'print(1)\n');
    assert.equal(failure?.reason, 'disk full');
  });

  it('sends every line to onLine in input order', async () => {
    const seen: ReceiptLine[] = [];
    await ingest.submitUris({ job: 'news', uris: ['http://o.example/1', 'bad', 'http://o.example/1', 'http://o.example/2'], onLine: (line) => seen.push(line) });
    assert.deepEqual(seen.map((line) => [line.line, line.outcome]), [[1, 'accepted'], [2, 'invalid'], [3, 'duplicate'], [4, 'accepted']]);
  });
});
