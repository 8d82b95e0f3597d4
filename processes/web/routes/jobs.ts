import { message } from '../../../infra/i18n/i18n';
import type { FastifyInstance } from 'fastify';
import { JobStatus, uriRulesFrom } from '../../../store/jobs';
import type { Store } from '../../../store/store';
import { setJobStatus, type ScheduleSync } from '../../../starters/generator-schedule-sync';
import { HttpProblem } from '../errors';
import type { TemporalLinks } from '../links';
import { jobView } from '../views';
import { findJob } from './lookups';

interface JobDeps {
  store: Store;
  links: TemporalLinks;
  schedules?: Pick<ScheduleSync, 'syncJob'>;
}

interface NewJobBody {
  name?: unknown;
  info?: unknown;
  customer?: unknown;
  uriRules?: Record<string, unknown>;
}

export function registerJobRoutes(app: FastifyInstance, { store, links, schedules }: JobDeps): void {
  app.get('/api/jobs', async () => {
    const jobs = await store.jobs.list();
    return { jobs: await Promise.all(jobs.map(async (job) => jobView(job, links, await store.tasks.countByStatus(job.id)))) };
  });

  app.post<{ Body: NewJobBody }>('/api/jobs', async (request, reply) => {
    const body = request.body ?? {};
    if (typeof body.name !== 'string' || body.name.trim() === '') throw new HttpProblem(400, 'bad_request', message('errors.job_name_missing'));
    const text = (value: unknown, field: string) => {
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string') throw new HttpProblem(400, 'bad_request', message('errors.field_not_string', { field }));
      return value;
    };
    const job = await store.jobs.create({
      name: body.name,
      info: text(body.info, 'info') ?? '',
      customer: text(body.customer, 'customer') ?? null,
      uriRules: uriRulesFrom(body.uriRules ?? {}),
    });
    return reply.code(201).send({ job: jobView(job, links) });
  });

  app.post<{ Params: { job: string }; Body: { status?: unknown } }>('/api/jobs/:job/status', async (request) => {
    const job = await findJob(store, request.params.job);
    const wanted = request.body?.status;
    if (wanted !== 'on' && wanted !== 'off') throw new HttpProblem(400, 'bad_request', message('errors.job_status'));
    const status = wanted === 'on' ? JobStatus.On : JobStatus.Off;
    const warnings = await setJobStatus({ store, ...(schedules ? { schedules } : {}) }, job.id, status);
    return { job: jobView({ ...job, status }, links), warnings };
  });
}
