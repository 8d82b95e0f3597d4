import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, ObjectId, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import { mongoDatabaseName } from '../../infra/config/config';
import { createTaskFeedRepository } from '../../store/task-feed';
import { ensureIndexes } from '../../store/indexes';
import { createPayloadStore } from '../../store/payload-store';
import { createFailedMessageRepository } from '../../store/failed-messages';
import { CrawlerTaskStatus, TaskSource } from '../../store/crawler-tasks';
import { LogSource } from '../../store/ingest-logs';
import { RunLogStatus } from '../../store/seed-fields';
import { createStore, type Store } from '../../store/store';
import { LOWEST_OBJECT_ID } from '../../store/object-id-range';
import { uriHash } from '../../domain/uris/hash';
import { ferretdbBuildVersion, runningFerretdbVersion } from '../../stack/services';
import { requireStack, testConfig } from '../../support/stack';

const config = testConfig();

/** A read command as the repositories sent it: the collection, filter and sort to explain. */
interface SentRead {
  command: string;
  collection: string;
  filter: Document;
  sort?: Document;
}

/**
 * The hot paths' reads, captured as the driver sends them (command monitoring) and explained by
 * the server: on the stack's patched FerretDB, explain returns SQLite's EXPLAIN QUERY PLAN of the
 * statement it runs. Each must search the `_id` index — a plain `SCAN` reads every document.
 */
