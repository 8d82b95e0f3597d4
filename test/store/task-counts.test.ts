import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ObjectId } from 'mongodb';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { CrawlerTaskStatus, TaskSource, type NewCrawlerTask } from '../../store/crawler-tasks';
import { LogSource } from '../../store/ingest-logs';
import { createStore, type Store } from '../../store/store';
import { createFailedMessageRepository } from '../../store/failed-messages';
import { uriHash } from '../../domain/uris/hash';
import { requireStack, testConfig } from '../../support/stack';

const config = testConfig();
let mongo: MongoHandle;
let store: Store;

function task(uri: string): NewCrawlerTask {
  return { uri, uriHash: uriHash(uri), original: uri, line: null };
}

const context = (job: ObjectId) => ({ job, source: TaskSource.Manual, rulesVersion: 2 });

/** What counting the tasks themselves gives (the old way). */
async function countedFromTasks(job: ObjectId): Promise<Record<number, number>> {
  const tasks = mongo.db.collection(Collection.CrawlerTask);
  const counts: Record<number, number> = {};
  for (const status of Object.values(CrawlerTaskStatus)) counts[status] = await tasks.countDocuments({ job, status });
  return counts;
}

before(async () => {
  await requireStack();
  mongo = await connectMongo(config.mongo);
  await ensureIndexes(mongo.db);
  store = createStore(mongo.db);
});
after(async () => {
  await mongo?.db.dropDatabase();
  await mongo?.client.close();
});

describe('task counts per job and status, kept as tasks change (crawler_task_count)', () => {

  it('counts stored tasks (not duplicates, not racing copies) and status moves, equal to counting the tasks', async () => {
    const job = await store.jobs.create({ name: 'counted' });
    assert.deepEqual(await store.tasks.countByStatus(job.id), { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 });
    const uris = Array.from({ length: 60 }, (_, index) => `http://count.example/${index}`);
    // Four writers race on the same URIs: exactly 60 tasks, so exactly 60 counted.
    const outcomes = (await Promise.all([0, 1, 2, 3].map(() => store.tasks.insertNew(context(job.id), uris.map(task))))).flat();
    assert.equal(outcomes.filter((outcome) => outcome.kind === 'accepted').length, 60);
    assert.equal((await store.tasks.countByStatus(job.id))[CrawlerTaskStatus.New], 60);

    const ids = outcomes.flatMap((outcome) => (outcome.kind === 'accepted' ? [outcome.taskId] : []));
    // The pipeline's moves, some written twice (an activity retried): a repeat moves nothing.
    await Promise.all(ids.slice(0, 30).map((id) => store.tasks.setStatus(id, CrawlerTaskStatus.InProgress)));
    await Promise.all(ids.slice(0, 20).map((id) => store.tasks.setStatus(id, CrawlerTaskStatus.Downloaded)));
    await Promise.all(ids.slice(0, 20).map((id) => store.tasks.setStatus(id, CrawlerTaskStatus.Downloaded)));
    await Promise.all(ids.slice(0, 10).map((id) => store.tasks.setStatus(id, CrawlerTaskStatus.Analysed)));
    await Promise.all(ids.slice(20, 25).map((id) => store.tasks.setStatus(id, CrawlerTaskStatus.DownloadFailed)));
    assert.equal(await store.tasks.setStatus(new ObjectId(), CrawlerTaskStatus.Analysed), false, 'an unknown task moves no count');

    const kept = await store.tasks.countByStatus(job.id);
    assert.deepEqual(kept, { 1: 30, 2: 5, 3: 5, 4: 10, 5: 0, 6: 10 });
    assert.deepEqual(kept, await countedFromTasks(job.id));
    const both = await store.tasks.countByStatusOfJobs([job.id, (await store.jobs.create({ name: 'empty' })).id]);
    assert.deepEqual(both.get(job.id.toHexString()), kept);
    assert.equal(both.size, 2);
  });

  it('counts a job without counts (stored before they were kept, or by the seed tools) once, and repairs drift on recount', async () => {
    const job = await store.jobs.create({ name: 'legacy' });
    await store.tasks.insertNew(context(job.id), [task('http://legacy.example/1'), task('http://legacy.example/2')]);
    // A task written by another tool: the kept counts miss it until a recount.
    await mongo.db.collection(Collection.CrawlerTask).insertOne({
      _id: new ObjectId(), job: job.id, task_generator: null, uri: 'http://legacy.example/seed', cookie: null, args: null,
      status: CrawlerTaskStatus.Analysed, store: null, add_datetime: new Date(),
    });
    assert.equal((await store.tasks.countByStatus(job.id))[CrawlerTaskStatus.Analysed], 0);
    assert.deepEqual(await store.tasks.recountByStatus(job.id), await countedFromTasks(job.id));
    assert.equal((await store.tasks.countByStatus(job.id))[CrawlerTaskStatus.Analysed], 1);

    // No count document at all (data from before this change): the first read counts and keeps.
    await mongo.db.collection(Collection.CrawlerTaskCount).deleteOne({ _id: job.id });
    assert.deepEqual(await store.tasks.countByStatus(job.id), { 1: 2, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1 });
    const kept = await mongo.db.collection(Collection.CrawlerTaskCount).findOne({ _id: job.id });
    assert.equal(kept?.s1, 2);
    assert.ok(kept?.recounted_at instanceof Date);
  });
});

