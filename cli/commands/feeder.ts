import { hostname } from 'node:os';
import type { Command } from 'commander';
import { createTaskFeedRepository } from '../../domain/generators/task-feed';
import { createKafka } from '../../domain/kafka/kafka';
import { createTaggedProducer } from '../../domain/kafka/tagged-producer';
import { serveProcessHealth } from '../../domain/metrics/process-health';
import { connectMongo } from '../../domain/mongo/client';
import { createTaskFeeder } from '../../starters/task-feeder';
import { loadCliContext } from '../context';

export function registerFeederCommand(program: Command): void {
  program
    .command('feeder')
    .description('send new crawler tasks to the input topic as link messages (type 3), until SIGINT/SIGTERM')
    .action(async () => {
      const { config, logger } = loadCliContext('feeder');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-feeder' });
      const health = await serveProcessHealth('feeder', config, logger, { db: mongo.db, kafka: true });
      // The same idempotent, acks=all producer the pipeline publishes with, bound to the input topic.
      const producer = createTaggedProducer(createKafka(config.kafka, logger, 'feeder'), config.kafka.inputTopic);
      const feeder = createTaskFeeder({ feed: createTaskFeedRepository(mongo.db), producer, owner: `${hostname()}:${process.pid}`, logger });
      process.once('SIGINT', () => feeder.stop());
      process.once('SIGTERM', () => feeder.stop());
      try {
        await feeder.run();
      } finally {
        await producer.close().catch((error: unknown) => logger.warn({ err: error }, 'error while closing the Kafka producer'));
        await mongo.client.close();
        await health.close();
      }
    });
}