describe("the hot paths' queries are _id lookups or _id ranges the server answers from its index", () => {
  let client: MongoClient;
  let db: Db;
  let store: Store;
  let sent: SentRead[] = [];

  before(async () => {
    await requireStack();
    client = new MongoClient(config.mongo.uri, { monitorCommands: true, appName: 'crawlflow-test-plans' });
    await client.connect();
    db = client.db(mongoDatabaseName(config.mongo.uri));
    await ensureIndexes(db);
    store = createStore(db);
    client.on('commandStarted', (event: CommandStartedEvent) => {
      const command = event.command;
      if ('find' in command) sent.push({ command: 'find', collection: command.find as string, filter: command.filter ?? {}, ...(command.sort ? { sort: command.sort } : {}) });
      if ('findAndModify' in command) sent.push({ command: 'findAndModify', collection: command.findAndModify as string, filter: command.query ?? {} });
      if ('aggregate' in command && Array.isArray(command.pipeline)) {
        const match = (command.pipeline as Document[])[0]?.$match as Document | undefined;
        sent.push({ command: 'aggregate', collection: command.aggregate as string, filter: match ?? {} });
      }
    });
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  /** Runs `operation`, then explains every read it sent; returns the plans. */
  async function plansOf(operation: () => Promise<unknown>): Promise<Array<{ read: SentRead; plan: string; sortPushdown: boolean }>> {
    sent = [];
    await operation();
    const reads = sent;
    sent = [];
    assert.ok(reads.length > 0, 'the operation sent no read');
    const plans = [];
    for (const read of reads) {
      const reply = await db.command({ explain: { find: read.collection, filter: read.filter, ...(read.sort ? { sort: read.sort } : {}) } });
      plans.push({ read, plan: JSON.stringify(reply.queryPlanner?.Plan ?? reply.queryPlanner), sortPushdown: reply.sortPushdown === true });
    }
    sent = [];
    return plans;
  }

  async function assertIndexed(what: string, operation: () => Promise<unknown>, options: { sorted?: boolean } = {}): Promise<void> {
    for (const { read, plan, sortPushdown } of await plansOf(operation)) {
      const shown = `${what}: ${read.command} ${read.collection} ${JSON.stringify(read.filter)} → ${plan}`;
      assert.match(plan, /SEARCH \S+ USING INDEX \S+__id_ \(<expr>/, shown);
      if (options.sorted && read.sort) assert.equal(sortPushdown, true, `${shown}: the sort is served by the index`);
    }
  }

  it('runs the patched build', async () => {
    assert.equal(await runningFerretdbVersion(config.mongo.uri), ferretdbBuildVersion());
  });

  it('task lookups, status updates, counts and the feeder pass', async () => {
    const job = await store.jobs.create({ name: 'plans' });
    const uris = Array.from({ length: 20 }, (_, index) => `http://plans.example/${index}`);
    const outcomes = await store.tasks.insertNew(
      { job: job.id, source: TaskSource.Manual, rulesVersion: 2 },
      uris.map((uri) => ({ uri, uriHash: uriHash(uri), original: uri, line: null })),
    );
    const id = outcomes[0]!.kind === 'accepted' ? outcomes[0]!.taskId : assert.fail('not stored');
    await assertIndexed('task read', () => store.tasks.get(id));
    await assertIndexed('task status update', () => store.tasks.setStatus(id, CrawlerTaskStatus.InProgress));
    await assertIndexed('job list counts', () => store.tasks.countByStatus(job.id));
    const other = await store.jobs.create({ name: 'plans-other' });
    await assertIndexed('job list counts, several jobs', () => store.tasks.countByStatusOfJobs([job.id, other.id]));

    await store.tasks.setStatus(outcomes[1]!.kind === 'accepted' ? outcomes[1]!.taskId : id, CrawlerTaskStatus.InProgress);
    await assertIndexed("a job's tasks, newest first", () => store.tasks.list({ job: job.id, limit: 5 }), { sorted: true });
    const first = await store.tasks.list({ job: job.id, limit: 5 });
    await assertIndexed("a job's tasks, next page", () => store.tasks.list({ job: job.id, limit: 5, before: { addedAt: first[4]!.addedAt, id: first[4]!.id } }), { sorted: true });
    await assertIndexed("a job's tasks of one status", () => store.tasks.list({ job: job.id, status: CrawlerTaskStatus.InProgress, limit: 5 }), { sorted: true });

    const feed = createTaskFeedRepository(db);
    const page = await feed.newTasks(LOWEST_OBJECT_ID, 100);
    assert.equal(page.tasks.length, 18);
    await assertIndexed('feeder: queue page and its tasks', () => feed.newTasks(LOWEST_OBJECT_ID, 100), { sorted: true });
    await assertIndexed('feeder: sweep', () => feed.sweep(LOWEST_OBJECT_ID, 100), { sorted: true });
    await assertIndexed('feeder: enabled jobs', () => feed.enabledJobs([job.id]));
    await assertIndexed('feeder: claim', () => feed.claim(page.tasks, 'plans', new Date(0)));
  });

  it('claim-check payload reads', async () => {
    const payloads = createPayloadStore(db);
    const stored = await payloads.put('p'.repeat(40_000));
    await assertIndexed('payload read', () => payloads.get(stored));
  });

  it('failure records and log views newest first', async () => {
    const failures = createFailedMessageRepository(db);
    const since = new Date(Date.now() - 1000);
    const recorded = await failures.record({ workflowId: 'msg-plans', step: 'fetch', errorType: 'E', error: 'x' });
    await assertIndexed('failed message by id', () => failures.findById(recorded.toHexString()));
    await assertIndexed('failed messages, newest first', () => failures.find({ limit: 20 }), { sorted: true });
    await assertIndexed('failed messages of a step in a period', () => failures.find({ step: 'fetch', since, until: new Date(), limit: 20 }), { sorted: true });
    await assertIndexed('failures in the last day (status)', () => failures.countSince(since));

    const job = new ObjectId();
    await store.logs.recordErrors([{ job, source: LogSource.Manual, input: 'x', reasonCode: 'invalid_url', reason: 'bad' }]);
    await store.logs.recordFailures([{ job, source: LogSource.Manual, input: 'y', reasonCode: 'store_failed', reason: 'lost' }]);
    await assertIndexed('error log, newest first', () => store.logs.listErrors({ limit: 50 }), { sorted: true });
    await assertIndexed("a job's error log", () => store.logs.listErrors({ job, limit: 50 }), { sorted: true });
    await assertIndexed("a job's failure log", () => store.logs.listFailures({ job, limit: 50 }), { sorted: true });

    const generator = new ObjectId();
    const measures = { status: RunLogStatus.Succeeded, failedReason: null, contentBytes: 1, spendMsecs: 1, hostname: 'h' };
    await store.generatorLogs.record({ job, generator, ...measures });
    await store.uriLogs.record({ job, task: new ObjectId(), uri: 'http://x.example/', generator: null, ...measures });
    await assertIndexed("a generator's runs", () => store.generatorLogs.list({ generator, limit: 5 }), { sorted: true });
    await assertIndexed("a job's fetches", () => store.uriLogs.list({ job, limit: 50 }), { sorted: true });
  });
});
