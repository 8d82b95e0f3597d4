/**
 * The store's hot queries at growing sizes (issue 11, item 3): does a query cost the same at 1k
 * and at 1M documents? Measured on two FerretDB servers started for this run, side by side on
 * the same machine, each on fresh SQLite files of its own (so the shared stack's data is never
 * touched): the stock v1.24.2 build ("before") and the stack's patched build ("after",
 * docs/data-model.md), with the same crawlflow code and the same data:
 *  - point lookups: a claim-check payload read, a crawler task read, a task status update;
 *  - a feeder pass: 1,000 new tasks (stored through the store, so queued) sent to a no-op
 *    producer by the real feeder, with its sweep;
 *  - a web view: the job list with each job's task counts per status (GET /api/jobs).
 *
 *   npm run bench:store -- [--sizes 1000,100000,1000000] [--reps 30] [--stock-reps 3] [--no-stock]
 *
 * Data is loaded with the fastest path there is (unordered insertMany of 10,000 documents built
 * beforehand: tasks, their sources, sent feed markers, payloads of 200 bytes), and the load time
 * is printed. The stock server's reads at 1M take seconds each, hence its fewer repetitions.
 * Prints a table and, as its last line, a JSON summary. Needs Go and the patched build
 * (`npm run stack -- install mongodb`); builds the stock binary once (~30 s) if it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Binary, MongoClient, ObjectId, type Db } from 'mongodb';
import { createTaskFeedRepository } from '../store/task-feed';
import { createLogger } from '../infra/logging/logger';
import { ensureIndexes } from '../store/indexes';
import { createPayloadStore } from '../store/payload-store';
import { createFailedMessageRepository } from '../store/failed-messages';
import { Collection } from '../store/collections';
import { crawlerTaskId, CrawlerTaskStatus, TaskSource } from '../store/crawler-tasks';
import { LogSource } from '../store/ingest-logs';
import { addTaskOrder } from '../store/task-order';
import { createStore, type Store } from '../store/store';
import { uriHash } from '../domain/uris/hash';
import { stackPaths } from '../stack/paths';
import { portOpen } from '../stack/processes';
import { buildFerretdb, ferretdbArgs, ferretdbBinary } from '../stack/services';
import { createTaskFeeder } from '../processes/task-feeder';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,100000,1000000' },
    reps: { type: 'string', default: '30' },
    'stock-reps': { type: 'string', default: '3' },
    'no-stock': { type: 'boolean', default: false },
  },
});
const sizes = args.sizes.split(',').map(Number);
if (sizes.some((size) => !Number.isInteger(size) || size < 1)) throw new Error(`--sizes "${args.sizes}": positive integers, e.g. 1000,100000`);
const LOAD_BATCH = 10_000;
const BACKLOG = 1000;

interface Server {
  name: 'stock' | 'patched';
  port: number;
  process: ChildProcess;
  dataDir: string;
  client: MongoClient;
  db: Db;
  store: Store;
  jobId: ObjectId;
  /** Kept for lookups: a sample of what was loaded. */
  taskIds: ObjectId[];
  payloadRefs: string[];
  /** The jobs error-log entries belong to (the bench job first). */
  logJobs: ObjectId[];
  loaded: number;
  reps: number;
}

/** Per query: size → milliseconds (median of the repetitions). */
type Results = Record<string, Record<string, Record<number, number>>>;

const logger = createLogger({ level: 'warn', format: 'json' }, { bench: 'store' });
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

