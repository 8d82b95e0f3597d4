import { createHash } from 'node:crypto';
import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import { SearchAttributeKeys } from '../../common/search-attributes';
import type { Config } from '../../infra/config/config';
import { GeneratorStatus, type Generator } from '../../store/generators';
import { JobStatus, type Job } from '../../store/jobs';
import type { GeneratorRunInput } from '../../workflows/generator-run';
import { checkGeneratorCron } from './cron';
import { priorityKeyOf } from './priority';

/** Every note crawlflow writes on a schedule starts with this; any other note is an operator's. */
export const CRAWLFLOW_NOTE_PREFIX = 'crawlflow:';

/**
 * How long after a missed tick (server down, schedule paused…) the run still happens; older
 * ticks are dropped. With the overlap policy below at most one run results.
 */
export const GENERATOR_CATCHUP_WINDOW = '10m';

/** Generator statuses whose schedules are paused (the others run on their cron). */
const PAUSED_STATUSES: ReadonlySet<number> = new Set([GeneratorStatus.Off, GeneratorStatus.TestFailed]);

/** `<TASK_QUEUE_PREFIX>-generator-<id>`: one schedule per generator and deployment. */
export function generatorScheduleId(prefix: string, generatorId: string): string {
  return `${prefix}-generator-${generatorId}`;
}

/** The generator id of one of this deployment's generator schedules, or undefined. */
export function generatorIdOfSchedule(prefix: string, scheduleId: string): string | undefined {
  const match = /^(.*)-generator-([0-9a-f]{24})$/.exec(scheduleId);
  return match && match[1] === prefix ? match[2] : undefined;
}

/** The workflow input of a generator's runs. */
export function generatorRunInput(config: Config, generator: Generator, trigger: string): GeneratorRunInput {
  return {
    generatorId: generator.id.toHexString(),
    trigger,
    taskQueues: { sandbox: config.temporal.taskQueues.sandbox, io: config.temporal.taskQueues.io },
    timeoutSeconds: generator.timeoutSeconds,
  };
}

/** Search attributes a run starts with, so the Web UI can filter by generator and job from the start. */
export function generatorRunSearchAttributes(generator: Generator) {
  return [
    { key: SearchAttributeKeys.source, value: 'generator' },
    { key: SearchAttributeKeys.generator, value: generator.id.toHexString() },
    { key: SearchAttributeKeys.job, value: generator.job.toHexString() },
  ];
}

/** What a generator's schedule should be, or why it should have none. */
export type DesiredSchedule =
  | { kind: 'schedule'; options: ScheduleOptions & { state: { paused: boolean; note: string } }; fingerprint: string; paused: boolean }
  | { kind: 'none'; reason: string };

/**
 * The schedule a generator should have: none without a cron (it runs only by hand) or with a
 * cron Temporal cannot read; otherwise one that starts a generator-run workflow per tick with
 * the generator's priority key, skipping a tick while a run is still going, and paused while
 * the generator is off, failed its test, or its job is disabled.
 */
export function desiredGeneratorSchedule(config: Config, generator: Generator, job: Job | null): DesiredSchedule {
  if (generator.cron === null || generator.cron.trim() === '') return { kind: 'none', reason: 'no cron: runs only by hand' };
  const cron = checkGeneratorCron(generator.cron);
  if (!cron.ok) return { kind: 'none', reason: `cron not usable: ${cron.reason}` };
  const id = generator.id.toHexString();
  const prefix = config.temporal.prefix;
  const pausedBecause = PAUSED_STATUSES.has(generator.status)
    ? `generator status is ${generator.status === GeneratorStatus.Off ? 'off' : 'test failed'}`
    : !job
      ? 'its job does not exist'
      : job.status !== JobStatus.On
        ? `job "${job.name}" is disabled`
        : undefined;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'generatorRunWorkflow',
    // The schedule appends the tick's time: one workflow id per run.
    workflowId: generatorScheduleId(prefix, id),
    taskQueue: config.temporal.taskQueues.workflows,
    args: [generatorRunInput(config, generator, 'schedule')],
    priority: { priorityKey: priorityKeyOf(generator.priority) },
    typedSearchAttributes: generatorRunSearchAttributes(generator),
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: GENERATOR_CATCHUP_WINDOW };
  const spec = { cronExpressions: [cron.cron] };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ spec, args: action.args, priority: action.priority, taskQueue: action.taskQueue, policies }))
    .digest('hex')
    .slice(0, 16);
  const description = `generator "${generator.name}" (${id}) of job ${job ? `"${job.name}"` : generator.job.toHexString()}: cron "${cron.cron}" UTC, priority ${generator.priority}`;
  const note = pausedBecause ? `${CRAWLFLOW_NOTE_PREFIX} paused because ${pausedBecause} — ${description}` : `${CRAWLFLOW_NOTE_PREFIX} ${description}`;
  return {
    kind: 'schedule',
    paused: pausedBecause !== undefined,
    fingerprint,
    options: {
      scheduleId: generatorScheduleId(prefix, id),
      spec,
      action: { ...action, memo: { crawlflowFingerprint: fingerprint } },
      policies,
      state: { paused: pausedBecause !== undefined, note },
      memo: { crawlflowGenerator: id, crawlflowPrefix: prefix },
    },
  };
}
