import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { ObjectId } from 'mongodb';
import type { Config } from '../infra/config/config';
import { CRAWLFLOW_NOTE_PREFIX, desiredGeneratorSchedule, generatorIdOfSchedule, generatorScheduleId, type DesiredSchedule } from '../domain/generators/schedule';
import type { Logger } from '../infra/logging/logger';
import type { Generator } from '../store/generators';
import type { Job } from '../store/jobs';
import type { Store } from '../store/store';

export interface GeneratorScheduleDeps {
  client: Client;
  config: Config;
  store: Pick<Store, 'generators' | 'jobs'>;
  logger: Logger;
}

/** What one sync did to one generator's schedule. */
export interface ScheduleSyncResult {
  generatorId: string;
  scheduleId: string;
  action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent' | 'failed';
  /** Paused now (by crawlflow or an operator). */
  paused: boolean;
  /** Set when an operator paused it and crawlflow left it paused although the generator is active. */
  pausedByOperator?: string;
  /** Why there is no schedule, or why the sync failed. */
  reason?: string;
}

/**
 * Makes one generator's Temporal Schedule match the generator: creates, updates, pauses,
 * unpauses or deletes it. Call it after every change to a generator (create, edit of cron,
 * priority, status, timeout or code, delete); `crawlflow generator sync` calls it for all.
 *
 * An operator's pause (a note not written by crawlflow, e.g. `temporal schedule toggle
 * --pause --reason …`) is respected: crawlflow never unpauses it. A schedule deleted by hand is
 * created again while its generator is active: stop a generator in crawlflow, not in Temporal.
 */
export async function syncGeneratorSchedule(deps: GeneratorScheduleDeps, generatorId: ObjectId): Promise<ScheduleSyncResult> {
  const generator = await deps.store.generators.get(generatorId);
  const job = generator ? await deps.store.jobs.get(generator.job) : null;
  return applyDesired(deps, generatorId.toHexString(), generator ? desiredGeneratorSchedule(deps.config, generator, job) : { kind: 'none', reason: 'the generator was deleted' });
}

/**
 * Repairs drift between crawlflow's generators and Temporal's schedules: every generator's
 * schedule is brought in line, and every schedule of this deployment whose generator is gone
 * is deleted.
 */
export async function syncAllGeneratorSchedules(deps: GeneratorScheduleDeps): Promise<ScheduleSyncResult[]> {
  const generators = await listAllGenerators(deps.store);
  const results: ScheduleSyncResult[] = [];
  const known = new Set<string>();
  // A job's generators share its lookup: one read per job, not per generator.
  const jobs = new Map<string, Promise<Job | null>>();
  for (const generator of generators) {
    known.add(generator.id.toHexString());
    const jobId = generator.job.toHexString();
    if (!jobs.has(jobId)) jobs.set(jobId, deps.store.jobs.get(generator.job));
    const job = await jobs.get(jobId)!;
    results.push(await applyDesired(deps, generator.id.toHexString(), desiredGeneratorSchedule(deps.config, generator, job)));
  }
  for (const scheduleId of await listGeneratorScheduleIds(deps.client, deps.config.temporal.prefix)) {
    const generatorId = generatorIdOfSchedule(deps.config.temporal.prefix, scheduleId)!;
    if (known.has(generatorId)) continue;
    results.push(await applyDesired(deps, generatorId, { kind: 'none', reason: 'no such generator' }));
  }
  return results;
}

/** Ids of this deployment's generator schedules, as Temporal lists them. */
export async function listGeneratorScheduleIds(client: Client, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const schedule of client.schedule.list()) {
    if (generatorIdOfSchedule(prefix, schedule.scheduleId) !== undefined) ids.push(schedule.scheduleId);
  }
  return ids;
}

