import { hostname } from 'node:os';
import type { Command } from 'commander';
import { createTaskFeedRepository } from '../../store/task-feed';
import { createKafka } from '../../infra/kafka/kafka';
import { createTaggedProducer } from '../../infra/kafka/tagged-producer';
import { createTaskFeeder } from '../../processes/task-feeder';
import { runProcessCommand } from '../process-command';

export function registerFeederCommand(program: Command): void {
  program
    .command('feeder')
    .description('send new crawler tasks to the input topic as link messages (type 3), until SIGINT/SIGTERM')
    .action(() =>
      runProcessCommand('feeder', async ({ config, logger, lifecycle, mongo, health }) => {
        const { db } = await mongo();
        // The same idempotent, acks=all producer the pipeline publishes with, bound to the input topic.
        const producer = createTaggedProducer(createKafka(config.kafka, logger, 'feeder'), config.kafka.inputTopic);
        lifecycle.onShutdown('kafka producer', () => producer.close());
        // Kafka's readiness is the producer's: the client the feeder sends with.
        const { checks } = await health({ db, clients: [producer.readiness()] });
        const feeder = createTaskFeeder({
          feed: createTaskFeedRepository(db),
          producer,
          owner: `${hostname()}:${process.pid}`,
          logger,
          dependencies: lifecycle.dependencies,
        });
        const running = feeder.run();
        lifecycle.onShutdown('feeder', () => {
          feeder.stop();
          return running.catch(() => undefined);
        });
        return { done: running, dependencies: checks };
      }),
    );
}
