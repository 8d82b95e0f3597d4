import { type Client, type ScheduleDescription } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { ObjectId } from 'mongodb';
import type { GeneratorTestReport } from '../activities/generator-test';
import { SearchAttributeKeys } from '../common/search-attributes';
import type { Config } from '../infra/config/config';
import { GeneratorActionError, GeneratorProblem } from '../domain/generators/errors';
import { CRAWLFLOW_NOTE_PREFIX, generatorScheduleId } from '../domain/generators/schedule';
import { checkStatusChange } from '../domain/generators/status-rules';
import { IngestInputError } from '../domain/ingest/errors';
import { checkCron, checkScript, parseFlag, parseGeneratorStatus, parsePriority, parseTimeout } from '../domain/ingest/script';
import type { Logger } from '../infra/logging/logger';
import { RecordValidationError } from '../store/errors';
import { RunLogStatus } from '../store/seed-fields';
import { GeneratorStatus, type Generator, type GeneratorChanges } from '../store/generators';
import type { Store } from '../store/store';
import type { GeneratorTestInput } from '../workflows/generator-test';
import { startGeneratorRun, type StartGeneratorRunResult } from './generator-run';
import { describeGeneratorSchedule, syncGeneratorSchedule, type ScheduleSyncResult } from './generator-schedules';

export interface GeneratorConsoleDeps {
  /** Temporal, connected on first use (the web server's lazy client). */
  temporal: () => Promise<Client>;
  config: Config;
  store: Pick<Store, 'generators' | 'generatorRevisions' | 'generatorLogs' | 'jobs' | 'logs'>;
  logger: Logger;
}

/** A generator's Temporal Schedule as people need to see it. */
export interface GeneratorScheduleState {
  scheduleId: string;
  /** `none`: no cron (runs by hand); `missing`: it should have one (run `crawlflow generator sync`). */
  state: 'scheduled' | 'paused' | 'none' | 'missing';
  /** Who paused it: crawlflow (its status or its job says so) or an operator (the page, the CLI, `temporal schedule toggle`). */
  pausedBy: 'crawlflow' | 'operator' | null;
  /** The schedule's note: why it is paused, or what it runs. */
  note: string | null;
  nextRunAt: Date | null;
}

/** Settings a person may change; strings as typed (the CLI) or typed values (the API). */
export interface GeneratorEdit {
  cron?: string | null;
  priority?: string;
  status?: string | number;
  timeoutSeconds?: string | number;
  networkAllowed?: string | boolean;
  name?: string;
}

export interface CodeReplacement {
  code: Buffer | string;
  /** The new file's name: its extension says the language unless `language` does. */
  filename?: string | null;
  language?: string;
}

export interface GeneratorActionResult {
  generator: Generator;
  schedule: GeneratorScheduleState;
  /** What the schedule sync did; a failed sync is a warning (the generator is saved; `generator sync` repairs). */
  sync?: ScheduleSyncResult;
  warning?: string;
}

export interface GeneratorTestOutcome extends GeneratorActionResult {
  report: GeneratorTestReport;
  workflowId: string;
  runId: string;
}

/** The longest pause reason kept (a Temporal note is free text, the page shows it). */
const MAX_REASON_CHARS = 500;
/** What a pause without a reason says. */
export const DEFAULT_PAUSE_REASON = 'paused from the crawlflow console';

/**
 * Every action on one generator that the page, the HTTP API and the CLI offer — edit, replace
 * the code (a new revision), delete, pause, resume, run now, test — each followed at once by
 * the generator's Temporal Schedule, as `crawlflow generator sync` would make it.
 */
