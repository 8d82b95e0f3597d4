import type { Command } from 'commander';
import { createIngestService } from '../../domain/ingest/service';
import { createStore } from '../../domain/store/store';
import { createScheduleSync } from '../../starters/ingest';
import { resolveToken } from '../../web/auth';
import { buildWebServer } from '../../web/server';
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
        const app = await buildWebServer({ config, store, ingest, logger, token, schedules });
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
        return { dependencies: checks };
      }),
    );
}
