import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { JobStatus, uriRulesFrom } from '../../../store/jobs';
import type { Store } from '../../../store/store';
import { setJobStatus, type ScheduleSync } from '../../../starters/generator-schedule-sync';
import type { TemporalLinks } from '../links';
import { jobParams, type ZodTypeProvider } from '../schemas';
import { jobView } from '../views';
import { findJob } from './lookups';

interface JobDeps {
  store: Store;
  links: TemporalLinks;
  schedules?: Pick<ScheduleSync, 'syncJob'>;
}

/** Blank optional text (the page sends its empty fields) counts as absent. */
const optionalText = z.string().nullable().optional();
const newJobBody = z.strictObject({
  name: z.string().trim().min(1),
  info: optionalText,
  customer: optionalText,
  uriRules: z
    .strictObject({ keepFragment: z.boolean().optional(), sortQuery: z.boolean().optional(), dropTrackingParams: z.boolean().optional(), stripSessionIds: z.boolean().optional() })
    .optional(),
});
const statusBody = z.strictObject({ status: z.enum(['on', 'off']) });

export function registerJobRoutes(app: FastifyInstance, { store, links, schedules }: JobDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get('/api/jobs', async () => {
    const jobs = await store.jobs.list();
    return { jobs: await Promise.all(jobs.map(async (job) => jobView(job, links, await store.tasks.countByStatus(job.id)))) };
  });

  api.post('/api/jobs', { schema: { body: newJobBody } }, async (request, reply) => {
    const { body } = request;
    const job = await store.jobs.create({
      name: body.name,
      info: body.info || '',
      customer: body.customer || null,
      uriRules: uriRulesFrom(body.uriRules ?? {}),
    });
    return reply.code(201).send({ job: jobView(job, links) });
  });

  api.post('/api/jobs/:job/status', { schema: { params: jobParams, body: statusBody } }, async (request) => {
    const job = await findJob(store, request.params.job);
    const status = request.body.status === 'on' ? JobStatus.On : JobStatus.Off;
    const warnings = await setJobStatus({ store, ...(schedules ? { schedules } : {}) }, job.id, status);
    return { job: jobView({ ...job, status }, links), warnings };
  });
}