export function createGeneratorConsole(deps: GeneratorConsoleDeps) {
  const { config, store, logger } = deps;
  const prefix = config.temporal.prefix;

  async function find(id: ObjectId | string): Promise<Generator> {
    const objectId = typeof id === 'string' ? parseId(id) : id;
    const generator = await store.generators.get(objectId);
    if (!generator) throw new GeneratorActionError(GeneratorProblem.UnknownGenerator, `no generator has the id ${objectId.toHexString()}`);
    return generator;
  }

  async function scheduleOf(generator: Generator): Promise<GeneratorScheduleState> {
    const client = await deps.temporal();
    return scheduleState(generator, prefix, await describeGeneratorSchedule(client, prefix, generator.id.toHexString()));
  }

  /** Syncs the schedule; a failure is returned as a warning, since the change itself is saved. */
  async function follow(generator: Generator): Promise<GeneratorActionResult> {
    let sync: ScheduleSyncResult | undefined;
    let warning: string | undefined;
    try {
      sync = await syncGeneratorSchedule({ client: await deps.temporal(), config, store, logger }, generator.id);
      if (sync.action === 'failed') warning = `saved, but the schedule could not follow: ${sync.reason ?? 'unknown error'} (run \`crawlflow generator sync\`)`;
    } catch (error) {
      warning = `saved, but the schedule could not follow: ${(error as Error).message} (run \`crawlflow generator sync\`)`;
    }
    const fresh = (await store.generators.get(generator.id)) ?? generator;
    const schedule = await scheduleOf(fresh).catch(
      (error: unknown): GeneratorScheduleState => ({
        scheduleId: generatorScheduleId(prefix, fresh.id.toHexString()),
        state: 'missing',
        pausedBy: null,
        note: `Temporal could not be asked: ${(error as Error).message}`,
        nextRunAt: null,
      }),
    );
    return { generator: fresh, schedule, ...(sync ? { sync } : {}), ...(warning ? { warning } : {}) };
  }

  async function save(generator: Generator, changes: GeneratorChanges): Promise<Generator> {
    const updated = await store.generators.update(generator.id, changes).catch((error: unknown) => {
      if (error instanceof RecordValidationError) throw new GeneratorActionError(GeneratorProblem.BadSetting, error.message, error.field);
      throw error;
    });
    if (!updated) throw new GeneratorActionError(GeneratorProblem.UnknownGenerator, `no generator has the id ${generator.id.toHexString()} (deleted meanwhile)`);
    return updated;
  }

  return {
    find,
    scheduleOf,

    /** A generator with its schedule state. */
    async get(id: ObjectId | string): Promise<{ generator: Generator; schedule: GeneratorScheduleState }> {
      const generator = await find(id);
      return { generator, schedule: await scheduleOf(generator) };
    },

    /** Changes settings (cron, priority, status, timeout, network permission, name); the schedule follows. */
    async edit(id: ObjectId | string, edit: GeneratorEdit): Promise<GeneratorActionResult> {
      const generator = await find(id);
      const changes = parseEdit(edit, config.generators.timeoutSeconds);
      if (Object.keys(changes).length === 0) {
        throw new GeneratorActionError(GeneratorProblem.BadSetting, 'nothing to change: give cron, priority, status, timeoutSeconds, networkAllowed or name');
      }
      if (changes.status !== undefined) {
        const check = checkStatusChange(generator, changes.status);
        if (!check.ok) throw new GeneratorActionError(GeneratorProblem.StatusRefused, `status: ${check.reason}`, 'status');
      }
      const updated = await save(generator, changes);
      logger.info({ generatorId: generator.id.toHexString(), changes: Object.keys(changes) }, 'generator edited');
      return follow(updated);
    },

    /**
     * Replaces the code: the new code becomes revision N+1 (the old one stays as revision N),
     * runs from now on record the new revision, and the last test no longer counts for
     * promotion (it tested other code).
     */
    async replaceCode(id: ObjectId | string, replacement: CodeReplacement): Promise<GeneratorActionResult & { revision: number }> {
      const generator = await find(id);
      const bytes = typeof replacement.code === 'string' ? Buffer.from(replacement.code, 'utf8') : replacement.code;
      const filename = replacement.filename?.trim() || null;
      const statedLanguage = replacement.language?.trim() || (filename && /\.(py|sh|bash)$/i.test(filename) ? undefined : generator.language);
      let checked: ReturnType<typeof checkScript>;
      try {
        checked = checkScript(bytes, filename, statedLanguage);
      } catch (error) {
        if (error instanceof IngestInputError) throw new GeneratorActionError(GeneratorProblem.BadSetting, `code: ${error.message}`, 'code');
        throw error;
      }
      // The uploaded code becomes a revision only when it is first replaced (idempotent).
      await store.generatorRevisions.keep({
        generator: generator.id,
        revision: generator.revision,
        code: generator.code,
        language: generator.language,
        filename: generator.filename,
        addedAt: generator.updatedAt,
      });
      const revision = generator.revision + 1;
      const kept = await store.generatorRevisions.keep({ generator: generator.id, revision, code: checked.code, language: checked.language, filename });
      if (!kept) {
        throw new GeneratorActionError(GeneratorProblem.StatusRefused, `revision ${revision} was written by someone else a moment ago: reload and try again`, 'code');
      }
      const updated = await save(generator, { code: checked.code, language: checked.language, revision, ...(filename ? { filename } : {}) });
      logger.info({ generatorId: generator.id.toHexString(), revision }, 'generator code replaced');
      return { ...(await follow(updated)), revision };
    },

    /** Deletes the generator and its schedule; its tasks, run logs and revisions stay. */
    async remove(id: ObjectId | string): Promise<{ deleted: true; generatorId: string; sync?: ScheduleSyncResult; warning?: string }> {
      const generator = await find(id);
      await store.generators.remove(generator.id);
      logger.info({ generatorId: generator.id.toHexString() }, 'generator deleted');
      try {
        const sync = await syncGeneratorSchedule({ client: await deps.temporal(), config, store, logger }, generator.id);
        return sync.action === 'failed'
          ? { deleted: true, generatorId: generator.id.toHexString(), sync, warning: `deleted, but its schedule is still there: ${sync.reason ?? ''} (run \`crawlflow generator sync\`)` }
          : { deleted: true, generatorId: generator.id.toHexString(), sync };
      } catch (error) {
        return { deleted: true, generatorId: generator.id.toHexString(), warning: `deleted, but its schedule is still there: ${(error as Error).message} (run \`crawlflow generator sync\`)` };
      }
    },

    /**
     * Pauses the schedule the way an operator does with `temporal schedule toggle --pause
     * --reason …`: a note crawlflow did not write, so no sync undoes it.
     */
    async pause(id: ObjectId | string, reason?: string): Promise<GeneratorActionResult> {
      const generator = await find(id);
      const note = checkReason(reason);
      const client = await deps.temporal();
      const current = await describeGeneratorSchedule(client, prefix, generator.id.toHexString());
      if (!current) throw noSchedule(generator);
      await client.schedule.getHandle(generatorScheduleId(prefix, generator.id.toHexString())).pause(note);
      logger.info({ generatorId: generator.id.toHexString(), note }, 'generator schedule paused by an operator');
      return follow(generator);
    },

    /**
     * Lifts an operator's pause (the page's, the CLI's or `temporal schedule toggle`'s); the
     * schedule then runs unless the generator's status or job keeps it paused — and the result
     * says which.
     */
    async resume(id: ObjectId | string): Promise<GeneratorActionResult> {
      const generator = await find(id);
      const client = await deps.temporal();
      const current = await describeGeneratorSchedule(client, prefix, generator.id.toHexString());
      if (!current) throw noSchedule(generator);
      const state = scheduleState(generator, prefix, current);
      if (state.pausedBy === 'crawlflow') {
        throw new GeneratorActionError(
          GeneratorProblem.ScheduleState,
          `the schedule is paused by crawlflow, not by an operator: ${state.note ?? ''} — change that instead`,
        );
      }
      if (state.state === 'paused') {
        await client.schedule.getHandle(state.scheduleId).unpause(`${CRAWLFLOW_NOTE_PREFIX} resumed from the console`);
        logger.info({ generatorId: generator.id.toHexString() }, 'generator schedule resumed');
      }
      return follow(generator);
    },

    /** Runs it now at its priority (the seed's dispatch_uri). */
    async runNow(id: ObjectId | string): Promise<StartGeneratorRunResult> {
      const generator = await find(id);
      return startGeneratorRun({ client: await deps.temporal(), config, store, logger }, generator.id.toHexString(), 'manual');
    },

    /**
     * Test run: the current code in the sandbox, every printed line judged, nothing stored but
     * the verdict — a failure sets "test failed" (the schedule pauses); a pass of a generator
     * in "test failed" puts it back to alpha, and lets it be promoted.
     */
    async test(id: ObjectId | string): Promise<GeneratorTestOutcome> {
      const generator = await find(id);
      const client = await deps.temporal();
      const workflowId = `${generatorScheduleId(prefix, generator.id.toHexString())}-test-${Date.now()}`;
      const handle = await client.workflow.start('generatorTestWorkflow', {
        taskQueue: config.temporal.taskQueues.workflows,
        workflowId,
        args: [{ generatorId: generator.id.toHexString(), sandboxQueue: config.temporal.taskQueues.sandbox, timeoutSeconds: generator.timeoutSeconds } satisfies GeneratorTestInput],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowExecutionTimeout: `${generator.timeoutSeconds * 2 + 300}s`,
        typedSearchAttributes: [
          { key: SearchAttributeKeys.source, value: 'generator_test' },
          { key: SearchAttributeKeys.generator, value: generator.id.toHexString() },
          { key: SearchAttributeKeys.job, value: generator.job.toHexString() },
        ],
      });
      const report = (await handle.result()) as GeneratorTestReport;
      const current = await find(generator.id);
      const status = !report.passed ? GeneratorStatus.TestFailed : current.status === GeneratorStatus.TestFailed ? GeneratorStatus.Alpha : undefined;
      const updated = await save(current, {
        lastTest: { passed: report.passed, revision: report.revision, reason: report.reason, testedAt: new Date(), workflowId },
        ...(status !== undefined ? { status } : {}),
      });
      logger.info({ generatorId: generator.id.toHexString(), passed: report.passed, revision: report.revision }, 'generator tested');
      return { ...(await follow(updated)), report, workflowId, runId: handle.firstExecutionRunId };
    },

    /** One page of runs, newest first; `failedOnly` keeps the failed ones. */
    async runs(id: ObjectId | string, query: { failedOnly?: boolean; before?: ObjectId; limit?: number } = {}) {
      const generator = await find(id);
      const runs = await store.generatorLogs.page({
        generator: generator.id,
        ...(query.failedOnly ? { status: RunLogStatus.Failed } : {}),
        ...(query.before ? { before: query.before } : {}),
        limit: query.limit ?? 50,
      });
      return { generator, runs, next: runs.length === (query.limit ?? 50) ? (runs.at(-1)?.id.toHexString() ?? null) : null };
    },
  };
}

