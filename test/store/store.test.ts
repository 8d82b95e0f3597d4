import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectId } from 'mongodb';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { COLLECTION_INDEXES, ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { CrawlerTaskStatus, crawlerTaskId, TaskSource, type NewCrawlerTask } from '../../store/crawler-tasks';
import { DuplicateRecordError, RecordValidationError } from '../../store/errors';
import { GeneratorLanguage, GeneratorPriority, GeneratorStatus } from '../../store/generators';
import { LogSource } from '../../store/ingest-logs';
import { JobStatus } from '../../store/jobs';
import { RunLogStatus } from '../../store/seed-fields';
import { createStore, type Store } from '../../store/store';
import { uriHash } from '../../domain/uris/hash';
import { requireStack, testConfig } from '../../support/stack';

const config = testConfig();
let mongo: MongoHandle;
let store: Store;

function task(uri: string, line: number | null = null, original = uri): NewCrawlerTask {
  return { uri, uriHash: uriHash(uri), original, line };
}

describe('the URI store (against the MongoDB wire-protocol server)', () => {
  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
    await ensureIndexes(mongo.db);
    store = createStore(mongo.db);
  });
  after(async () => {
    await mongo.db.dropDatabase();
    await mongo.client.close();
  });

  it('creates every index COLLECTION_INDEXES lists for the store, the per-job unique task key being _id', async () => {
    for (const name of [Collection.Job, Collection.CrawlerTask, Collection.CrawlerTaskGenerator, Collection.ErrorLog, Collection.FailureLog, Collection.IngestRun]) {
      const wanted = (COLLECTION_INDEXES[name] ?? []).map((index) => index.name);
      assert.ok(wanted.length > 0, `${name} has indexes`);
      const present = (await mongo.db.collection(name).indexes()).map((index) => index.name);
      for (const index of wanted) assert.ok(present.includes(index), `${name}.${index}`);
    }
    const jobIndexes = await mongo.db.collection(Collection.Job).indexes();
    assert.equal(jobIndexes.find((index) => index.name === 'name_unique')?.unique, true);
  });

  it('creates, finds, lists and disables jobs; a second job of the same name is refused', async () => {
    const job = await store.jobs.create({ name: ' news ', info: 'daily news', customer: 'acme', uriRules: { sortQuery: true } });
    assert.equal(job.name, 'news');
    assert.equal(job.status, JobStatus.On);
    assert.deepEqual(job.uriRules, { keepFragment: false, sortQuery: true, dropTrackingParams: false, stripSessionIds: false });
    await assert.rejects(store.jobs.create({ name: 'news' }), DuplicateRecordError);
    assert.equal(await mongo.db.collection(Collection.JobSettings).countDocuments({}), 1, 'the refused job left no settings behind');
    await assert.rejects(store.jobs.create({ name: 'x'.repeat(129) }), RecordValidationError);

    const found = await store.jobs.findByName('news');
    assert.ok(found?.id.equals(job.id));
    assert.equal(found?.uriRules.sortQuery, true);
    assert.ok(await store.jobs.setStatus(job.id, JobStatus.Off));
    assert.equal((await store.jobs.get(job.id))?.status, JobStatus.Off);
    assert.equal(await store.jobs.setStatus(new ObjectId(), JobStatus.Off), false);
    assert.deepEqual((await store.jobs.list()).map((listed) => listed.name), ['news']);
  });

  it('stores new tasks once per job: accepted, duplicate within the batch, duplicate of an earlier batch, other jobs apart', async () => {
    const job = await store.jobs.create({ name: 'dedup' });
    const other = await store.jobs.create({ name: 'dedup-other' });
    const ingest = new ObjectId();
    const context = { job: job.id, source: TaskSource.File, rulesVersion: 1, ingest };
    const first = await store.tasks.insertNew(context, [
      task('http://a.example/', 1, 'HTTP://A.example'),
      task('http://b.example/', 2),
      task('http://a.example/', 3),
    ]);
    assert.equal(first[0]?.kind, 'accepted');
    assert.equal(first[1]?.kind, 'accepted');
    assert.deepEqual(first[2], { kind: 'duplicate', taskId: first[0]?.kind === 'accepted' ? first[0].taskId : undefined });

    const second = await store.tasks.insertNew(context, [task('http://b.example/', 1), task('http://c.example/', 2)]);
    assert.equal(second[0]?.kind, 'duplicate');
    assert.ok(second[0]?.kind === 'duplicate' && first[1]?.kind === 'accepted' && second[0].taskId.equals(first[1].taskId));
    assert.equal(second[1]?.kind, 'accepted');

    const elsewhere = await store.tasks.insertNew({ ...context, job: other.id }, [task('http://a.example/', 1)]);
    assert.equal(elsewhere[0]?.kind, 'accepted', 'the same URI in another job is a different task');

    const stored = await mongo.db.collection(Collection.CrawlerTask).find({ job: job.id }).toArray();
    assert.deepEqual(stored.map((row) => row.uri).sort(), ['http://a.example/', 'http://b.example/', 'http://c.example/']);
    for (const row of stored) {
      assert.equal(row.status, CrawlerTaskStatus.New);
      assert.ok(row._id.equals(crawlerTaskId(job.id, uriHash(row.uri))));
    }
    const source = first[0]?.kind === 'accepted' ? await store.tasks.source(first[0].taskId) : null;
    assert.equal(source?.uri_original, 'HTTP://A.example');
    assert.equal(source?.uri_hash, uriHash('http://a.example/'));
    assert.equal(source?.line, 1);
    assert.ok(source?.ingest?.equals(ingest));
    assert.deepEqual((await store.tasks.sourcesOfIngest(ingest, 0, 10)).map((row) => row.line), [1, 1, 2, 2]);

    const counts = await store.tasks.countByStatus(job.id);
    assert.equal(counts[CrawlerTaskStatus.New], 3);
    assert.equal(counts[CrawlerTaskStatus.Analysed], 0);
  });

  it('lets exactly one of many concurrent writers store a URI (the unique _id decides)', async () => {
    const job = await store.jobs.create({ name: 'race' });
    const uris = Array.from({ length: 200 }, (_, index) => `http://race.example/${index}`);
    const writers = await Promise.all(
      Array.from({ length: 4 }, (_, writer) =>
        store.tasks.insertNew(
          { job: job.id, source: TaskSource.Manual, rulesVersion: 1 },
          // Each writer sends the same URIs in its own order.
          (writer % 2 === 0 ? uris : [...uris].reverse()).map((uri) => task(uri)),
        ),
      ),
    );
    const accepted = writers.flat().filter((outcome) => outcome.kind === 'accepted').length;
    const duplicate = writers.flat().filter((outcome) => outcome.kind === 'duplicate').length;
    assert.equal(accepted, uris.length);
    assert.equal(duplicate, uris.length * 3);
    assert.equal(await mongo.db.collection(Collection.CrawlerTask).countDocuments({ job: job.id }), uris.length);
  });

  it('lists tasks newest first by job, status and generator, and pages with `before`', async () => {
    const job = await store.jobs.create({ name: 'listing' });
    const generator = new ObjectId();
    await store.tasks.insertNew({ job: job.id, source: TaskSource.Generator, rulesVersion: 1, generator }, [task('http://l.example/1'), task('http://l.example/2')]);
    await sleep(5); // a later add_datetime: ids are hashes, so only the time orders tasks
    await store.tasks.insertNew({ job: job.id, source: TaskSource.Manual, rulesVersion: 1 }, [task('http://l.example/3')]);
    const all = await store.tasks.list({ job: job.id });
    assert.equal(all.length, 3);
    assert.equal(all[0]?.uri, 'http://l.example/3');
    const byGenerator = await store.tasks.list({ generator });
    assert.deepEqual(byGenerator.map((row) => row.uri).sort(), ['http://l.example/1', 'http://l.example/2']);
    const page = await store.tasks.list({ job: job.id, limit: 1, before: { addedAt: all[0]!.addedAt, id: all[0]!.id } });
    assert.equal(page.length, 1);
    assert.ok(page[0]?.id.equals(all[1]!.id));
    assert.ok(await store.tasks.setStatus(all[0]!.id, CrawlerTaskStatus.Downloaded));
    assert.deepEqual((await store.tasks.list({ job: job.id, status: CrawlerTaskStatus.Downloaded })).map((row) => row.uri), ['http://l.example/3']);
  });

  it('stores a generator (seed fields + settings), updates and removes it', async () => {
    const job = await store.jobs.create({ name: 'generators' });
    const created = await store.generators.create({
      job: job.id,
      code: 'print("http://g.example/")\n',
      cron: '*/5 * * * *',
      name: 'hourly',
      language: GeneratorLanguage.Python,
      priority: GeneratorPriority.VeryHigh,
      timeoutSeconds: 60,
      filename: 'hourly.py',
    });
    assert.equal(created.status, GeneratorStatus.Alpha);
    const seed = await mongo.db.collection(Collection.CrawlerTaskGenerator).findOne({ _id: created.id });
    assert.deepEqual(Object.keys(seed ?? {}).sort(), ['_id', 'add_datetime', 'code', 'cron', 'job', 'status']);
    const updated = await store.generators.update(created.id, { priority: GeneratorPriority.Low, status: GeneratorStatus.On, cron: '0 * * * *' });
    assert.equal(updated?.priority, GeneratorPriority.Low);
    assert.equal(updated?.status, GeneratorStatus.On);
    assert.equal(updated?.cron, '0 * * * *');
    assert.equal(updated?.name, 'hourly');
    assert.deepEqual((await store.generators.list({ job: job.id, statuses: [GeneratorStatus.On] })).map((row) => row.name), ['hourly']);
    await assert.rejects(store.generators.create({ ...created, code: '  \n' }), RecordValidationError);
    assert.ok(await store.generators.remove(created.id));
    assert.equal(await store.generators.get(created.id), null);
    assert.equal(await mongo.db.collection(Collection.GeneratorSettings).countDocuments({ _id: created.id }), 0);
  });

  it('records generator runs and URI fetches in the seed log shapes, cutting fields to the seed limits', async () => {
    const job = new ObjectId();
    const generator = new ObjectId();
    const runId = await store.generatorLogs.record({
      job,
      generator,
      status: RunLogStatus.Failed,
      failedReason: 'x'.repeat(20_000),
      hostname: 'a-very-long-hostname.example',
      urisNew: 3,
      workflowId: 'generator-run-1',
    });
    const [run] = await store.generatorLogs.list({ generator });
    assert.ok(run?.id.equals(runId));
    assert.equal(run?.failedReason?.length, 10240);
    assert.equal(run?.hostname, 'a-very-long-host');
    assert.equal(run?.urisNew, 3);
    assert.equal(run?.workflowId, 'generator-run-1');

    const task = new ObjectId();
    await store.uriLogs.record({ job, task, uri: 'http://u.example/', status: RunLogStatus.Succeeded, contentBytes: 512, spendMsecs: 12.6 });
    const [fetch] = await store.uriLogs.list({ task });
    assert.equal(fetch?.contentBytes, 512);
    assert.equal(fetch?.spendMsecs, 13);
    assert.equal(fetch?.uri, 'http://u.example/');
  });

  it('appends error- and failure-log entries and reads them back by job and by ingest line', async () => {
    const job = new ObjectId();
    const ingest = new ObjectId();
    const huge = 'h'.repeat(100_000);
    assert.equal(
      await store.logs.recordErrors([
        { job, source: LogSource.File, ingest, line: 7, input: huge, reasonCode: 'too_long', reason: 'longer than 8000 characters' },
        { job, source: LogSource.File, ingest, line: 2, input: 'http://d.example/', reasonCode: 'duplicate', reason: 'duplicate', duplicateOf: new ObjectId() },
      ]),
      0,
    );
    await store.logs.recordFailures([{ job, source: LogSource.Script, input: 'gen.py', reasonCode: 'save_failed', reason: 'boom', code: 'print(1)' }]);
    const errors = await store.logs.listErrors({ ingest });
    assert.deepEqual(errors.map((entry) => entry.line), [2, 7]);
    assert.equal(errors[1]?.input.length, 16_384);
    assert.equal(errors[1]?.input_length, 100_000);
    assert.deepEqual((await store.logs.listErrors({ ingest, afterLine: 2 })).map((entry) => entry.line), [7]);
    const failures = await store.logs.listFailures({ job });
    assert.equal(failures[0]?.code, 'print(1)');
  });
});
