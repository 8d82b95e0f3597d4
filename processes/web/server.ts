import { join } from 'node:path';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../../infra/config/config';
import type { IngestService } from '../../domain/ingest/service';
import type { Logger } from '../../infra/logging/logger';
import type { OverviewSource } from '../../domain/monitoring/overview';
import type { Store } from '../../store/store';
import type { ScheduleSync } from '../../starters/generator-schedule-sync';
import { requireToken } from './auth';
import { errorHandler } from './errors';
import { registerI18n, t } from './i18n';
import { createTemporalLinks } from './links';
import { registerFailureRoutes, type FailureRouteDeps } from './routes/failures';
import type { GeneratorConsole } from '../../starters/generator-console';
import { registerGeneratorRoutes } from './routes/generators';
import { registerJobRoutes } from './routes/jobs';
import { registerOverviewRoutes, registerVendorRoutes } from './routes/overview';
import { registerSubmitRoutes } from './routes/submit';
import { registerViewRoutes } from './routes/views';
import { validateBySchema } from './schemas';

export interface WebServerDeps {
  config: Config;
  store: Store;
  ingest: IngestService;
  logger: Logger;
  /** The access token every /api request must carry (`Authorization: Bearer …`). */
  token: string;
  schedules?: Pick<ScheduleSync, 'syncJob'>;
  /** Failed messages, dead letters and task stories (processes/web/routes/failures.ts); absent: those routes are not served. */
  failures?: Omit<FailureRouteDeps, 'store' | 'links'>;
  /** The monitoring panel's data (domain/monitoring/overview.ts); absent: /api/overview is not served. */
  overview?: OverviewSource;
  /** The generators console (edit, test, pause…); without it those routes are absent. */
  generators?: GeneratorConsole;
}

/**
 * The HTTP API and the page (processes/web/public, plain HTML + JS, no build step). Uploads are streamed
 * to private temp files with a size limit; every error is JSON naming the problem.
 */
export async function buildWebServer(deps: WebServerDeps): Promise<FastifyInstance> {
  const { config, logger } = deps;
  const links = createTemporalLinks(config.temporal);
  const app = Fastify({
    loggerInstance: logger.child({ component: 'web' }) as FastifyBaseLogger,
    bodyLimit: config.ingest.maxUploadBytes,
  });
  app.setErrorHandler(errorHandler(logger));
  app.setValidatorCompiler(validateBySchema);
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ error: 'not_found', message: t(request)('errors.not_found', { method: request.method, path: request.url.split('?')[0] ?? '' }) }),
  );
  registerI18n(app);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    return payload;
  });

  await app.register(fastifyMultipart, {
    // One byte over the limit, so the spooler sees the excess and refuses with its own message.
    limits: { fileSize: config.ingest.maxUploadBytes + 1, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25, headerPairs: 100 },
  });
  await app.register(fastifyStatic, { root: join(__dirname, 'public'), index: 'index.html' });

  registerVendorRoutes(app);
  app.get('/api/health', async () => ({ ok: true }));
  await app.register(async (api) => {
    // Before the body is read and checked: a request without the token learns nothing of the schemas.
    api.addHook('onRequest', requireToken(deps.token));
    api.get('/api/session', async () => ({
      temporalUiUrl: links.uiUrl,
      maxUploadBytes: config.ingest.maxUploadBytes,
      allowedSchemes: config.ingest.allowedSchemes,
      defaultTimeoutSeconds: config.generators.timeoutSeconds,
    }));
    registerJobRoutes(api, { store: deps.store, links, ...(deps.schedules ? { schedules: deps.schedules } : {}) });
    registerSubmitRoutes(api, { ingest: deps.ingest, logger, links, maxUploadBytes: config.ingest.maxUploadBytes });
    registerViewRoutes(api, { store: deps.store, links, allowedSchemes: config.ingest.allowedSchemes });
    if (deps.failures) registerFailureRoutes(api, { store: deps.store, links, ...deps.failures });
    if (deps.overview) registerOverviewRoutes(api, { overview: deps.overview });
    if (deps.generators) registerGeneratorRoutes(api, { console: deps.generators, store: deps.store, links });
  });
  return app;
}