describe("a job's task list from its order entries (crawler_task_order)", () => {
  /** The list as the indexes give it (the old query). */
  async function listedByIndexes(job: ObjectId, status?: number): Promise<string[]> {
    const filter = { job, ...(status === undefined ? {} : { status }) };
    return (await mongo.db.collection(Collection.CrawlerTask).find(filter).sort({ add_datetime: -1, _id: -1 }).toArray()).map((row) => String(row.uri));
  }

  it('lists newest first, by status, and pages with `before`, exactly as the indexes order them', async () => {
    const job = await store.jobs.create({ name: 'ordered' });
    for (let round = 0; round < 4; round++) {
      // Several tasks per millisecond (one batch) and several batches.
      await store.tasks.insertNew(context(job.id), Array.from({ length: 30 }, (_, index) => task(`http://order.example/${round}/${index}`)));
    }
    const all = await store.tasks.list({ job: job.id, limit: 500 });
    assert.deepEqual(all.map((row) => row.uri), await listedByIndexes(job.id));
    const pages: string[] = [];
    let before: { addedAt: Date; id: ObjectId } | undefined;
    for (;;) {
      const page = await store.tasks.list({ job: job.id, limit: 7, ...(before ? { before } : {}) });
      pages.push(...page.map((row) => row.uri));
      if (page.length < 7) break;
      before = { addedAt: page.at(-1)!.addedAt, id: page.at(-1)!.id };
    }
    assert.deepEqual(pages, all.map((row) => row.uri));
    for (const row of all.filter((_, index) => index % 3 === 0)) await store.tasks.setStatus(row.id, CrawlerTaskStatus.Downloaded);
    assert.deepEqual(
      (await store.tasks.list({ job: job.id, status: CrawlerTaskStatus.Downloaded, limit: 500 })).map((row) => row.uri),
      await listedByIndexes(job.id, CrawlerTaskStatus.Downloaded),
    );
    assert.deepEqual(await store.tasks.list({ job: job.id, status: CrawlerTaskStatus.AnalysisFailed }), []);
  });

  it('lists a job without entries by the indexes, and from its entries once recount rebuilt them', async () => {
    const job = await store.jobs.create({ name: 'unordered' });
    await store.tasks.insertNew(context(job.id), [task('http://unordered.example/1'), task('http://unordered.example/2')]);
    // As before entries were kept: no entries, and the job not marked listed.
    await mongo.db.collection(Collection.CrawlerTaskOrder).deleteMany({ job: job.id });
    await mongo.db.collection(Collection.CrawlerTaskCount).updateOne({ _id: job.id }, { $set: { listed: false } });
    assert.deepEqual((await store.tasks.list({ job: job.id })).map((row) => row.uri), await listedByIndexes(job.id));
    await store.tasks.recountByStatus(job.id);
    assert.equal(await mongo.db.collection(Collection.CrawlerTaskOrder).countDocuments({ job: job.id }), 2);
    assert.equal((await mongo.db.collection(Collection.CrawlerTaskCount).findOne({ _id: job.id }))?.listed, true);
    assert.deepEqual((await store.tasks.list({ job: job.id })).map((row) => row.uri), await listedByIndexes(job.id));
  });
});

describe('log views newest first by _id (error log, failure log, generator and fetch logs, failed messages)', () => {
  it('returns the newest entries first, filtered, limited and paged exactly as by add_datetime', async () => {
    const job = new ObjectId();
    const other = new ObjectId();
    for (let round = 0; round < 5; round++) {
      await store.logs.recordErrors(
        Array.from({ length: 10 }, (_, index) => ({
          job: index % 2 === 0 ? job : other, source: LogSource.Manual, input: `in ${round}-${index}`, reasonCode: 'invalid_url', reason: 'bad',
        })),
      );
    }
    const all = await mongo.db.collection(Collection.ErrorLog).find({ job }).sort({ add_datetime: -1, _id: -1 }).toArray();
    const newest = await store.logs.listErrors({ job, limit: 7 });
    assert.deepEqual(newest.map((entry) => entry.input), all.slice(0, 7).map((entry) => entry.input));
    assert.deepEqual((await store.logs.listErrors({ limit: 100 })).length, 50);
  });

  it('selects failed messages by time and step through _id bounds, with the same result as by failedAt', async () => {
    const failures = createFailedMessageRepository(mongo.db);
    const since = new Date();
    for (let index = 0; index < 12; index++) {
      await failures.record({ workflowId: `msg-c${index}`, step: index % 3 === 0 ? 'tag' : 'fetch', errorType: 'E', error: 'x' });
    }
    const until = new Date();
    const found = await failures.find({ step: 'fetch', since, until, limit: 5 });
    assert.deepEqual(found.map((record) => record.workflowId), ['msg-c11', 'msg-c10', 'msg-c8', 'msg-c7', 'msg-c5']);
    assert.equal(await failures.countSince(since), 12);
    assert.equal((await failures.find({ until: new Date(since.getTime() - 60_000), limit: 100 })).length, 0);
    assert.equal((await failures.find({ since: new Date(until.getTime() + 60_000), limit: 100 })).length, 0);
  });
});
