/**
 * URI ingest from a file (issue 5): URIs per second and peak memory of the real ingest service
 * (the code path of `crawlflow ingest --file`) on files of 100k and 1M URIs (10% duplicates,
 * 1% invalid), beside, in the same run and against the same server:
 *  - a naive loop, one `insertOne` per URI, measured on a sample (1M at ~150/s would take hours);
 *  - the raw driver's unordered `insertMany` of the same crawler_task documents in batches of
 *    1000, built beforehand (only the inserts are timed), once as ingest gets them (duplicates
 *    included: the unique `_id` refuses them) and once with the duplicates removed in memory.
 *
 *   npm run bench:ingest -- [--sizes 100000,1000000] [--naive 5000] [--raw 100000]
 *
 * Each ingest runs in a child process of its own, so its peak memory (RSS sampled every 20 ms,
 * the kernel's maxRSS, and the V8 heap) is that ingest's alone. Every phase writes to a fresh
 * throwaway database with crawlflow's indexes; databases and temp files are removed at the end.
 * Needs the local stack (`npm run stack -- up`). Record results in docs/ingest.md (Benchmark).
 */
import { fork } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { MongoBulkWriteError, type Db } from 'mongodb';
import type { Config } from '../domain/config/config';
import { createIngestService } from '../domain/ingest/service';
import { connectMongo, type MongoHandle } from '../domain/mongo/client';
import { ensureIndexes } from '../domain/mongo/indexes';
import { Collection } from '../domain/store/collections';
import { crawlerTaskId, CrawlerTaskStatus, type CrawlerTaskDocument } from '../domain/store/crawler-tasks';
import { isDuplicateKeyError } from '../domain/store/errors';
import type { Job } from '../domain/store/jobs';
import { createStore } from '../domain/store/store';
import { prepareUri, type UriPolicy } from '../domain/uris/prepare';
import { requireStack, testConfig, testLogger } from '../test/support/stack';
import { expectedCounts, writeUriFile, type UriFileCounts } from './ingest-file';

const MiB = 2 ** 20;
const RAW_BATCH = 1000;

/** What a child process reports about one ingest. */
interface IngestMeasure {
  lines: number;
  seconds: number;
  counts: Record<string, number>;
  stored: { tasks: number; sources: number; errors: number };
  rssBeforeMiB: number;
  peakRssMiB: number;
  maxRssMiB: number;
  peakHeapMiB: number;
}

interface RateMeasure {
  name: string;
  lines: number;
  seconds: number;
  note: string;
}

const rate = (measure: { lines: number; seconds: number }) => measure.lines / measure.seconds;
const round = (value: number) => Math.round(value).toLocaleString('en-US');

/** A fresh database with crawlflow's indexes (as `crawlflow setup` makes them) and one job. */
async function freshJob(config: Config): Promise<{ mongo: MongoHandle; job: Job; policy: UriPolicy }> {
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-bench' });
  await mongo.db.dropDatabase();
  await ensureIndexes(mongo.db);
  const job = await createStore(mongo.db).jobs.create({ name: 'bench' });
  return { mongo, job, policy: { allowedSchemes: config.ingest.allowedSchemes, ...job.uriRules } };
}

async function dropAndClose(mongo: MongoHandle): Promise<void> {
  await mongo.db.dropDatabase().catch(() => undefined);
  await mongo.client.close();
}

async function* readLines(path: string, limit: number): AsyncGenerator<string> {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (count++ >= limit) return;
    yield line;
  }
}

function taskDocument(job: Job, normalized: string, hash: string, now: Date): CrawlerTaskDocument {
  return {
    _id: crawlerTaskId(job.id, hash),
    job: job.id,
    task_generator: null,
    uri: normalized,
    cookie: null,
    args: null,
    status: CrawlerTaskStatus.New,
    store: null,
    add_datetime: now,
  };
}

// ---------------------------------------------------------------------------------------------
// The child: one ingest through the real service, with its memory sampled.

