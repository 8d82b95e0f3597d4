/**
 * URI ingest from a file (issue 5): URIs per second and peak memory of the real ingest service
 * (the code path of `crawlflow ingest --file`) on files of 100k and 1M URIs (10% duplicates,
 * 1% invalid; see ingest-file.ts), beside, in the same run and against the same server:
 *  - a naive loop, one `insertOne` per URI, measured on a sample (at a few hundred per second
 *    under load, 1M would take an hour);
 *  - the raw driver's unordered `insertMany` in batches of 1000, documents built beforehand (only
 *    the inserts are timed): the same crawler_task documents as ingest gets them (duplicates
 *    refused by `_id`); the same without duplicates, at each file size; the same with no index
 *    but `_id`; and everything ingest writes (tasks, sources, error log) with outcomes known.
 *
 *   npm run bench:ingest -- [--sizes 100000,1000000] [--naive 5000] [--raw 100000]
 *
 * `--raw` is the sample (first lines of the largest file) for the raw variants other than the
 * per-size one. Each ingest runs in a child process of its own, so its peak memory (RSS sampled
 * every 20 ms, the kernel's maxRSS, the V8 heap) is that ingest's alone. Every phase writes to a
 * fresh throwaway database with crawlflow's indexes; databases and temp files are removed at the
 * end. The ingest's counts and stored documents are checked: a wrong ingest fails the benchmark.
 * Needs the local stack (`npm run stack -- up`); about 7 minutes on 2 cores. Record results in
 * docs/ingest.md (Benchmark) with the machine they ran on.
 */
import { fork } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { MongoBulkWriteError, ObjectId, type Db, type Document } from 'mongodb';
import type { Config } from '../infra/config/config';
import { createIngestService } from '../domain/ingest/service';
import { connectMongo, type MongoHandle } from '../infra/mongo/client';
import { ensureIndexes } from '../store/indexes';
import { Collection } from '../store/collections';
import { crawlerTaskId, CrawlerTaskStatus, type CrawlerTaskDocument } from '../store/crawler-tasks';
import { isDuplicateKeyError } from '../store/errors';
import type { Job } from '../store/jobs';
import { createStore } from '../store/store';
import { prepareUri, type UriPolicy } from '../domain/uris/prepare';
import { requireStack, testConfig, testLogger } from '../support/stack';
import { expectedCounts, writeUriFile, type UriFileCounts } from './ingest-file';