/** A generator's schedule as Temporal has it now, or null when it has none. */
export async function describeGeneratorSchedule(client: Client, prefix: string, generatorId: string): Promise<ScheduleDescription | null> {
  try {
    return await client.schedule.getHandle(generatorScheduleId(prefix, generatorId)).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}

async function applyDesired(deps: GeneratorScheduleDeps, generatorId: string, desired: DesiredSchedule): Promise<ScheduleSyncResult> {
  const scheduleId = generatorScheduleId(deps.config.temporal.prefix, generatorId);
  const handle = deps.client.schedule.getHandle(scheduleId);
  const logger = deps.logger.child({ generatorId, scheduleId });
  try {
    const current = await describeGeneratorSchedule(deps.client, deps.config.temporal.prefix, generatorId);
    if (desired.kind === 'none') {
      if (!current) return { generatorId, scheduleId, action: 'absent', paused: false, reason: desired.reason };
      await handle.delete().catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
      logger.info({ reason: desired.reason }, 'deleted a generator schedule');
      return { generatorId, scheduleId, action: 'deleted', paused: false, reason: desired.reason };
    }
    if (!current) {
      try {
        await deps.client.schedule.create(desired.options);
        logger.info({ paused: desired.paused }, 'created a generator schedule');
        return { generatorId, scheduleId, action: 'created', paused: desired.paused };
      } catch (error) {
        // Another sync created it a moment ago: bring that one in line instead.
        if (!(error instanceof ScheduleAlreadyRunning)) throw error;
        return applyDesired(deps, generatorId, desired);
      }
    }
    const state = desiredState(current, desired);
    const changed =
      fingerprintOf(current) !== desired.fingerprint || current.state.paused !== state.paused || (current.state.note ?? '') !== state.note;
    if (changed) {
      await handle.update((previous) => ({
        ...previous,
        spec: desired.options.spec,
        action: desired.options.action,
        policies: desired.options.policies,
        state: { ...previous.state, paused: state.paused, note: state.note },
      }));
      logger.info({ paused: state.paused }, 'updated a generator schedule');
    }
    return {
      generatorId,
      scheduleId,
      action: changed ? 'updated' : 'unchanged',
      paused: state.paused,
      ...(state.byOperator ? { pausedByOperator: state.note } : {}),
    };
  } catch (error) {
    logger.error({ err: error }, 'could not sync a generator schedule');
    return { generatorId, scheduleId, action: 'failed', paused: false, reason: (error as Error).message };
  }
}

/**
 * The pause state and note a schedule should have: the generator's, except that an operator's
 * pause (a note crawlflow did not write) stays as it is — crawlflow never undoes it.
 */
function desiredState(
  current: ScheduleDescription,
  desired: Extract<DesiredSchedule, { kind: 'schedule' }>,
): { paused: boolean; note: string; byOperator: boolean } {
  const note = current.state.note ?? '';
  const operatorPaused = current.state.paused && note !== '' && !note.startsWith(CRAWLFLOW_NOTE_PREFIX);
  if (operatorPaused) return { paused: true, note, byOperator: true };
  return { paused: desired.paused, note: desired.options.state.note, byOperator: false };
}

function fingerprintOf(description: ScheduleDescription): string | undefined {
  if (description.action.type !== 'startWorkflow') return undefined;
  const memo = description.action.memo as { crawlflowFingerprint?: unknown } | undefined;
  return typeof memo?.crawlflowFingerprint === 'string' ? memo.crawlflowFingerprint : undefined;
}

/** Every generator, oldest first, paging past the repository's 1000-per-call limit. */
async function listAllGenerators(store: Pick<Store, 'generators'>): Promise<Generator[]> {
  // The repository lists newest first with a cap; a deployment has tens of generators, so one
  // page normally holds all. Should it ever not, the sync says so rather than missing some.
  const generators = await store.generators.list({ limit: 1000 });
  if (generators.length === 1000) throw new Error('more than 1000 generators: the schedule sync needs paging in GeneratorRepository.list');
  return generators;
}

/** Parses a generator id from the command line or an API. */
export function parseGeneratorId(value: string): ObjectId | undefined {
  return /^[0-9a-fA-F]{24}$/.test(value.trim()) ? new ObjectId(value.trim()) : undefined;
}
