import type { Command } from 'commander';
import type { Consumer } from 'kafkajs';
import { createKafka } from '../../infra/kafka/kafka';
import { createBridgeOnClients } from '../../processes/bridge';
import { openBridgeTemporal } from '../../processes/bridge-temporal';
import { runProcessCommand } from '../process-command';

export function registerBridgeCommand(program: Command): void {
  program
    .command('bridge')
    .description('consume the input topic: one message workflow per record, bad records to the dead-letter topic')
    .action(() =>
      runProcessCommand('bridge', async ({ config, logger, lifecycle, mongo, health }) => {
        const { db } = await mongo();
        // With eager start, a workflows worker of its own (docs/pipeline.md, "Eager start").
        const temporal = await openBridgeTemporal(config, logger);
        lifecycle.onShutdown('temporal', () => temporal.close());
        const { checks } = await health({ temporal: temporal.client.connection, db, consumerLag: true });
        const bridge = createBridgeOnClients(
          { config, logger, kafka: createKafka(config.kafka, logger, 'bridge'), temporal: temporal.client, db },
          // The lifecycle's dependency state: an outage both the bridge and the readiness watch notice is one warning.
          { eagerStart: temporal.eagerStart, dependencyState: lifecycle.dependencies },
        );
        // Registered before start, so a start that fails half-way still disconnects what it connected.
        lifecycle.onShutdown('bridge', () => bridge.stop());
        const done = Promise.race([consumerStoppedForGood(bridge.consumer), temporal.failed]);
        await bridge.start();
        return { done, dependencies: checks };
      }),
    );
}

/**
 * Rejects when kafkajs gives the consumer up (a crash it will not restart after): the bridge
 * would otherwise stay alive consuming nothing. Crashes kafkajs restarts from are its business.
 */
function consumerStoppedForGood(consumer: Consumer): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) reject(payload.error);
    });
  });
}