const MiB = 2 ** 20;
/** Documents per raw insertMany (ingest's batch size). */
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
async function freshJob(config: Config, options: { indexes?: boolean } = {}): Promise<{ mongo: MongoHandle; job: Job; policy: UriPolicy }> {
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-bench' });
  await mongo.db.dropDatabase();
  if (options.indexes !== false) await ensureIndexes(mongo.db);
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
  // 1M URIs make an 86 MB file, over the default upload limit (50 MiB): raised as an operator would.
  const config = testConfig({ LOG_LEVEL: 'warn', INGEST_MAX_UPLOAD_BYTES: String(2 ** 30) });
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

/**
 * What the raw driver is given:
 *  - `same`: the crawler_task documents of every valid line, duplicates included (the unique
 *    `_id` refuses them, as it does for ingest);
 *  - `distinct`: the same with the duplicates removed in memory first (no refusal at all);
 *  - `distinct-id-only`: as `distinct`, into collections with no index but `_id`;
 *  - `all-writes`: everything ingest writes per 1000 lines — new tasks, their crawler_task_source
 *    documents, error-log entries for the invalid and duplicate lines — with the outcome of each
 *    line known in advance: what storing these guarantees costs this server, with no checking.
 */
type RawVariant = 'same' | 'distinct' | 'distinct-id-only' | 'all-writes';

const RAW_NAMES: Record<RawVariant, string> = {
  same: 'raw insertMany of the same documents',
  distinct: 'raw insertMany, duplicates removed in memory first',
  'distinct-id-only': 'raw insertMany, duplicates removed, no index but `_id`',
  'all-writes': 'raw insertMany of all ingest writes (tasks, sources, error log), outcomes known',
};

/** One raw batch: documents per collection, inserted in this order. */
type RawBatch = Array<[Collection, Document[]]>;

/** The batches of a variant for the first `lines` lines, built before any timing. */
async function rawBatches(path: string, lines: number, job: Job, policy: UriPolicy, variant: RawVariant): Promise<RawBatch[]> {
  const now = new Date();
  const ingest = new ObjectId();
  const seen = new Set<string>();
  const batches: RawBatch[] = [];
  let tasks: Document[] = [];
  let sources: Document[] = [];
  let errors: Document[] = [];
  const error = (line: number, input: string, reasonCode: string, reason: string, duplicateOf: ObjectId | null) => ({
    _id: new ObjectId(),
    job: job.id,
    job_name: job.name,
    source: 'file',
    ingest,
    task_generator: null,
    line,
    input,
    input_length: input.length,
    reason_code: reasonCode,
    reason,
    workflow_id: null,
    add_datetime: now,
    duplicate_of: duplicateOf,
  });
  let number = 0;
  for await (const line of readLines(path, lines)) {
    number++;
    const prepared = prepareUri(line, policy);
    if (!prepared.ok) {
      if (variant === 'all-writes') errors.push(error(number, line, prepared.code, prepared.reason, null));
    } else {
      const task = taskDocument(job, prepared.normalized, prepared.hash, now);
      const key = task._id.toHexString();
      const repeat = seen.has(key);
      seen.add(key);
      if (!repeat || variant === 'same') tasks.push(task);
      if (repeat && variant === 'all-writes') errors.push(error(number, line, 'duplicate', `duplicate of task ${key}`, task._id));
      if (!repeat && variant === 'all-writes') {
        sources.push({ _id: task._id, job: job.id, uri_hash: prepared.hash, uri_original: line, rules_version: 1, source: 'file', ingest, task_generator: null, line: number, add_datetime: now });
      }
    }
    const full = variant === 'all-writes' ? number % RAW_BATCH === 0 : tasks.length === RAW_BATCH;
    if (full) {
      batches.push(rawBatch(tasks, sources, errors));
      [tasks, sources, errors] = [[], [], []];
    }
  }
  batches.push(rawBatch(tasks, sources, errors));
  return batches;
}

function rawBatch(tasks: Document[], sources: Document[], errors: Document[]): RawBatch {
  const batch: RawBatch = [
    [Collection.CrawlerTask, tasks],
    [Collection.CrawlerTaskSource, sources],
    [Collection.ErrorLog, errors],
  ];
  return batch.filter(([, documents]) => documents.length > 0);
}

/** Unordered insertMany per batch and collection; only the inserts are timed. */
async function timedInsertMany(db: Db, batches: RawBatch[]): Promise<{ seconds: number; documents: number; refused: number }> {
  let refused = 0;
  let documents = 0;
  const started = process.hrtime.bigint();
  for (const batch of batches) {
    for (const [collection, docs] of batch) {
      documents += docs.length;
      try {
        await db.collection(collection).insertMany(docs, { ordered: false });
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError)) throw error;
        refused += Array.isArray(error.writeErrors) ? error.writeErrors.length : 1;
      }
    }
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, documents, refused };
}

