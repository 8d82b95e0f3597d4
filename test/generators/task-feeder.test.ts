import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { ObjectId } from 'mongodb';
import { messageWorkflowId, summarize } from '../../common/messages';
import { createTaskFeedRepository, type TaskFeedRepository } from '../../store/task-feed';
import { createKafka, ensureTopics } from '../../infra/kafka/kafka';
import { createTaggedProducer, type TaggedProducer } from '../../infra/kafka/tagged-producer';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { Collection } from '../../store/collections';
import { CrawlerTaskStatus, TaskSource } from '../../store/crawler-tasks';
import type { Job } from '../../store/jobs';
import { createStore, type Store } from '../../store/store';
import { uriHash } from '../../domain/uris/hash';
import { createTaskFeeder, type TaskFeederOptions } from '../../processes/task-feeder';
import { eventually } from '../../support/eventually';
import { requireStack, testConfig, testLogger, uniqueName } from '../../support/stack';

interface Received {
  key: string;
  value: Record<string, unknown>;
}

describe('crawler tasks → the pipeline input topic (real Kafka and MongoDB-compatible store)', () => {
  const config = testConfig();
  const logger = testLogger(config);
  let mongo: MongoHandle;
  let store: Store;
  let feed: TaskFeedRepository;
  let kafka: Kafka;
  let admin: Admin;
  let producer: TaggedProducer;
  let consumer: Consumer;
  let fenceProducer: Producer;
  const received: Received[] = [];

  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
    store = createStore(mongo.db);
    feed = createTaskFeedRepository(mongo.db);
    kafka = createKafka(config.kafka);
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, config.kafka);
    producer = createTaggedProducer(kafka, config.kafka.inputTopic);
    fenceProducer = kafka.producer();
    await fenceProducer.connect();
    consumer = kafka.consumer({ groupId: uniqueName('feeder-test') });
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.inputTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: String(message.key), value: JSON.parse(String(message.value)) as Record<string, unknown> });
      },
    });
  });
  after(async () => {
    await consumer?.disconnect();
    await producer?.close();
    await fenceProducer?.disconnect();
    await admin?.deleteTopics({ topics: [config.kafka.inputTopic, config.kafka.outputTopic, config.kafka.deadLetterTopic] }).catch(() => undefined);
    await admin?.disconnect();
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
  });

  async function addTasks(job: Job, count: number, source: TaskSource = TaskSource.File): Promise<ObjectId[]> {
    const uris = Array.from({ length: count }, () => `https://example.com/${uniqueName('page')}`);
    const outcomes = await store.tasks.insertNew(
      { job: job.id, source, rulesVersion: 1 },
      uris.map((uri, index) => ({ uri, uriHash: uriHash(uri), original: uri, line: index + 1 })),
    );
    return outcomes.map((outcome) => {
      assert.equal(outcome.kind, 'accepted');
      return (outcome as { taskId: ObjectId }).taskId;
    });
  }

  const feeder = (owner: string, options: TaskFeederOptions = {}, overrides: Partial<{ feed: TaskFeedRepository; producer: TaggedProducer }> = {}) =>
    createTaskFeeder({ feed: overrides.feed ?? feed, producer: overrides.producer ?? producer, owner, logger, options: { pageSize: 50, ...options } });

  /**
   * Waits until Kafka delivered `count` records with these keys, then until a fence record
   * sent to every partition came back: whatever was sent before it (an extra copy the test
   * must see) has been delivered too, since a partition is consumed in order.
   */
  async function receivedFor(ids: ObjectId[], count = ids.length): Promise<Received[]> {
    const keys = new Set(ids.map((id) => id.toHexString()));
    const mine = () => received.filter((record) => keys.has(record.key));
    await eventually(`${count} records with these keys`, () => mine().length >= count);
    const fence = uniqueName('fence');
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [config.kafka.inputTopic] })).topics;
    const partitions = metadata?.partitions.map((partition) => partition.partitionId) ?? [];
    await fenceProducer.send({ topic: config.kafka.inputTopic, messages: partitions.map((partition) => ({ partition, key: fence, value: '{}' })) });
    await eventually('the fence back from every partition', () => received.filter((record) => record.key === fence).length >= partitions.length);
    return mine();
  }

  it('sends every new task once as a type-3 link message, from ingest and generators alike, in pages', async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-job') });
    const ids = [...(await addTasks(job, 120)), ...(await addTasks(job, 3, TaskSource.Generator))];
    const first = await feeder('feeder-a').runPass();
    assert.equal(first.sent, ids.length);
    assert.equal((await feeder('feeder-a').runPass()).sent, 0, 'a second pass sends nothing again');

    const records = await receivedFor(ids);
    assert.equal(records.length, ids.length);
    const task = await store.tasks.get(ids[0]!);
    const record = records.find((candidate) => candidate.key === ids[0]!.toHexString());
    assert.deepEqual(record?.value, { id: task!.id.toHexString(), type: 3, url: task!.uri, job: job.id.toHexString(), taskId: task!.id.toHexString(), source: 'crawler_task' });
    assert.equal((await feed.get(ids[0]!))?.state, 'sent');
  });

  it('reads the queue, which then holds only what is not sent yet', async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-queue') });
    const ids = await addTasks(job, 30);
    const queue = mongo.db.collection(Collection.CrawlerTaskQueue);
    assert.equal(await queue.countDocuments({ task: { $in: ids } }), 30);
    assert.equal((await feeder('feeder-q').runPass()).sent, 30);
    assert.equal(await queue.countDocuments({ task: { $in: ids } }), 0);
  });

  it('sweeps crawler_task for new tasks without a queue entry (written by the seed\'s tools)', async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-sweep') });
    const foreign = new ObjectId();
    const uri = `https://example.com/${uniqueName('seed-tool')}`;
    await mongo.db.collection(Collection.CrawlerTask).insertOne({
      _id: foreign, job: job.id, task_generator: null, uri, cookie: null, args: null, status: CrawlerTaskStatus.New, store: null, add_datetime: new Date(),
    });
    // Sweeping 1,000 tasks a pass, it reaches the end of this database's tasks within a few passes.
    const sweeper = feeder('feeder-s', { sweepSize: 1000 });
    let sent = 0;
    for (let pass = 0; pass < 5 && sent === 0; pass++) sent += (await sweeper.runPass()).sent;
    assert.equal(sent, 1);
    assert.deepEqual((await receivedFor([foreign])).map((record) => record.value.url), [uri]);
  });

  it('runs until stopped, sending tasks added while it runs', async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-live') });
    const running = feeder('feeder-live', { idleMs: 50 });
    const done = running.run();
    const ids = await addTasks(job, 10);
    const later = await addTasks(job, 10);
    assert.equal((await receivedFor([...ids, ...later])).length, 20);
    running.stop();
    await done;
  });

  it("leaves a disabled job's tasks waiting", async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-off') });
    const ids = await addTasks(job, 2);
    await store.jobs.setStatus(job.id, 2);
    await feeder('feeder-b').runPass();
    assert.equal(await feed.get(ids[0]!), null);
    await store.jobs.setStatus(job.id, 1);
    await feeder('feeder-b').runPass();
    assert.equal((await receivedFor(ids)).length, 2);
  });

  it('two feeders at once send each task exactly once', async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-race') });
    const ids = await addTasks(job, 200);
    const [a, b] = await Promise.all([feeder('feeder-c').runPass(), feeder('feeder-d').runPass()]);
    assert.equal(a.sent + b.sent, 200);
    const records = await receivedFor(ids);
    assert.equal(new Set(records.map((record) => record.key)).size, 200);
    assert.equal(records.length, 200);
  });

  it('a feeder that died after claiming: its stale claims are taken over, fresh claims and started tasks are not', async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-dead') });
    const [stale, fresh, started] = await addTasks(job, 3);
    const markers = mongo.db.collection(Collection.CrawlerTaskFeed);
    const claim = (id: ObjectId, at: Date) => ({ _id: id, job: job.id, state: 'claimed', owner: 'dead-feeder', claimed_at: at, sent_at: null });
    await markers.insertMany([claim(stale!, new Date(Date.now() - 120_000)), claim(fresh!, new Date()), claim(started!, new Date(Date.now() - 120_000))]);
    // The pipeline already took this one (the dead feeder had sent it): it is no longer new.
    await store.tasks.setStatus(started!, CrawlerTaskStatus.InProgress);

    const pass = await feeder('feeder-e').runPass();
    assert.equal(pass.sent, 1);
    assert.deepEqual((await receivedFor([stale!, fresh!, started!], 1)).map((record) => record.key), [stale!.toHexString()]);
    assert.equal((await feed.get(stale!))?.owner, 'feeder-e');
    assert.equal((await feed.get(fresh!))?.owner, 'dead-feeder');
    // As if the live feeder that claimed it had sent it: later tests start clean.
    await store.tasks.setStatus(fresh!, CrawlerTaskStatus.InProgress);
  });

  it('a failed send loses nothing: the claims are released and the next pass sends them', async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-kafka-down') });
    const ids = await addTasks(job, 5);
    const down = { send: async () => Promise.reject(new Error('broker unreachable')), close: async () => undefined } as unknown as TaggedProducer;
    await assert.rejects(feeder('feeder-f', {}, { producer: down }).runPass(), /broker unreachable/);
    assert.equal(await feed.get(ids[0]!), null);
    assert.equal((await feeder('feeder-f').runPass()).sent, 5);
    assert.equal((await receivedFor(ids)).length, 5);
  });

  it('dying between the send and its marker sends a task twice at most, under one message id — one workflow', async () => {
    const job = await store.jobs.create({ name: uniqueName('feed-crash') });
    const ids = await addTasks(job, 4);
    const crashing: TaskFeedRepository = { ...feed, markSent: async () => Promise.reject(new Error('killed')) };
    await assert.rejects(feeder('feeder-g', {}, { feed: crashing }).runPass(), /killed/);
    // A restarted feeder treats the claims as stale and sends the still-new tasks again.
    assert.equal((await feeder('feeder-h', { staleClaimMs: 0 }).runPass()).sent, 4);
    const records = await receivedFor(ids, 8);
    assert.equal(records.length, 8);
    const workflowIds = new Map<string, Set<string>>();
    for (const record of records) {
      const id = messageWorkflowId(summarize(record.value, 'kafka'), { kind: 'kafka', topic: config.kafka.inputTopic, partition: 0, offset: String(Math.random()) });
      workflowIds.set(record.key, (workflowIds.get(record.key) ?? new Set()).add(id));
    }
    assert.ok([...workflowIds.values()].every((set) => set.size === 1), 'both copies of a task map to one workflow id');
  });
});