async function startServer(name: Server['name'], binary: string, port: number, reps: number): Promise<Server> {
  const paths = stackPaths();
  const dataDir = await mkdtemp(join(paths.home, `bench-store-${name}-`));
  const child = spawn(binary, ferretdbArgs(dataDir, `127.0.0.1:${port}`), { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  while (!(await portOpen('127.0.0.1', port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} FerretDB (${binary}) did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const client = await new MongoClient(`mongodb://127.0.0.1:${port}`, { appName: 'crawlflow-bench-store' }).connect();
  const db = client.db('bench_store');
  await ensureIndexes(db);
  const store = createStore(db);
  const job = await store.jobs.create({ name: 'bench' });
  const logJobs = [job.id, ...Array.from({ length: LOG_JOBS - 1 }, () => new ObjectId())];
  return { name, port, process: child, dataDir, client, db, store, jobId: job.id, taskIds: [], payloadRefs: [], logJobs, loaded: 0, reps };
}

async function stopServer(server: Server): Promise<void> {
  await server.client.close().catch(() => undefined);
  server.process.kill('SIGTERM');
  await new Promise((resolve) => server.process.once('exit', resolve));
  await rm(server.dataDir, { recursive: true, force: true });
}

/** Time-ordered ObjectId of a moment in the past (what `new ObjectId()` gave then). */
function objectIdAt(time: number): ObjectId {
  const bytes = randomBytes(12);
  bytes.writeUInt32BE(Math.floor(time / 1000), 0);
  return new ObjectId(bytes);
}

const STEPS = ['fetch', 'tag', 'publish', 'bridge'] as const;
/** Loaded tasks go through the statuses after new in turn (new ones would be a backlog for the feeder). */
const statusOf = (n: number) => ((n % 5) + 2) as CrawlerTaskStatus;
/** Error-log entries are spread over this many jobs (the bench job is one of them). */
const LOG_JOBS = 10;
const DAY_MS = 86_400_000;

/**
 * Grows the data to `size` tasks and as many of each of: sources, order entries, sent feed
 * markers, payloads, error-log entries and failure records (the last two spread over the past 30
 * days). Tasks are in statuses 2–6 in turn.
 */
async function loadTo(server: Server, size: number): Promise<number> {
  const started = Date.now();
  const tasks = server.db.collection(Collection.CrawlerTask);
  const sources = server.db.collection(Collection.CrawlerTaskSource);
  const markers = server.db.collection(Collection.CrawlerTaskFeed);
  const payloads = server.db.collection<{ _id: string; data: Binary; bytes: number; createdAt: Date }>(Collection.Payload);
  const errors = server.db.collection(Collection.ErrorLog);
  const failures = server.db.collection(Collection.FailedMessage);
  const counts = server.db.collection<{ _id: ObjectId }>(Collection.CrawlerTaskCount);
  while (server.loaded < size) {
    const count = Math.min(LOAD_BATCH, size - server.loaded);
    const now = new Date();
    const job = server.jobId;
    const batch = Array.from({ length: count }, (_, index) => {
      const n = server.loaded + index;
      const uri = `https://bench.example/${n}`;
      const hash = uriHash(uri);
      // The store's own task id: a later insertNew of this URI is a duplicate.
      return { id: crawlerTaskId(job, hash), uri, hash, n };
    });
    // Failures and errors of the past 30 days, oldest first within the batch.
    const past = batch.map(() => now.getTime() - Math.floor(Math.random() * 30 * DAY_MS)).sort((a, b) => a - b);
    await Promise.all([
      tasks.insertMany(
        batch.map(({ id, uri, n }) => ({ _id: id, job, task_generator: null, uri, cookie: null, args: null, status: statusOf(n), store: null, add_datetime: now })),
        { ordered: false },
      ),
      sources.insertMany(
        batch.map(({ id, uri, hash, n }) => ({ _id: id, job, uri_hash: hash, uri_original: uri, rules_version: 2, source: TaskSource.File, ingest: null, task_generator: null, line: n + 1, add_datetime: now })),
        { ordered: false },
      ),
      markers.insertMany(
        batch.map(({ id }) => ({ _id: id, job, state: 'sent', owner: 'bench', claimed_at: now, sent_at: now })),
        { ordered: false },
      ),
      payloads.insertMany(
        batch.map(({ n }) => ({ _id: createHash('sha256').update(`payload ${n}`).digest('hex'), data: new Binary(randomBytes(200)), bytes: 200, createdAt: now })),
        { ordered: false },
      ),
      // The store's own writer: tasks of one millisecond may clash on an entry id and take another.
      addTaskOrder(server.db, batch.map(({ id }) => ({ task: id, job, addedAt: now }))),
      errors.insertMany(
        batch.map(({ uri, n }, index) => ({
          _id: objectIdAt(past[index]!), job: n % LOG_JOBS === 0 ? job : server.logJobs[n % LOG_JOBS]!, job_name: 'bench', source: LogSource.File, ingest: null,
          task_generator: null, line: n + 1, input: uri, input_length: uri.length, reason_code: 'duplicate', reason: 'duplicate', duplicate_of: null,
          workflow_id: null, add_datetime: new Date(past[index]!),
        })),
        { ordered: false },
      ),
      failures.insertMany(
        batch.map(({ id, uri, n }, index) => ({
          _id: objectIdAt(past[index]!), workflowId: `msg-${id.toHexString()}`, step: STEPS[n % STEPS.length]!, errorType: 'FetchFailed',
          error: `fetch ${uri}: 503`, status: 'failed', failedAt: new Date(past[index]!), replays: [],
        })),
        { ordered: false },
      ),
    ]);
    // What the store counts as tasks are stored (crawler_task_count).
    const inc: Record<string, number> = {};
    for (const { n } of batch) inc[`s${statusOf(n)}`] = (inc[`s${statusOf(n)}`] ?? 0) + 1;
    await counts.updateOne({ _id: job }, { $inc: inc }, { upsert: true });
    for (const { id, n } of batch) {
      // A uniform sample of ids to look up, at most 10,000.
      if (server.taskIds.length < 10_000) server.taskIds.push(id);
      else if (Math.random() < 10_000 / (n + 1)) server.taskIds[Math.floor(Math.random() * 10_000)] = id;
    }
    server.payloadRefs = Array.from({ length: 1000 }, () => createHash('sha256').update(`payload ${Math.floor(Math.random() * (server.loaded + count))}`).digest('hex'));
    server.loaded += count;
  }
  return (Date.now() - started) / 1000;
}

async function time(reps: number, run: () => Promise<unknown>): Promise<number> {
  const durations: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const started = performance.now();
    await run();
    durations.push(performance.now() - started);
  }
  return median(durations);
}

async function measure(server: Server, size: number, results: Results): Promise<void> {
  const payloadStore = createPayloadStore(server.db);
  const feed = createTaskFeedRepository(server.db);
  const record = (query: string, ms: number) => {
    process.stderr.write(`  ${server.name} ${size}: ${query} ${ms.toFixed(2)} ms\n`);
    results[query] ??= {};
    results[query]![server.name] ??= {};
    results[query]![server.name]![size] = ms;
  };
  const reps = server.reps;
  // The page's default task view, and one status (1 in 5 of the tasks loaded). First, while the
  // newest tasks are the ones just loaded (the feeder pass and the ingest below add new ones).
  record('web view: tasks of a job, newest 50', await time(reps, () => server.store.tasks.list({ job: server.jobId, limit: 50 })));
  record('web view: tasks of a job in one status, newest 50', await time(reps, () => server.store.tasks.list({ job: server.jobId, status: CrawlerTaskStatus.Downloaded, limit: 50 })));
  record('payload read (claim check)', await time(reps, async () => {
    const ref = pick(server.payloadRefs);
    if (!(await server.db.collection<{ _id: string }>(Collection.Payload).findOne({ _id: ref }))) throw new Error(`payload ${ref} missing`);
  }));
  // The payload store's own read, on a payload it wrote (its text is over the inline limit).
  const stored = await payloadStore.put('x'.repeat(40_000) + String(size));
  record('payload get (store API)', await time(reps, () => payloadStore.get(stored)));
  record('task read by id', await time(reps, async () => {
    if (!(await server.store.tasks.get(pick(server.taskIds)))) throw new Error('task missing');
  }));
  record('task status update', await time(reps, async () => {
    if (!(await server.store.tasks.setStatus(pick(server.taskIds), CrawlerTaskStatus.Analysed))) throw new Error('task missing');
  }));
  // The real feeder, a fresh one per pass (so each is a full pass over the queue), a no-op producer;
  // only the pass is timed, not the store writing the 1,000 new tasks before it.
  const producer = { send: async () => undefined };
  const passes: number[] = [];
  for (let rep = 0; rep < Math.max(1, Math.min(reps, 5)); rep++) {
    const uris = Array.from({ length: BACKLOG }, (_, index) => `https://bench.example/new/${randomBytes(8).toString('hex')}/${index}`);
    await server.store.tasks.insertNew(
      { job: server.jobId, source: TaskSource.File, rulesVersion: 2 },
      uris.map((uri, index) => ({ uri, uriHash: uriHash(uri), original: uri, line: index + 1 })),
    );
    const feeder = createTaskFeeder({ feed, producer, owner: 'bench', logger, options: { pageSize: BACKLOG, sweepSize: BACKLOG } });
    const started = performance.now();
    const pass = await feeder.runPass();
    passes.push(performance.now() - started);
    if (pass.sent !== BACKLOG) throw new Error(`${server.name}: feeder pass sent ${pass.sent} of ${BACKLOG}`);
  }
  record('feeder pass (1,000 new)', median(passes));
  // GET /api/jobs: every job with its task counts per status (processes/web/routes/jobs.ts).
  const jobList = async () => Promise.all((await server.store.jobs.list()).map((job) => server.store.tasks.countByStatus(job.id)));
  await jobList();
  record('web view: job list with counts', await time(reps, jobList));

  // Ingest: 1,000 URIs of which 500 are stored already (refused by _id: the duplicate check).
  record('ingest: 1,000 URIs, 500 duplicates', await time(Math.max(1, Math.min(reps, 5)), async () => {
    const uris = [
      ...Array.from({ length: 500 }, () => `https://bench.example/${Math.floor(Math.random() * server.loaded)}`),
      ...Array.from({ length: 500 }, (_, index) => `https://bench.example/ingest/${randomBytes(8).toString('hex')}/${index}`),
    ];
    const outcomes = await server.store.tasks.insertNew(
      { job: server.jobId, source: TaskSource.File, rulesVersion: 2 },
      uris.map((uri, index) => ({ uri, uriHash: uriHash(uri), original: uri, line: index + 1 })),
    );
    if (outcomes.filter((outcome) => outcome.kind === 'duplicate').length < 490) throw new Error('ingest: duplicates were not refused');
  }));
  // The ingested tasks are queued: send them now (untimed), so the next feeder pass has only its own.
  await createTaskFeeder({ feed, producer, owner: 'bench', logger, options: { pageSize: BACKLOG, sweepSize: BACKLOG } }).runPass();

  const failures = createFailedMessageRepository(server.db);
  const sampleFailure = (await failures.find({ limit: 1 }))[0]!;
  record('failure record by id', await time(reps, async () => {
    if (!(await failures.findById(sampleFailure._id.toHexString()))) throw new Error('failure record missing');
  }));
  record('web view: failures, newest 50', await time(reps, () => failures.find({ limit: 50 })));
  record('web view: failures of one step, last hour', await time(reps, () => failures.find({ step: 'tag', since: new Date(Date.now() - 3_600_000), limit: 50 })));
  record('web view: error log of a job, newest 50', await time(reps, () => server.store.logs.listErrors({ job: server.jobId, limit: 50 })));
  // Grows with the failures of the day (1/30 of those loaded here), by design: not a flat query.
  record('status: failures in the last day (count)', await time(Math.max(1, Math.min(reps, 3)), () => failures.countSince(new Date(Date.now() - DAY_MS))));
}

async function main(): Promise<void> {
  const paths = stackPaths();
  const patchedBinary = ferretdbBinary(paths);
  if (!existsSync(patchedBinary)) throw new Error(`${patchedBinary} is missing: run \`npm run stack -- install mongodb\` first`);
  const servers: Server[] = [];
  const reps = Number(args.reps);
  try {
    if (!args['no-stock']) {
      const stockBinary = existsSync(ferretdbBinary(paths, 'stock')) ? ferretdbBinary(paths, 'stock') : await buildFerretdb(paths, 'stock');
      servers.push(await startServer('stock', stockBinary, 27061, Number(args['stock-reps'])));
    }
    servers.push(await startServer('patched', patchedBinary, 27062, reps));
    process.stderr.write(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`);
    const results: Results = {};
    const loadSeconds: Record<string, Record<number, number>> = {};
    for (const size of sizes) {
      for (const server of servers) {
        const seconds = await loadTo(server, size);
        (loadSeconds[server.name] ??= {})[size] = seconds;
        process.stderr.write(`${server.name}: loaded to ${size.toLocaleString('en-US')} tasks (+ sources, markers, payloads) in ${seconds.toFixed(1)} s\n`);
        await measure(server, size, results);
      }
    }
    const rows: string[][] = [['query', 'server', ...sizes.map((size) => size.toLocaleString('en-US')), `last/first`]];
    for (const [query, byServer] of Object.entries(results)) {
      for (const [name, bySize] of Object.entries(byServer)) {
        const first = bySize[sizes[0]!]!;
        const last = bySize[sizes.at(-1)!]!;
        rows.push([query, name, ...sizes.map((size) => `${bySize[size]!.toFixed(2)} ms`), `${(last / first).toFixed(2)}×`]);
      }
    }
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    for (const row of rows) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}\n`);
    const ratios = Object.fromEntries(
      Object.entries(results).map(([query, byServer]) => {
        const bySize = byServer.patched!;
        return [query, Number((bySize[sizes.at(-1)!]! / bySize[sizes[0]!]!).toFixed(2))];
      }),
    );
    process.stdout.write(`${JSON.stringify({ sizes, results, loadSeconds, patchedRatios: ratios })}\n`);
  } finally {
    for (const server of servers) await stopServer(server);
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
