import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GENERATOR_STATUS_NAMES, GeneratorStatus, MAX_GENERATOR_CODE_BYTES, type Generator } from '../../../store/generators';
import type { GeneratorRun } from '../../../store/generator-logs';
import type { Store } from '../../../store/store';
import { checkStatusChange } from '../../../domain/generators/status-rules';
import type { GeneratorConsole, GeneratorScheduleState } from '../../../starters/generator-console';
import { HttpProblem } from '../errors';
import type { TemporalLinks } from '../links';
import { generatorView, runView } from '../views';
import { idParams, objectId, pageLimit, type ZodTypeProvider } from '../schemas';
import { findJob } from './lookups';

interface GeneratorRouteDeps {
  console: GeneratorConsole;
  store: Store;
  links: TemporalLinks;
}

const editBody = z
  .object({
    cron: z.string().max(128).nullable().optional(),
    priority: z.enum(['very high', 'high', 'medium', 'low']).optional(),
    status: z.union([z.enum(['alpha', 'beta', 'production', 'on', 'off', 'test failed']), z.number().int().min(1).max(6)]).optional(),
    timeoutSeconds: z.number().int().min(1).max(86_400).optional(),
    networkAllowed: z.boolean().optional(),
    name: z.string().min(1).max(128).optional(),
  })
  .strict();
const codeBody = z
  .object({
    code: z.string().min(1).max(MAX_GENERATOR_CODE_BYTES),
    filename: z.string().max(255).nullable().optional(),
    language: z.enum(['python', 'shell']).optional(),
  })
  .strict();
const pauseBody = z.object({ reason: z.string().max(500).optional() }).strict();
const emptyBody = z.object({}).strict();
const listQuery = z.object({ job: z.string().min(1).optional(), limit: pageLimit(200, 500) }).strict();
const runsQuery = z
  .object({
    failed: z.enum(['true', 'false', '1', '0']).optional(),
    /** The `next` of the previous page. */
    before: objectId.optional(),
    limit: pageLimit(20, 500),
  })
  .strict();

/**
 * The generators console: every action on one generator (edit, code, delete, pause, resume,
 * run now, test) and its runs, paged on the server. Each edit makes the Temporal Schedule follow.
 */
