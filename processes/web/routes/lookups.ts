import { message } from '../../../infra/i18n/i18n';
import type { Store } from '../../../store/store';
import type { Job } from '../../../store/jobs';
import { HttpProblem } from '../errors';

/** A job by its name (disabled ones too: they can still be looked at). */
export async function findJob(store: Store, name: string): Promise<Job> {
  const job = await store.jobs.findByName(name);
  if (!job) throw new HttpProblem(404, 'unknown_job', message('errors.unknown_job', { job: name }));
  return job;
}