async function childIngest(path: string, lines: number): Promise<IngestMeasure> {
  const config = testConfig({ LOG_LEVEL: 'warn' });
  const { mongo, job } = await freshJob(config);
  try {
    const service = createIngestService({ store: createStore(mongo.db), config, logger: testLogger(config) });
    global.gc?.();
    const rssBefore = process.memoryUsage.rss();
    let peakRss = rssBefore;
    let peakHeap = process.memoryUsage().heapUsed;
    const sample = () => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    };
    const sampler = setInterval(sample, 20);
    const started = process.hrtime.bigint();
    const receipt = await service.submitFile({ job: job.name, path, filename: 'uris.txt' });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    sample();
    const db = mongo.db;
    const [tasks, sources, errors] = await Promise.all(
      [Collection.CrawlerTask, Collection.CrawlerTaskSource, Collection.ErrorLog].map((name) => db.collection(name).estimatedDocumentCount()),
    );
    return {
      lines,
      seconds,
      counts: { ...receipt.counts },
      stored: { tasks: tasks!, sources: sources!, errors: errors! },
      rssBeforeMiB: rssBefore / MiB,
      peakRssMiB: peakRss / MiB,
      maxRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
      peakHeapMiB: peakHeap / MiB,
    };
  } finally {
    await dropAndClose(mongo);
  }
}