export type GeneratorConsole = ReturnType<typeof createGeneratorConsole>;

/** The schedule state people see: running, paused (by crawlflow or an operator, with the note), none, missing. */
export function scheduleState(generator: Generator, prefix: string, description: ScheduleDescription | null): GeneratorScheduleState {
  const scheduleId = generatorScheduleId(prefix, generator.id.toHexString());
  if (!description) {
    return generator.cron
      ? { scheduleId, state: 'missing', pausedBy: null, note: 'it has a cron but no schedule: run `crawlflow generator sync`', nextRunAt: null }
      : { scheduleId, state: 'none', pausedBy: null, note: 'no cron: it runs only by hand', nextRunAt: null };
  }
  const note = description.state.note ?? '';
  if (!description.state.paused) {
    return { scheduleId, state: 'scheduled', pausedBy: null, note: note || null, nextRunAt: description.info.nextActionTimes[0] ?? null };
  }
  const byCrawlflow = note.startsWith(CRAWLFLOW_NOTE_PREFIX);
  return { scheduleId, state: 'paused', pausedBy: byCrawlflow ? 'crawlflow' : 'operator', note: note || null, nextRunAt: null };
}

function parseId(value: string): ObjectId {
  if (!/^[0-9a-fA-F]{24}$/.test(value.trim())) {
    throw new GeneratorActionError(GeneratorProblem.UnknownGenerator, `no generator has the id ${JSON.stringify(value)} (an id is 24 hexadecimal characters)`, 'id');
  }
  return new ObjectId(value.trim());
}

