import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../infra/config/config';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { createPayloadStore, MissingPayloadError, type PayloadStore } from '../../store/payload-store';
import { Collection } from '../../store/collections';
import { closeTemporalClient, connectTemporalClient, connectWorkerConnection } from '../../infra/temporal/connection';
import { installTemporalRuntime } from '../../infra/temporal/runtime';
import { ensurePayloadPruneSchedule, payloadPruneScheduleId } from '../../starters/payload-prune-schedule';
import { createIoWorker } from '../../workers/io-worker';
import { createWorkflowsWorker } from '../../workers/workflows-worker';
import type { RunnableWorker } from '../../workers/worker-context';
import type { PayloadPruneInput } from '../../workflows/payload-prune';
import { capturingLogger } from '../../support/capturing-logger';
import { requireStack, testConfig, testLogger, uniqueName } from '../../support/stack';

const DAY_MS = 24 * 3600 * 1000;

// Claim checks record when they were last stored or read; the payload-prune workflow (on the
// real io worker, against the real store) deletes those unused past the retention, in batches.
describe('payload retention', () => {
  let config: Config;
  let mongo: MongoHandle;
  let store: PayloadStore;
  let temporal: Client;
  let connection: NativeConnection;
  const workers: RunnableWorker[] = [];
  const running: Array<Promise<void>> = [];
  const { logger, lines } = capturingLogger('payload-retention-test');

  before(async () => {
    await requireStack();
    config = testConfig();
    await installTemporalRuntime(testLogger(config));
    mongo = await connectMongo(config.mongo);
    store = createPayloadStore(mongo.db);
    temporal = await connectTemporalClient(config.temporal);
    connection = await connectWorkerConnection(config.temporal);
    for (const create of [createWorkflowsWorker, createIoWorker]) {
      const worker = await create({ config, logger, connection });
      workers.push(worker);
      running.push(worker.run());
    }
  });

  after(async () => {
    for (const worker of workers) worker.shutdown();
    await Promise.allSettled(running);
    for (const worker of workers) await worker.close();
    await temporal?.schedule.getHandle(payloadPruneScheduleId(config.temporal.prefix)).delete().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await connection?.close();
    if (temporal) await closeTemporalClient(temporal);
  });

  it('deletes payloads neither stored nor read within PAYLOAD_RETENTION_DAYS, in bounded batches, and keeps the rest', async () => {
    const payloads = mongo.db.collection<{ _id: string; usedAt?: Date; createdAt: Date }>(Collection.Payload);
    const put = async (name: string) => {
      const stored = await store.put(`${name} ${'x'.repeat(40_000)}`); // over the inline limit: a claim check
      assert.ok('ref' in stored);
      return stored;
    };
    const longAgo = new Date(Date.now() - 60 * DAY_MS);
    const unused = await Promise.all([1, 2, 3, 4, 5].map((n) => put(`unused ${n}`)));
    for (const stored of unused) await payloads.updateOne({ _id: stored.ref }, { $set: { usedAt: longAgo, createdAt: longAgo } });
    // Stored before payloads had usedAt: its age is createdAt's.
    const legacyOld = await put('legacy old');
    await payloads.updateOne({ _id: legacyOld.ref }, { $set: { createdAt: longAgo }, $unset: { usedAt: '' } });
    const legacyNew = await put('legacy new');
    await payloads.updateOne({ _id: legacyNew.ref }, { $unset: { usedAt: '' } });
    const fresh = await put('fresh');
    // Stored long ago, read now (a replay fetching its claim check): in use again.
    const readAgain = await put('read again');
    await payloads.updateOne({ _id: readAgain.ref }, { $set: { usedAt: longAgo, createdAt: longAgo } });
    await store.get(readAgain);
    // Stored long ago and stored again now (the same page fetched again).
    const storedAgain = await put('stored again');
    await payloads.updateOne({ _id: storedAgain.ref }, { $set: { usedAt: longAgo, createdAt: longAgo } });
    await put('stored again');

    const input: PayloadPruneInput = { ioTaskQueue: config.temporal.taskQueues.io, retentionDays: config.payloads.retentionDays, batchSize: 2, maxBatches: 2 };
    const result = await temporal.workflow.execute('payloadPruneWorkflow', {
      taskQueue: config.temporal.taskQueues.workflows,
      workflowId: uniqueName('payload-prune'),
      args: [input],
      workflowExecutionTimeout: '5m',
    });
    assert.deepEqual(result, { deleted: 6, calls: 2, more: false }, '6 payloads in batches of 2, 2 batches a call');

    for (const gone of [...unused, legacyOld]) await assert.rejects(store.get(gone), MissingPayloadError);
    for (const kept of [legacyNew, fresh, readAgain, storedAgain]) assert.match(await store.get(kept), /x{40000}$/);
    const logged = lines.filter((line) => line.msg === 'payloads pruned');
    assert.deepEqual(
      logged.map((line) => [line.deleted, line.batches, line.more]),
      [
        [4, 2, true],
        [2, 2, false],
      ],
      'each call logs its counts',
    );
  });

  it('setup keeps a daily schedule with the configured retention', async () => {
    await ensurePayloadPruneSchedule(temporal, config);
    await ensurePayloadPruneSchedule(temporal, config); // idempotent: an update the second time
    const schedule = await temporal.schedule.getHandle(payloadPruneScheduleId(config.temporal.prefix)).describe();
    assert.equal(schedule.action.type, 'startWorkflow');
    assert.equal(schedule.action.type === 'startWorkflow' ? schedule.action.workflowType : undefined, 'payloadPruneWorkflow');
    const [args] = (schedule.action.type === 'startWorkflow' ? schedule.action.args : []) as [PayloadPruneInput];
    assert.equal(args.retentionDays, 45, 'longer than the namespace retention of 30 days by default');
    assert.equal(schedule.spec.intervals?.[0]?.every, 24 * 3600 * 1000);
  });
});
