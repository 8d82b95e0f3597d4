import type { Config } from '../infra/config/config';
import { createKafka, ensureTopics } from '../infra/kafka/kafka';
import type { Logger } from '../infra/logging/logger';
import { connectMongo } from '../infra/mongo/client';
import { ensureIndexes } from '../store/indexes';
import { closeTemporalClient, connectTemporalClient } from '../infra/temporal/connection';
import { ensureSearchAttributes } from '../infra/temporal/search-attributes';
import { ensureAlertDigestSchedule } from '../starters/alert-digest-schedule';
import { ensurePayloadPruneSchedule } from '../starters/payload-prune-schedule';

/**
 * Creates what crawlflow's processes expect to exist: its Kafka topics (auto-create is off),
 * its MongoDB indexes (de-duplication relies on the unique ones), its Temporal search
 * attributes and schedules.
 * Idempotent.
 */
export async function setupInfrastructure(config: Config, logger: Logger): Promise<void> {
  const admin = createKafka(config.kafka, logger, 'setup').admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, config.kafka);
    logger.info({ created }, created.length > 0 ? 'created Kafka topics' : 'Kafka topics present');
  } finally {
    await admin.disconnect();
  }
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-setup' });
  try {
    const indexes = await ensureIndexes(mongo.db);
    logger.info({ indexes }, 'MongoDB indexes present');
  } finally {
    await mongo.client.close();
  }
  const temporal = await connectTemporalClient(config.temporal);
  try {
    const added = await ensureSearchAttributes(temporal);
    logger.info({ added }, added.length > 0 ? 'created Temporal search attributes' : 'Temporal search attributes present');
    await ensureAlertDigestSchedule(temporal, config);
    logger.info({ everySeconds: config.alerts.digestIntervalSeconds }, 'alert digest schedule present');
    await ensurePayloadPruneSchedule(temporal, config);
    logger.info({ retentionDays: config.payloads.retentionDays }, 'payload prune schedule present');
  } finally {
    await closeTemporalClient(temporal);
  }
}
