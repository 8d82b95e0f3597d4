import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ObjectId } from 'mongodb';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { crawlerTaskId, TaskSource, type NewCrawlerTask, type TaskInsertOutcome } from '../../store/crawler-tasks';
import { createSentTaskIds, type SentTaskIds } from '../../store/sent-task-ids';
import { createStore, type Store } from '../../store/store';
import { uriHash } from '../../domain/uris/hash';
import { requireStack, testConfig } from '../../support/stack';

function task(uri: string, line: number): NewCrawlerTask {
  return { uri, uriHash: uriHash(uri), original: uri, line };
}

const kinds = (outcomes: TaskInsertOutcome[]) => outcomes.map((outcome) => outcome.kind);

describe('the filter of sent task ids', () => {
  const job = new ObjectId('5f0000000000000000000001');
  const idOf = (index: number) => crawlerTaskId(job, uriHash(`https://example.com/${index}`));

  it('never forgets an id it was given, and rarely claims one it was not', () => {
    const sent = createSentTaskIds(50_000);
    for (let index = 0; index < 50_000; index++) sent.add(idOf(index));
    for (let index = 0; index < 50_000; index++) assert.ok(sent.mightHave(idOf(index)), `id ${index} was added`);
    let falseMaybes = 0;
    for (let index = 50_000; index < 100_000; index++) if (sent.mightHave(idOf(index))) falseMaybes++;
    // 16 bits and 7 probes per id: about 1 in 1,700 expected (≈ 30 of 50,000).
    assert.ok(falseMaybes < 250, `${falseMaybes} of 50,000 unsent ids were "maybe"`);
  });

  it('knows exactly which ids it saw stored: never an id it was not told of', () => {
    const sent = createSentTaskIds(20_000);
    for (let index = 0; index < 20_000; index += 2) sent.markStored(idOf(index));
    for (let index = 0; index < 20_000; index++) {
      assert.equal(sent.isKnownStored(idOf(index)), index % 2 === 0, `id ${index}`);
    }
    assert.equal(sent.isKnownStored(new ObjectId(Buffer.alloc(12))), false);
  });

  it('stops remembering stored ids when its exact set is full, and still never claims one', () => {
    const sent = createSentTaskIds(10); // the smallest set: 1024 slots, 768 ids
    for (let index = 0; index < 5_000; index++) sent.markStored(idOf(index));
    let remembered = 0;
    for (let index = 0; index < 5_000; index++) if (sent.isKnownStored(idOf(index))) remembered++;
    assert.equal(remembered, 768);
    for (let index = 5_000; index < 10_000; index++) assert.equal(sent.isKnownStored(idOf(index)), false);
  });

  it('stays bounded when far more ids are added than expected (it only gets less sharp)', () => {
    const sent = createSentTaskIds(100);
    for (let index = 0; index < 20_000; index++) sent.add(idOf(index));
    for (let index = 0; index < 20_000; index += 97) assert.ok(sent.mightHave(idOf(index)));
  });
});

describe('insertNew with a filter of sent ids (against the MongoDB wire-protocol server)', () => {
  const config = testConfig();
  let mongo: MongoHandle;
  let store: Store;

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

  it('gives the same outcomes as without it: repeats of earlier batches, of earlier uploads, within a batch', async () => {
    const job = await store.jobs.create({ name: 'sent-filter' });
    // An earlier upload, without a filter: this one's filter knows nothing of it.
    await store.tasks.insertNew({ job: job.id, source: TaskSource.Manual, rulesVersion: 1 }, [task('http://old.example/', 1)]);
    const sent = createSentTaskIds(1000);
    const context = { job: job.id, source: TaskSource.File, rulesVersion: 1, ingest: new ObjectId(), sent };
    const first = await store.tasks.insertNew(context, [task('http://a.example/', 1), task('http://b.example/', 2)]);
    assert.deepEqual(kinds(first), ['accepted', 'accepted']);
    const second = await store.tasks.insertNew(context, [
      task('http://c.example/', 3),
      task('http://a.example/', 4),
      task('http://old.example/', 5),
      task('http://c.example/', 6),
      task('http://d.example/', 7),
    ]);
    assert.deepEqual(kinds(second), ['accepted', 'duplicate', 'duplicate', 'duplicate', 'accepted']);
    const taskId = (outcome: TaskInsertOutcome | undefined) => (outcome?.kind === 'failed' ? undefined : outcome?.taskId.toHexString());
    assert.equal(taskId(second[1]), taskId(first[0]), 'a repeat of an earlier batch names the task it duplicates');
    assert.equal(taskId(second[2]), crawlerTaskId(job.id, uriHash('http://old.example/')).toHexString());
    assert.equal(taskId(second[3]), taskId(second[0]));
    assert.equal(await mongo.db.collection(Collection.CrawlerTask).countDocuments({ job: job.id }), 5);
    assert.equal(await mongo.db.collection(Collection.CrawlerTaskSource).countDocuments({ job: job.id, ingest: context.ingest }), 4);
  });

  it('stores a URI the filter wrongly thinks was sent (a false "maybe" is never a duplicate)', async () => {
    const job = await store.jobs.create({ name: 'sent-filter-false-maybe' });
    // A filter that says "maybe" to everything: the worst a Bloom filter can do.
    const alwaysMaybe: SentTaskIds = { mightHave: () => true, add: () => undefined, isKnownStored: () => false, markStored: () => undefined };
    const outcomes = await store.tasks.insertNew({ job: job.id, source: TaskSource.File, rulesVersion: 1, sent: alwaysMaybe }, [
      task('http://e.example/', 1),
      task('http://f.example/', 2),
      task('http://e.example/', 3),
    ]);
    assert.deepEqual(kinds(outcomes), ['accepted', 'accepted', 'duplicate']);
    assert.equal(await mongo.db.collection(Collection.CrawlerTask).countDocuments({ job: job.id }), 2);
  });
});
