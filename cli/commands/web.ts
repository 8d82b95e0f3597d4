import type { Command } from 'commander';
import { createIngestService } from '../../domain/ingest/service';
import { serveProcessHealth } from '../../domain/metrics/process-health';
import { connectMongo } from '../../domain/mongo/client';
import { createStore } from '../../domain/store/store';
import { createScheduleSync } from '../../starters/ingest';
import { resolveToken } from '../../web/auth';
import { buildWebServer } from '../../web/server';
import { loadCliContext } from '../context';

export function registerWebCommand(program: Command): void {
  program
    .command('web')
    .description('serve the web page and HTTP API: submit URIs, files and generator scripts; see jobs, tasks, generators and logs')
    .action(async () => {
      const { config, logger } = loadCliContext('web');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-web' });
      const health = await serveProcessHealth('web', config, logger, { db: mongo.db });
      const store = createStore(mongo.db);
      const schedules = createScheduleSync({ config, store, logger });
      const ingest = createIngestService({ store, config, logger, onGeneratorCreated: schedules.onGeneratorCreated });
      const { token, generated } = resolveToken(config.web.token);
      const app = await buildWebServer({ config, store, ingest, logger, token, schedules });
      await app.listen({ host: config.web.host, port: config.web.port });
      const address = `http://${config.web.host.includes(':') ? `[${config.web.host}]` : config.web.host}:${config.web.port}`;
      logger.info(
        generated ? { url: `${address}/#token=${token}` } : { url: address },
        generated ? 'crawlflow web is up; no WEB_TOKEN set, so this start has its own token (in the URL)' : 'crawlflow web is up',
      );

      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          logger.info({ signal }, 'stopping crawlflow web');
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      // Close in order, each step on its own: in-flight requests finish, then the clients go.
      await app.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the HTTP server failed'));
      await schedules.close();
      await mongo.client.close().catch((error: unknown) => logger.warn({ err: error }, 'closing MongoDB failed'));
      await health.close();
    });
}
