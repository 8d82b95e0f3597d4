import { message } from '../../../infra/i18n/i18n';
import type { FastifyInstance } from 'fastify';
import type { ObjectId } from 'mongodb';
import { z } from 'zod';
import { rebuildReceipt } from '../../../domain/ingest/receipt-lines';
import { CRAWLER_TASK_STATUS_NAMES, type CrawlerTaskStatus } from '../../../store/crawler-tasks';
import type { Store } from '../../../store/store';
import { HttpProblem } from '../errors';
import type { TemporalLinks } from '../links';
import { idParams, jobParams, objectId, pageLimit, refuse, type ZodTypeProvider } from '../schemas';
import { generatorView, ingestRunView, logEntryView, receiptLineView, runView, taskView } from '../views';
import { findJob } from './lookups';

interface ViewDeps {
  store: Store;
  links: TemporalLinks;
  /** Config `URI_ALLOWED_SCHEMES`: an old receipt's lines are checked against today's rules. */
  allowedSchemes: readonly string[];
}

/** A task status by code (`1`) or name (`in progress`, `in-progress`, `in_progress`); `all` or blank: every status. */
const taskStatus = z.string().transform((value, context): CrawlerTaskStatus | undefined => {
  if (value === '' || value === 'all') return undefined;
  const entry = Object.entries(CRAWLER_TASK_STATUS_NAMES).find(([code, name]) => code === value || name === value.replace(/[-_]/g, ' '));
  return entry ? (Number(entry[0]) as CrawlerTaskStatus) : refuse(context, 'errors.request.task_status', { value, choices: Object.values(CRAWLER_TASK_STATUS_NAMES).join(', ') });
});
/** The `next` of a task page: `<addedAt ISO>,<task id>`; blank: the first page. */
const taskCursor = z.string().transform((value, context): { addedAt: Date; id: ObjectId } | undefined => {
  if (value === '') return undefined;
  const [time, id] = value.split(',');
  const addedAt = new Date(time ?? '');
  const taskId = objectId.safeParse(id);
  if (Number.isNaN(addedAt.getTime()) || !taskId.success) return refuse(context, 'errors.request.cursor', { value });
  return { addedAt, id: taskId.data };
});
/** A line number to read after (0: from the start). */
const afterLine = z.coerce.number().int().min(0).default(0);

const tasksQuery = z.strictObject({ status: taskStatus.optional(), limit: pageLimit(50, 500), before: taskCursor.optional() });
const generatorQuery = z.strictObject({ limit: pageLimit(50, 500) });
const logsQuery = z.strictObject({ job: z.string().optional(), ingest: objectId.optional(), after: afterLine, limit: pageLimit(50, 1000) });
const ingestsQuery = z.strictObject({ job: z.string().optional(), limit: pageLimit(20, 500) });
const linesQuery = z.strictObject({ after: afterLine, limit: pageLimit(100, 500) });

/** Read-only views: tasks by status, generators and their runs, the error and failure logs, ingests. */
export function registerViewRoutes(app: FastifyInstance, { store, links, allowedSchemes }: ViewDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get('/api/jobs/:job/tasks', { schema: { params: jobParams, querystring: tasksQuery } }, async (request) => {
    const job = await findJob(store, request.params.job);
    const { status, before, limit } = request.query;
    const tasks = await store.tasks.list({
      job: job.id,
      ...(status !== undefined ? { status } : {}),
      ...(before ? { before } : {}),
      limit,
    });
    const last = tasks.at(-1);
    return {
      tasks: tasks.map((task) => taskView(task, links)),
      next: last ? `${last.addedAt.toISOString()},${last.id.toHexString()}` : null,
    };
  });

  api.get('/api/jobs/:job/generators', { schema: { params: jobParams } }, async (request) => {
    const job = await findJob(store, request.params.job);
    const generators = await store.generators.list({ job: job.id, limit: 200 });
    return {
      generators: await Promise.all(
        generators.map(async (generator) => ({
          ...generatorView(generator, links),
          runs: (await store.generatorLogs.list({ generator: generator.id, limit: 5 })).map((run) => runView(run, links)),
        })),
      ),
    };
  });

  api.get('/api/generators/:id', { schema: { params: idParams, querystring: generatorQuery } }, async (request) => {
    const { id } = request.params;
    const generator = await store.generators.get(id);
    if (!generator) throw new HttpProblem(404, 'unknown_generator', message('errors.unknown_generator', { id: id.toHexString() }));
    const runs = await store.generatorLogs.list({ generator: id, limit: request.query.limit });
    return { generator: generatorView(generator, links, { code: true }), runs: runs.map((run) => runView(run, links)) };
  });

  for (const kind of ['errors', 'failures'] as const) {
    api.get(`/api/logs/${kind}`, { schema: { querystring: logsQuery } }, async (request) => {
      const { ingest, after, limit } = request.query;
      const job = request.query.job ? (await findJob(store, request.query.job)).id : undefined;
      const query = { ...(job ? { job } : {}), ...(ingest ? { ingest, afterLine: after } : {}), limit };
      const entries = kind === 'errors' ? await store.logs.listErrors(query) : await store.logs.listFailures(query);
      return { entries: entries.map((entry) => logEntryView(entry, links, request.locale)) };
    });
  }

  api.get('/api/ingests', { schema: { querystring: ingestsQuery } }, async (request) => {
    const job = request.query.job ? (await findJob(store, request.query.job)).id : undefined;
    const runs = await store.ingestRuns.list({ ...(job ? { job } : {}), limit: request.query.limit });
    return { ingests: runs.map((run) => ingestRunView(run, links)) };
  });

  /** Every line of one ingest, in order, paged: the full receipt, rebuilt from what was stored. */
  api.get('/api/ingests/:id/lines', { schema: { params: idParams, querystring: linesQuery } }, async (request) => {
    const { id } = request.params;
    const { after, limit } = request.query;
    const run = await store.ingestRuns.get(id);
    if (!run) throw new HttpProblem(404, 'unknown_ingest', message('errors.unknown_ingest', { id: id.toHexString() }));
    const job = await store.jobs.get(run.job);
    const policy = { allowedSchemes, ...job?.uriRules };
    const receipt = await rebuildReceipt(store, run, { after, limit, policy });
    const lines = receipt.lines.map((line) => receiptLineView(line.outcome === 'accepted' ? { ...line, links: { run: links.task(line.taskId!) } } : line, request.locale));
    return { ingest: ingestRunView(run, links), lines, next: receipt.next, rules: receipt.rules };
  });
}