async function rawInsertMany(path: string, lines: number, variant: RawVariant): Promise<RateMeasure> {
  const { mongo, job, policy } = await freshJob(testConfig(), { indexes: variant !== 'distinct-id-only' });
  try {
    const batches = await rawBatches(path, lines, job, policy, variant);
    const { seconds, documents, refused } = await timedInsertMany(mongo.db, batches);
    const note = `${round(documents)} documents${refused ? `, ${round(refused)} refused by \`_id\`` : ''}`;
    return { name: RAW_NAMES[variant], lines, seconds, note };
  } finally {
    await dropAndClose(mongo);
  }
}

// ---------------------------------------------------------------------------------------------

function machine(): string {
  const [one, five] = loadavg();
  return `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${one!.toFixed(2)} / ${five!.toFixed(2)} (1/5 min)`;
}

const times = (a: { lines: number; seconds: number }, b: { lines: number; seconds: number }) => rate(a) / rate(b);
const verdict = (ok: boolean) => (ok ? 'met' : 'missed');

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
    const started = Date.now();
    process.stdout.write(`machine at start: ${machine()}\n`);
    const files = new Map<number, string>();
    for (const size of sizes) {
      const path = join(dir, `uris-${size}.txt`);
      await writeUriFile(path, size);
      files.set(size, path);
    }
    const largestFile = files.get(largest)!;
    const progress = (m: RateMeasure | IngestMeasure, name: string) =>
      process.stdout.write(`${name} ${round(m.lines)}: ${m.seconds.toFixed(1)} s, ${round(rate(m))} URIs/s\n`);

    const ingests: IngestMeasure[] = [];
    const distinctBySize = new Map<number, RateMeasure>();
    for (const size of sizes) {
      const measure = await runChild(files.get(size)!, size);
      checkCounts(measure, expectedCounts(size));
      ingests.push(measure);
      progress(measure, `ingest (peak RSS ${measure.peakRssMiB.toFixed(0)} MiB)`);
      // The raw ceiling at the same size: SQLite slows as the collection grows.
      distinctBySize.set(size, await rawInsertMany(files.get(size)!, size, 'distinct'));
      progress(distinctBySize.get(size)!, 'raw distinct');
    }
    const sampled = new Map<RawVariant, RateMeasure>();
    for (const variant of ['same', 'distinct-id-only', 'all-writes'] as const) {
      sampled.set(variant, await rawInsertMany(largestFile, rawLines, variant));
      progress(sampled.get(variant)!, `raw ${variant}`);
    }
    const naive = await naiveLoop(largestFile, naiveLines);
    progress(naive, 'naive');
    process.stdout.write(`machine at end: ${machine()}; whole run ${((Date.now() - started) / 60_000).toFixed(1)} min\n\n`);

    const raw = sampled.get('same')!;
    const allWrites = sampled.get('all-writes')!;
    const rawRows = [...distinctBySize.values(), ...sampled.values(), naive];
    const ceiling = times(distinctBySize.get(Math.min(...sizes))!, naive);
    const table = [
      '| path | URIs (lines) | seconds | URIs/s | peak RSS (sampled / maxRSS) | peak heap | notes |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...ingests.map(
        (m) =>
          `| ingest service, file (\`crawlflow ingest --file\`) | ${round(m.lines)} | ${m.seconds.toFixed(1)} | ${round(rate(m))} | ${m.peakRssMiB.toFixed(0)} / ${m.maxRssMiB.toFixed(0)} MiB | ${m.peakHeapMiB.toFixed(0)} MiB | ${round(m.counts.accepted!)} accepted, ${round(m.counts.duplicate!)} duplicate, ${round(m.counts.invalid!)} invalid; RSS before ${m.rssBeforeMiB.toFixed(0)} MiB |`,
      ),
      ...rawRows.map((m) => `| ${m.name} | ${round(m.lines)} | ${m.seconds.toFixed(1)} | ${round(rate(m))} | | | ${m.note} |`),
      '',
      `| target | measured | |`,
      '| --- | --- | --- |',
      ...ingests.flatMap((m) => {
        const peakMB = (Math.max(m.peakRssMiB, m.maxRssMiB) * MiB) / 1e6;
        const sample = raw.lines === m.lines ? '' : ` (raw on the first ${round(raw.lines)} lines)`;
        return [
          `| ${round(m.lines)}: ≥ 20× the naive loop | ${times(m, naive).toFixed(1)}× | ${verdict(times(m, naive) >= 20)} |`,
          `| ${round(m.lines)}: ≥ 0.5× raw insertMany of the same documents${sample} | ${times(m, raw).toFixed(2)}× | ${verdict(times(m, raw) >= 0.5)} |`,
          `| ${round(m.lines)}: … and of the same documents without duplicates, same size | ${times(m, distinctBySize.get(m.lines)!).toFixed(2)}× | ${verdict(times(m, distinctBySize.get(m.lines)!) >= 0.5)} |`,
          `| ${round(m.lines)}: vs raw insertMany of all ingest writes${sample} | ${times(m, allWrites).toFixed(2)}× | (the ceiling) |`,
          `| ${round(m.lines)}: peak memory < 300 MB | ${peakMB.toFixed(0)} MB | ${verdict(peakMB < 300)} |`,
        ];
      }),
      `| the most any writer of these tasks gets over the naive loop here: raw insertMany without duplicates / naive | ${ceiling.toFixed(1)}× | |`,
      '',
    ];
    process.stdout.write(`${table.join('\n')}\n`);
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