function noSchedule(generator: Generator): GeneratorActionError {
  return new GeneratorActionError(
    GeneratorProblem.NoSchedule,
    generator.cron ? `generator "${generator.name}" has no schedule yet: run \`crawlflow generator sync\`` : `generator "${generator.name}" has no cron, so no schedule to pause or resume`,
  );
}

function checkReason(reason: string | undefined): string {
  // eslint-disable-next-line no-control-regex -- control characters make no sense in a note
  const text = (reason ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (text === '') return DEFAULT_PAUSE_REASON;
  if (text.length > MAX_REASON_CHARS) throw new GeneratorActionError(GeneratorProblem.BadSetting, `reason: at most ${MAX_REASON_CHARS} characters`, 'reason');
  if (text.startsWith(CRAWLFLOW_NOTE_PREFIX)) {
    throw new GeneratorActionError(GeneratorProblem.BadSetting, `reason: must not start with "${CRAWLFLOW_NOTE_PREFIX}" (that marks crawlflow's own notes)`, 'reason');
  }
  return text;
}

/** The edit as repository changes, each value checked by the upload's own rules; a bad one names its field. */
function parseEdit(edit: GeneratorEdit, defaultTimeout: number): GeneratorChanges {
  const changes: GeneratorChanges = {};
  const field = <T>(name: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof IngestInputError) throw new GeneratorActionError(GeneratorProblem.BadSetting, error.message, name);
      throw error;
    }
  };
  if (edit.cron !== undefined) changes.cron = field('cron', () => checkCron(edit.cron));
  if (edit.priority !== undefined) changes.priority = field('priority', () => parsePriority(edit.priority));
  if (edit.status !== undefined) {
    if (String(edit.status).trim() === '') throw new GeneratorActionError(GeneratorProblem.BadSetting, 'status: must not be empty', 'status');
    changes.status = field('status', () => parseGeneratorStatus(edit.status));
  }
  if (edit.timeoutSeconds !== undefined) {
    if (String(edit.timeoutSeconds).trim() === '') throw new GeneratorActionError(GeneratorProblem.BadSetting, 'timeout: must not be empty', 'timeoutSeconds');
    changes.timeoutSeconds = field('timeoutSeconds', () => parseTimeout(edit.timeoutSeconds, defaultTimeout));
  }
  if (edit.networkAllowed !== undefined) {
    if (edit.networkAllowed === '') throw new GeneratorActionError(GeneratorProblem.BadSetting, 'network: true or false', 'networkAllowed');
    changes.networkAllowed = field('networkAllowed', () => parseFlag(edit.networkAllowed, 'network'));
  }
  if (edit.name !== undefined) {
    const name = edit.name.trim();
    if (name === '' || name.length > 128) throw new GeneratorActionError(GeneratorProblem.BadSetting, 'name: 1 to 128 characters', 'name');
    changes.name = name;
  }
  return changes;
}
