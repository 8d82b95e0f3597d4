import type { ObjectId } from 'mongodb';
import { lazyClient } from '../infra/clients/lazy-client';
import type { Config } from '../infra/config/config';
import type { Logger } from '../infra/logging/logger';
import type { Generator } from '../store/generators';
import type { JobStatus } from '../store/jobs';
import type { Store } from '../store/store';
import { closeTemporalClient, connectTemporalClient } from '../infra/temporal/connection';
import { syncGeneratorSchedule, type ScheduleSyncResult } from './generator-schedules';

/**
 * Keeps generators' Temporal Schedules in step with what ingest and `crawlflow job` change:
 * a new generator gets its schedule, a disabled job's generators are paused. Connects to
 * Temporal on first use, so commands that never touch a generator never need it.
 */
export function createScheduleSync(deps: { config: Config; store: Store; logger: Logger }) {
  // A connect that failed (Temporal down when the first generator came in) is tried again next time.
  const client = lazyClient(() => connectTemporalClient(deps.config.temporal));
  const connect = () => client.get();

  async function sync(generatorId: ObjectId): Promise<ScheduleSyncResult> {
    const result = await syncGeneratorSchedule({ client: await connect(), config: deps.config, store: deps.store, logger: deps.logger }, generatorId);
    if (result.action === 'failed') throw new Error(result.reason ?? `the schedule of generator ${generatorId.toHexString()} could not be synced`);
    return result;
  }

  return {
    /** For `createIngestService({ onGeneratorCreated })`. */
    onGeneratorCreated: async (generator: Generator): Promise<void> => {
      await sync(generator.id);
    },

    /** Re-syncs every generator of a job (after its status changed); returns failures as text. */
    async syncJob(job: ObjectId): Promise<string[]> {
      const problems: string[] = [];
      for (const generator of await deps.store.generators.list({ job, limit: 1000 })) {
        try {
          await sync(generator.id);
        } catch (error) {
          problems.push(`${generator.name}: ${(error as Error).message}`);
        }
      }
      return problems;
    },

    /** Safe to call twice; a no-op when Temporal was never needed. */
    async close(): Promise<void> {
      const pending = client.reset();
      if (pending) await pending.then(closeTemporalClient).catch(() => undefined);
    },
  };
}

export type ScheduleSync = ReturnType<typeof createScheduleSync>;

/**
 * Takes a job offline or brings it back (`crawlflow job disable|enable`, the page's switch):
 * ingest refuses an offline job, and its generators' schedules follow — paused or resumed.
 * Returns the generators whose schedule could not be synced (the status is set regardless).
 */
export async function setJobStatus(
  deps: { store: Pick<Store, 'jobs'>; schedules?: Pick<ScheduleSync, 'syncJob'> },
  job: ObjectId,
  status: JobStatus,
): Promise<string[]> {
  await deps.store.jobs.setStatus(job, status);
  return deps.schedules ? deps.schedules.syncJob(job) : [];
}
