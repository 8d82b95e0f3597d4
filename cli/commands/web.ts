import type { Command } from 'commander';
import { lazyClient } from '../../infra/clients/lazy-client';
import { createIngestService } from '../../domain/ingest/service';
import { createKafka } from '../../infra/kafka/kafka';
import { createOverview } from '../../domain/monitoring/overview';
import { createFailedMessageRepository, type FailedMessageDocument } from '../../store/failed-messages';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { replayRecords } from '../../starters/replay';
import { createStore } from '../../store/store';
import { createGeneratorConsole } from '../../starters/generator-console';
import { createScheduleSync } from '../../starters/generator-schedule-sync';
import { resolveToken } from '../../processes/web/auth';
import { buildWebServer } from '../../processes/web/server';
import { runProcessCommand } from '../process-command';

export function registerWebCommand(program: Command): void {
  program
    .command('web')
    .description('serve the web page and HTTP API: submit URIs, files and generator scripts; see jobs, tasks, generators and logs')
    .action(() =>
      runProcessCommand('web', async ({ config, logger, lifecycle, mongo, health }) => {
        const { db } = await mongo();
        const { checks } = await health({ db });
        const store = createStore(db);
        const schedules = createScheduleSync({ config, store, logger });
        lifecycle.onShutdown('schedule sync', () => schedules.close());
        const ingest = createIngestService({ store, config, logger, onGeneratorCreated: schedules.onGeneratorCreated });
        const { token, generated } = resolveToken(config.web.token);
        // Replays need Temporal; connected on the first one, so the page serves while Temporal is down.
        const temporal = lazyClient(() => connectTemporalClient(config.temporal));
        lifecycle.onShutdown('temporal client', async () => {
          const client = await temporal.current()?.catch(() => undefined);
          if (client) await closeTemporalClient(client);
        });
        const failedMessages = createFailedMessageRepository(db);
        const failures = {
          failedMessages,
          replay: async (records: readonly FailedMessageDocument[]) => replayRecords({ client: await temporal.get(), config, failedMessages }, records),
        };
        const kafkaAdmin = lazyClient(async () => {
          const admin = createKafka(config.kafka, logger, 'web').admin();
          await admin.connect();
          return admin;
        });
        lifecycle.onShutdown('kafka admin', async () => {
          const admin = await kafkaAdmin.current()?.catch(() => undefined);
          if (admin) await admin.disconnect();
        });
        const overview = createOverview({ config, db, kafkaAdmin: () => kafkaAdmin.get(), temporal: () => temporal.get() });
        lifecycle.onShutdown('overview sampler', () => overview.stop());
        const generators = createGeneratorConsole({ temporal: () => temporal.get(), config, store, logger });
        const app = await buildWebServer({ config, store, ingest, logger, token, schedules, failures, overview, generators });
        // In-flight requests finish before the clients they use close.
        lifecycle.onShutdown('http server', () => app.close());
        await app.listen({ host: config.web.host, port: config.web.port }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EADDRINUSE') throw error;
          throw new Error(`WEB_PORT ${config.web.port} on ${config.web.host} is already in use: stop what listens there or set WEB_PORT`, { cause: error });
        });
        const address = `http://${config.web.host.includes(':') ? `[${config.web.host}]` : config.web.host}:${config.web.port}`;
        logger.info(
          generated ? { url: `${address}/#token=${token}` } : { url: address },
          generated ? 'crawlflow web is up; no WEB_TOKEN set, so this start has its own token (in the URL)' : 'crawlflow web is up',
        );
        void overview.start();
        return { dependencies: checks };
      }),
    );
}
