import type { Command } from 'commander';
import { createKafka } from '../../domain/kafka/kafka';
import { serveProcessHealth } from '../../domain/metrics/process-health';
import { connectMongo } from '../../domain/mongo/client';
import { closeTemporalClient, connectTemporalClient } from '../../domain/temporal/connection';
import { createBridgeOnClients } from '../../starters/bridge';
import { loadCliContext } from '../context';

export function registerBridgeCommand(program: Command): void {
  program
    .command('bridge')
    .description('consume the input topic: one message workflow per record, bad records to the dead-letter topic')
    .action(async () => {
      const { config, logger } = loadCliContext('bridge');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-bridge' });
      const temporal = await connectTemporalClient(config.temporal);
      const health = await serveProcessHealth('bridge', config, logger, { temporal: temporal.connection, db: mongo.db, consumerLag: true });
      const bridge = createBridgeOnClients({ config, logger, kafka: createKafka(config.kafka, logger, 'bridge'), temporal, db: mongo.db });
      await bridge.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      logger.info('stopping the bridge');
      await bridge.stop();
      await closeTemporalClient(temporal);
      await mongo.client.close();
      await health.close();
      logger.info('bridge stopped');
    });
}