export function registerGeneratorRoutes(app: FastifyInstance, { console: generators, store, links }: GeneratorRouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const view = (generator: Generator, schedule: GeneratorScheduleState) => consoleGeneratorView(generator, schedule, links);

  api.get('/api/generators', { schema: { querystring: listQuery } }, async (request) => {
    const { query } = request;
    const job = query.job ? await findJob(store, query.job) : undefined;
    const list = await store.generators.list({ ...(job ? { job: job.id } : {}), limit: query.limit });
    const lastRuns = await Promise.all(list.map((generator) => store.generatorLogs.page({ generator: generator.id, limit: 1 })));
    return {
      generators: await Promise.all(
        list.map(async (generator, index) => ({
          ...view(generator, await generators.scheduleOf(generator)),
          lastRun: lastRuns[index]![0] ? consoleRunView(lastRuns[index]![0]!, links) : null,
        })),
      ),
    };
  });

  api.get('/api/generators/:id/schedule', { schema: { params: idParams } }, async (request) => {
    const { generator, schedule } = await generators.get(request.params.id);
    return { generator: view(generator, schedule) };
  });

  api.patch('/api/generators/:id', { schema: { params: idParams, body: editBody } }, async (request) => {
    const result = await generators.edit(request.params.id, request.body);
    return { generator: view(result.generator, result.schedule), warning: result.warning ?? null };
  });

  api.put('/api/generators/:id/code', { schema: { params: idParams, body: codeBody } }, async (request) => {
    const result = await generators.replaceCode(request.params.id, request.body);
    return { generator: view(result.generator, result.schedule), revision: result.revision, warning: result.warning ?? null };
  });

  api.get('/api/generators/:id/revisions', { schema: { params: idParams } }, async (request) => {
    const generator = await generators.find(request.params.id);
    const revisions = await store.generatorRevisions.list(generator.id);
    return {
      current: generator.revision,
      revisions: revisions.map((revision) => ({ ...revision, generator: revision.generator.toHexString(), addedAt: revision.addedAt.toISOString() })),
    };
  });

  api.delete('/api/generators/:id', { schema: { params: idParams } }, async (request) => {
    const result = await generators.remove(request.params.id);
    return { deleted: true, generatorId: result.generatorId, warning: result.warning ?? null };
  });

  api.post('/api/generators/:id/pause', { schema: { params: idParams, body: pauseBody } }, async (request) => {
    const result = await generators.pause(request.params.id, request.body.reason);
    return { generator: view(result.generator, result.schedule), warning: result.warning ?? null };
  });

  api.post('/api/generators/:id/resume', { schema: { params: idParams, body: emptyBody } }, async (request) => {
    const result = await generators.resume(request.params.id);
    return { generator: view(result.generator, result.schedule), warning: result.warning ?? null };
  });

  api.post('/api/generators/:id/run', { schema: { params: idParams, body: emptyBody } }, async (request, reply) => {
    const started = await generators.runNow(request.params.id);
    if (!started.ok) throw new HttpProblem(started.kind === 'unknown_generator' ? 404 : 502, started.kind, started.message);
    return reply.code(202).send({ ...started, links: { run: links.run(started.workflowId, started.runId) } });
  });

  api.post('/api/generators/:id/test', { schema: { params: idParams, body: emptyBody } }, async (request) => {
    const result = await generators.test(request.params.id);
    return {
      generator: view(result.generator, result.schedule),
      report: result.report,
      workflowId: result.workflowId,
      links: { run: links.run(result.workflowId, result.runId) },
      warning: result.warning ?? null,
    };
  });

  api.get('/api/generators/:id/runs', { schema: { params: idParams, querystring: runsQuery } }, async (request) => {
    const { query } = request;
    const page = await generators.runs(request.params.id, {
      failedOnly: query.failed === 'true' || query.failed === '1',
      ...(query.before ? { before: query.before } : {}),
      limit: query.limit,
    });
    return { runs: page.runs.map((run) => consoleRunView(run, links)), next: page.next };
  });
}

/** A generator as the console shows it: its settings, code revision, last test, schedule state and what it may be promoted to. */
export function consoleGeneratorView(generator: Generator, schedule: GeneratorScheduleState, links: TemporalLinks) {
  const promotions = [GeneratorStatus.Beta, GeneratorStatus.Production].filter(
    (status) => status !== generator.status && checkStatusChange(generator, status).ok,
  );
  return {
    ...generatorView(generator, links),
    revision: generator.revision,
    lastTest: generator.lastTest
      ? {
          passed: generator.lastTest.passed,
          revision: generator.lastTest.revision,
          reason: generator.lastTest.reason,
          testedAt: generator.lastTest.testedAt.toISOString(),
          links: { run: generator.lastTest.workflowId ? links.run(generator.lastTest.workflowId) : null },
        }
      : null,
    promotableTo: promotions.map((status) => GENERATOR_STATUS_NAMES[status]),
    schedule: { ...schedule, nextRunAt: schedule.nextRunAt?.toISOString() ?? null },
  };
}

/** A run as the console lists it: trigger, revision, duration, URIs, stderr tail, failure reason, link. */
export function consoleRunView(run: GeneratorRun, links: TemporalLinks) {
  const extra = run.extra;
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    ...runView(run, links),
    trigger: typeof extra.trigger === 'string' ? extra.trigger : null,
    revision: number(extra.revision) ?? 1,
    printed: run.urisNew + run.urisDuplicate + run.urisInvalid + (number(extra.urisFailed) ?? 0),
    urisFailed: number(extra.urisFailed) ?? 0,
    stderrTail: typeof extra.stderr === 'string' ? extra.stderr.slice(-2000) : '',
    stderrBytes: number(extra.stderrBytes) ?? 0,
    outcome: typeof extra.outcome === 'string' ? extra.outcome : null,
    attempt: number(extra.attempt),
  };
}
