import { message } from '../../../infra/i18n/i18n';
import type { FastifyInstance } from 'fastify';
import type { ObjectId } from 'mongodb';
import { rebuildReceipt } from '../../../domain/ingest/receipt-lines';
import { CRAWLER_TASK_STATUS_NAMES, type CrawlerTaskStatus } from '../../../store/crawler-tasks';
import type { Store } from '../../../store/store';
import { HttpProblem } from '../errors';
import type { TemporalLinks } from '../links';
import { generatorView, ingestRunView, logEntryView, receiptLineView, runView, taskView } from '../views';
import { findJob, parseLimit, parseObjectId } from './lookups';

interface ViewDeps {
  store: Store;
  links: TemporalLinks;
  /** Config `URI_ALLOWED_SCHEMES`: an old receipt's lines are checked against today's rules. */
  allowedSchemes: readonly string[];
}

/** Read-only views: tasks by status, generators and their runs, the error and failure logs, ingests. */
export function registerViewRoutes(app: FastifyInstance, { store, links, allowedSchemes }: ViewDeps): void {
  app.get<{ Params: { job: string }; Querystring: { status?: string; limit?: string; before?: string } }>('/api/jobs/:job/tasks', async (request) => {
    const job = await findJob(store, request.params.job);
    const status = parseStatus(request.query.status);
    const before = parseCursor(request.query.before);
    const tasks = await store.tasks.list({
      job: job.id,
      ...(status !== undefined ? { status } : {}),
      ...(before ? { before } : {}),
      limit: parseLimit(request.query.limit, 50, 500),
    });
    const last = tasks.at(-1);
    return {
      tasks: tasks.map((task) => taskView(task, links)),
      next: last ? `${last.addedAt.toISOString()},${last.id.toHexString()}` : null,
    };
  });

  app.get<{ Params: { job: string } }>('/api/jobs/:job/generators', async (request) => {
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

  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/api/generators/:id', async (request) => {
    const id = parseObjectId(request.params.id, 'generator');
    const generator = await store.generators.get(id);
    if (!generator) throw new HttpProblem(404, 'unknown_generator', message('errors.unknown_generator', { id: request.params.id }));
    const runs = await store.generatorLogs.list({ generator: id, limit: parseLimit(request.query.limit, 50, 500) });
    return { generator: generatorView(generator, links, { code: true }), runs: runs.map((run) => runView(run, links)) };
  });

  for (const kind of ['errors', 'failures'] as const) {
    app.get<{ Querystring: { job?: string; ingest?: string; after?: string; limit?: string } }>(`/api/logs/${kind}`, async (request) => {
      const job = request.query.job ? (await findJob(store, request.query.job)).id : undefined;
      const ingest = request.query.ingest ? parseObjectId(request.query.ingest, 'ingest') : undefined;
      const query = {
        ...(job ? { job } : {}),
        ...(ingest ? { ingest, afterLine: Number(request.query.after ?? 0) || 0 } : {}),
        limit: parseLimit(request.query.limit, 50, 1000),
      };
      const entries = kind === 'errors' ? await store.logs.listErrors(query) : await store.logs.listFailures(query);
      return { entries: entries.map((entry) => logEntryView(entry, links, request.locale)) };
    });
  }

  app.get<{ Querystring: { job?: string; limit?: string } }>('/api/ingests', async (request) => {
    const job = request.query.job ? (await findJob(store, request.query.job)).id : undefined;
    const runs = await store.ingestRuns.list({ ...(job ? { job } : {}), limit: parseLimit(request.query.limit, 20, 500) });
    return { ingests: runs.map((run) => ingestRunView(run, links)) };
  });

  /** Every line of one ingest, in order, paged: the full receipt, rebuilt from what was stored. */
  app.get<{ Params: { id: string }; Querystring: { after?: string; limit?: string } }>('/api/ingests/:id/lines', async (request) => {
    const ingest = parseObjectId(request.params.id, 'ingest');
    const run = await store.ingestRuns.get(ingest);
    if (!run) throw new HttpProblem(404, 'unknown_ingest', message('errors.unknown_ingest', { id: request.params.id }));
    const after = Number(request.query.after ?? 0) || 0;
    const limit = parseLimit(request.query.limit, 100, 500);
    const job = await store.jobs.get(run.job);
    const policy = { allowedSchemes, ...job?.uriRules };
    const receipt = await rebuildReceipt(store, run, { after, limit, policy });
    const lines = receipt.lines.map((line) => receiptLineView(line.outcome === 'accepted' ? { ...line, links: { run: links.task(line.taskId!) } } : line, request.locale));
    return { ingest: ingestRunView(run, links), lines, next: receipt.next, rules: receipt.rules };
  });
}

function parseStatus(value: string | undefined): CrawlerTaskStatus | undefined {
  if (value === undefined || value === '' || value === 'all') return undefined;
  const entry = Object.entries(CRAWLER_TASK_STATUS_NAMES).find(([code, name]) => code === value || name === value.replace(/[-_]/g, ' '));
  if (!entry) {
    throw new HttpProblem(400, 'bad_status', message('errors.bad_task_status', { value, choices: Object.values(CRAWLER_TASK_STATUS_NAMES).join(', ') }));
  }
  return Number(entry[0]) as CrawlerTaskStatus;
}

function parseCursor(value: string | undefined): { addedAt: Date; id: ObjectId } | undefined {
  if (value === undefined || value === '') return undefined;
  const [time, id] = value.split(',');
  const addedAt = new Date(time ?? '');
  if (Number.isNaN(addedAt.getTime()) || id === undefined) throw new HttpProblem(400, 'bad_cursor', message('errors.bad_cursor', { value }));
  return { addedAt, id: parseObjectId(id, 'task') };
}
