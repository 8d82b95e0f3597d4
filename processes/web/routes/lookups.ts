import { message } from '../../../infra/i18n/i18n';
import { ObjectId } from 'mongodb';
import type { Store } from '../../../store/store';
import type { Job } from '../../../store/jobs';
import { HttpProblem } from '../errors';

/** A job by its name (disabled ones too: they can still be looked at). */
export async function findJob(store: Store, name: string): Promise<Job> {
  const job = await store.jobs.findByName(name);
  if (!job) throw new HttpProblem(404, 'unknown_job', message('errors.unknown_job', { job: name }));
  return job;
}

export function parseObjectId(value: string, what: string): ObjectId {
  if (!/^[0-9a-fA-F]{24}$/.test(value)) throw new HttpProblem(400, 'bad_id', message('errors.bad_id', { what, value }));
  return new ObjectId(value);
}

export function parseLimit(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new HttpProblem(400, 'bad_limit', message('errors.bad_limit', { value: String(value), max: String(max) }));
  return limit;
}
