import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { alertDigestScheduleId } from '../domain/alerts/digest-trigger';
import { createKafka, crawlflowTopics } from '../infra/kafka/kafka';
import { connectMongo } from '../infra/mongo/client';
import { closeTemporalClient, connectTemporalClient } from '../infra/temporal/connection';
import { COLLECTION_INDEXES, ensureIndexes } from '../store/indexes';
import { payloadPruneScheduleId } from '../starters/payload-prune-schedule';
import { setupInfrastructure } from '../cli/setup';
import { requireStack, testConfig, testLogger } from '../support/stack';

// `crawlflow up` runs setup at every start: it must be safe to run again on a deployment that has everything.
describe('crawlflow setup', () => {
  before(() => requireStack());

  it('creates every index once and is a no-op the second time', async () => {
    const config = testConfig();
    const mongo = await connectMongo(config.mongo);
    try {
      for (const [collection, indexes] of Object.entries(COLLECTION_INDEXES)) {
        for (const index of indexes) assert.ok(index.name, `${collection}: every index is named, so setup can tell it exists`);
      }
      const expected = Object.entries(COLLECTION_INDEXES).flatMap(([collection, indexes]) => indexes.map((index) => `${collection}.${index.name}`));
      assert.deepEqual((await ensureIndexes(mongo.db)).sort(), expected.sort());
      assert.deepEqual(await ensureIndexes(mongo.db), []);
      // And the whole setup, twice (topics, indexes, the digest schedule).
      await setupInfrastructure(config, testLogger(config));
      await setupInfrastructure(config, testLogger(config));
    } finally {
      await mongo.db.dropDatabase();
      await mongo.client.close();
      const temporal = await connectTemporalClient(config.temporal);
      await temporal.schedule.getHandle(alertDigestScheduleId(config.temporal.prefix)).delete().catch(() => undefined);
      await temporal.schedule.getHandle(payloadPruneScheduleId(config.temporal.prefix)).delete().catch(() => undefined);
      await closeTemporalClient(temporal);
      const admin = createKafka(config.kafka).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: crawlflowTopics(config.kafka).map((topic) => topic.topic) }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