function runChild(path: string, lines: number): Promise<IngestMeasure> {
  return new Promise((resolve, reject) => {
    // Inherits tsx's loader flags (process.execArgv); --expose-gc for a clean starting heap.
    const child = fork(__filename, ['--child', path, String(lines)], { execArgv: [...process.execArgv, '--expose-gc'] });
    let result: IngestMeasure | undefined;
    child.on('message', (message) => {
      result = message as IngestMeasure;
    });
    child.on('error', reject);
    child.on('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`ingest child for ${lines} lines exited with ${code}`))));
  });
}

function checkCounts(measure: IngestMeasure, expected: UriFileCounts): void {
  const { counts, stored } = measure;
  const problems = [
    counts.lines !== expected.lines && `lines ${counts.lines} ≠ ${expected.lines}`,
    counts.accepted !== expected.accepted && `accepted ${counts.accepted} ≠ ${expected.accepted}`,
    counts.duplicate !== expected.duplicate && `duplicate ${counts.duplicate} ≠ ${expected.duplicate}`,
    counts.invalid !== expected.invalid && `invalid ${counts.invalid} ≠ ${expected.invalid}`,
    counts.failed !== 0 && `failed ${counts.failed}`,
    stored.tasks !== expected.accepted && `crawler_task holds ${stored.tasks}`,
    stored.sources !== expected.accepted && `crawler_task_source holds ${stored.sources}`,
    stored.errors !== expected.duplicate + expected.invalid && `error_log holds ${stored.errors}`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`ingest of ${expected.lines} lines is wrong: ${problems.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------
// The baselines, in the parent.

/** One insertOne per URI (validated and normalized the same way), on the first `lines` lines. */
async function naiveLoop(path: string, lines: number): Promise<RateMeasure> {
  const { mongo, job, policy } = await freshJob(testConfig());
  try {
    const tasks = mongo.db.collection<CrawlerTaskDocument>(Collection.CrawlerTask);
    const started = process.hrtime.bigint();
    for await (const line of readLines(path, lines)) {
      const prepared = prepareUri(line, policy);
      if (!prepared.ok) continue;
      try {
        await tasks.insertOne(taskDocument(job, prepared.normalized, prepared.hash, new Date()));
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { name: 'naive loop: one insertOne per URI (crawler_task only)', lines, seconds, note: `first ${round(lines)} lines (a sample)` };
  } finally {
    await dropAndClose(mongo);
  }
}

/** The crawler_task documents of the first `lines` lines, built before any timing. */
async function documentsOf(path: string, lines: number, job: Job, policy: UriPolicy): Promise<CrawlerTaskDocument[]> {
  const now = new Date();
  const documents: CrawlerTaskDocument[] = [];
  for await (const line of readLines(path, lines)) {
    const prepared = prepareUri(line, policy);
    if (prepared.ok) documents.push(taskDocument(job, prepared.normalized, prepared.hash, now));
  }
  return documents;
}

/** Unordered insertMany in batches of {@link RAW_BATCH}; only the inserts are timed. */
async function timedInsertMany(db: Db, documents: CrawlerTaskDocument[]): Promise<{ seconds: number; refused: number }> {
  const tasks = db.collection<CrawlerTaskDocument>(Collection.CrawlerTask);
  let refused = 0;
  const started = process.hrtime.bigint();
  for (let start = 0; start < documents.length; start += RAW_BATCH) {
    try {
      await tasks.insertMany(documents.slice(start, start + RAW_BATCH), { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      refused += Array.isArray(error.writeErrors) ? error.writeErrors.length : 1;
    }
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, refused };
}

async function rawInsertMany(path: string, lines: number, distinct: boolean): Promise<RateMeasure> {
  const { mongo, job, policy } = await freshJob(testConfig());
  try {
    let documents = await documentsOf(path, lines, job, policy);
    if (distinct) {
      const seen = new Set<string>();
      documents = documents.filter((document) => {
        const key = document._id.toHexString();
        return seen.has(key) ? false : (seen.add(key), true);
      });
    }
    const { seconds, refused } = await timedInsertMany(mongo.db, documents);
    return distinct
      ? { name: 'raw insertMany, duplicates removed in memory first', lines, seconds, note: `${round(documents.length)} documents, no refusal` }
      : { name: 'raw insertMany of the same documents', lines, seconds, note: `${round(documents.length)} documents, ${round(refused)} refused by _id` };
  } finally {
    await dropAndClose(mongo);
  }
}

// ---------------------------------------------------------------------------------------------

function machine(): string {
  const [one, five] = loadavg();
  return `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${one!.toFixed(2)} / ${five!.toFixed(2)} (1/5 min)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100000,1000000' },
      naive: { type: 'string', default: '5000' },
      raw: { type: 'string', default: '100000' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const naiveLines = Number(values.naive);
  const rawLines = Number(values.raw);
  if ([...sizes, naiveLines, rawLines].some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--sizes, --naive and --raw take positive integers');
  const largest = Math.max(...sizes);
  if (rawLines > largest || naiveLines > largest) throw new Error('--naive and --raw sample the largest file: at most its size');

  await requireStack();
  const dir = await mkdtemp(join(tmpdir(), 'crawlflow-bench-ingest-'));
  try {
    process.stdout.write(`machine at start: ${machine()}\n`);
    const files = new Map<number, string>();
    for (const size of sizes) {
      const path = join(dir, `uris-${size}.txt`);
      await writeUriFile(path, size);
      files.set(size, path);
    }
    const largestFile = files.get(largest)!;

    const ingests: IngestMeasure[] = [];
    for (const size of sizes) {
      const measure = await runChild(files.get(size)!, size);
      checkCounts(measure, expectedCounts(size));
      ingests.push(measure);
      process.stdout.write(`ingest ${round(size)}: ${measure.seconds.toFixed(1)} s, ${round(rate(measure))} URIs/s, peak RSS ${measure.peakRssMiB.toFixed(0)} MiB\n`);
    }
    const raw = await rawInsertMany(largestFile, rawLines, false);
    const rawDistinct = await rawInsertMany(largestFile, rawLines, true);
    const naive = await naiveLoop(largestFile, naiveLines);
    process.stdout.write(`machine at end: ${machine()}\n\n`);

    const lines = [
      '| path | URIs (lines) | seconds | URIs/s | peak RSS (sampled / maxRSS) | peak heap | notes |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...ingests.map(
        (m) =>
          `| ingest service, file (\`crawlflow ingest --file\`) | ${round(m.lines)} | ${m.seconds.toFixed(1)} | ${round(rate(m))} | ${m.peakRssMiB.toFixed(0)} / ${m.maxRssMiB.toFixed(0)} MiB | ${m.peakHeapMiB.toFixed(0)} MiB | ${round(m.counts.accepted!)} accepted, ${round(m.counts.duplicate!)} duplicate, ${round(m.counts.invalid!)} invalid; RSS before ${m.rssBeforeMiB.toFixed(0)} MiB |`,
      ),
      ...[raw, rawDistinct, naive].map((m) => `| ${m.name} | ${round(m.lines)} | ${m.seconds.toFixed(1)} | ${round(rate(m))} | | | ${m.note} |`),
      '',
      '| target | measured | |',
      '| --- | --- | --- |',
      ...ingests.flatMap((m) => [
        `| ${round(m.lines)}: ≥ 20× the naive loop | ${(rate(m) / rate(naive)).toFixed(1)}× | ${rate(m) / rate(naive) >= 20 ? 'met' : 'missed'} |`,
        `| ${round(m.lines)}: ≥ 0.5× raw insertMany of the same documents | ${(rate(m) / rate(raw)).toFixed(2)}× | ${rate(m) / rate(raw) >= 0.5 ? 'met' : 'missed'} |`,
        `| ${round(m.lines)}: (for scale) vs raw insertMany without duplicates | ${(rate(m) / rate(rawDistinct)).toFixed(2)}× | |`,
        `| ${round(m.lines)}: peak memory < 300 MB | ${((Math.max(m.peakRssMiB, m.maxRssMiB) * MiB) / 1e6).toFixed(0)} MB | ${Math.max(m.peakRssMiB, m.maxRssMiB) * MiB < 300e6 ? 'met' : 'missed'} |`,
      ]),
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  childIngest(process.argv[3]!, Number(process.argv[4]))
    .then((measure) => process.send!(measure, () => process.exit(0)))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
