import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { GeneratorRunSummary } from '../../activities/generator-run';
import type { Config } from '../../infra/config/config';
import { createGeneratorRunStateRepository } from '../../store/generator-run-state';
import { generatorScheduleId } from '../../domain/generators/schedule';
import type { Logger } from '../../infra/logging/logger';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { GENERATOR_STATUS_NAMES } from '../../store/generators';
import { createStore, type Store } from '../../store/store';
import { closeTemporalClient, connectTemporalClient, workflowUrl } from '../../infra/temporal/connection';
import { GeneratorActionError } from '../../domain/generators/errors';
import { createGeneratorConsole, type GeneratorActionResult, type GeneratorConsole, type GeneratorEdit } from '../../starters/generator-console';
import { startGeneratorRun } from '../../starters/generator-run';
import { describeGeneratorSchedule, parseGeneratorId, syncAllGeneratorSchedules } from '../../starters/generator-schedules';
import { loadCliContext, UsageError } from '../context';

interface Session {
  config: Config;
  logger: Logger;
  mongo: MongoHandle;
  store: Store;
  client: Client;
}

/** Connects MongoDB and Temporal for one command and closes both afterwards. */
async function withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
  const { config, logger } = loadCliContext('generator');
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-generator' });
  try {
    const client = await connectTemporalClient(config.temporal);
    try {
      return await work({ config, logger, mongo, store: createStore(mongo.db), client });
    } finally {
      await closeTemporalClient(client);
    }
  } finally {
    await mongo.client.close();
  }
}

export function registerGeneratorCommand(program: Command): void {
  const generator = program.command('generator').description('URI generator scripts: their schedules and runs');

  generator
    .command('list')
    .description('list generators with their schedule state and last run')
    .option('--job <name>', 'only the generators of this job')
    .action((options: { job?: string }) =>
      withSession(async ({ config, store, client, mongo }) => {
        const job = options.job ? await store.jobs.findByName(options.job) : undefined;
        if (options.job && !job) throw new UsageError(`no job named ${JSON.stringify(options.job)}`);
        const generators = await store.generators.list({ ...(job ? { job: job.id } : {}), limit: 1000 });
        const states = await createGeneratorRunStateRepository(mongo.db).getMany(generators.map((row) => row.id));
        if (generators.length === 0) process.stdout.write('no generators\n');
        for (const row of generators) {
          const schedule = await describeGeneratorSchedule(client, config.temporal.prefix, row.id.toHexString());
          const scheduleState = !schedule
            ? row.cron
              ? 'schedule MISSING (run `crawlflow generator sync`)'
              : 'no schedule (runs by hand)'
            : schedule.state.paused
              ? `schedule paused: ${schedule.state.note ?? ''}`
              : `scheduled, next ${schedule.info.nextActionTimes[0]?.toISOString() ?? 'never'}`;
          const state = states.get(row.id.toHexString());
          const last = state
            ? `last run ${state.lastRunAt.toISOString()} ${state.lastOutcome}, ${state.lastUrisNew} new URIs (${state.runs} runs, ${state.failures} failed)`
            : 'never ran';
          process.stdout.write(
            `${row.id.toHexString()}  ${row.name}  status=${GENERATOR_STATUS_NAMES[row.status] ?? row.status}  cron=${row.cron ?? '-'}  priority=${row.priority}\n` +
              `    ${scheduleState}\n    ${last}\n`,
          );
        }
      }),
    );

  generator
    .command('sync')
    .description("make every generator's Temporal Schedule match it (create, update, pause, delete); repairs drift")
    .action(() =>
      withSession(async (session) => {
        const results = await syncAllGeneratorSchedules(session);
        if (results.length === 0) process.stdout.write('no generators and no generator schedules\n');
        for (const result of results) {
          const extra = result.pausedByOperator !== undefined ? ` (left paused by an operator: ${result.pausedByOperator})` : result.reason ? ` (${result.reason})` : '';
          process.stdout.write(`${result.generatorId}  ${result.action}${result.paused ? ', paused' : ''}${extra}  ${result.scheduleId}\n`);
        }
        if (results.some((result) => result.action === 'failed')) process.exitCode = 1;
      }),
    );

  generator
    .command('run <id>')
    .description('run one generator now, at its priority (the seed\'s dispatch_uri)')
    .option('--wait', 'wait for the run to end and print its summary')
    .action((id: string, options: { wait?: boolean }) =>
      withSession(async ({ config, logger, store, client }) => {
        const started = await startGeneratorRun({ client, config, store, logger }, id);
        if (!started.ok) {
          if (started.kind === 'unknown_generator') throw new UsageError(started.message);
          throw new Error(started.message);
        }
        process.stdout.write(
          `started generator "${started.generatorName}" (priority key ${started.priorityKey}): ${started.workflowId}\n` +
            `    ${workflowUrl(config.temporal, started.workflowId, started.runId)}\n`,
        );
        if (!options.wait) return;
        const summary = (await client.workflow.getHandle(started.workflowId).result()) as GeneratorRunSummary;
        process.stdout.write(
          `${summary.outcome}: ${summary.new} new, ${summary.duplicate} duplicate, ${summary.invalid} invalid, ${summary.failed} failed` +
            `${summary.noNewUris ? ' — no new URIs (flagged)' : ''}${summary.reason ? `\n    ${summary.reason.split('\n').join('\n    ')}` : ''}\n`,
        );
        if (summary.outcome !== 'succeeded') process.exitCode = 1;
      }),
    );

  generator
    .command('schedule-id <id>')
    .description('print the Temporal Schedule id of a generator (for `temporal schedule describe|toggle|trigger|backfill`)')
    .action((id: string) => {
      const { config } = loadCliContext('generator');
      process.stdout.write(`${generatorScheduleId(config.temporal.prefix, id)}\n`);
    });

  generator
    .command('edit <id>')
    .description('change a generator: its cron, priority, status, timeout, network permission, name, or code (a new revision); its schedule follows at once')
    .option('--cron <cron>', 'five-field cron in UTC, or "" for none (runs by hand only)')
    .option('--priority <priority>', 'very high, high, medium or low')
    .option('--status <status>', 'alpha, beta, production, on or off (promotion needs a passing test)')
    .option('--timeout <seconds>', 'wall-time limit of one run')
    .option('--network', 'let the script reach the network')
    .option('--no-network', 'keep the script off the network')
    .option('--name <name>', 'its name')
    .option('--code <file>', 'replace its code with this file (kept as a new revision)')
    .option('--language <language>', 'python or shell, when the file\'s extension does not say')
    .action((id: string, options: { cron?: string; priority?: string; status?: string; timeout?: string; network?: boolean; name?: string; code?: string; language?: string }) =>
      withConsole(async (console) => {
        const edit: GeneratorEdit = {
          ...(options.cron !== undefined ? { cron: options.cron } : {}),
          ...(options.priority !== undefined ? { priority: options.priority } : {}),
          ...(options.status !== undefined ? { status: options.status } : {}),
          ...(options.timeout !== undefined ? { timeoutSeconds: options.timeout } : {}),
          ...(options.network !== undefined ? { networkAllowed: options.network } : {}),
          ...(options.name !== undefined ? { name: options.name } : {}),
        };
        if (options.code === undefined && Object.keys(edit).length === 0) {
          throw new UsageError('nothing to change: give --cron, --priority, --status, --timeout, --network/--no-network, --name or --code');
        }
        let result: GeneratorActionResult | undefined;
        if (options.code !== undefined) {
          const code = await readFile(options.code).catch((error: NodeJS.ErrnoException) => {
            throw new UsageError(`--code ${options.code}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
          });
          const replaced = await console.replaceCode(id, { code, filename: basename(options.code), ...(options.language ? { language: options.language } : {}) });
          process.stdout.write(`code replaced: revision ${replaced.revision}\n`);
          result = replaced;
        }
        if (Object.keys(edit).length > 0) result = await console.edit(id, edit);
        printGenerator(result!);
      }),
    );

  generator
    .command('delete <id>')
    .description('delete a generator and its schedule; its tasks and run logs stay')
    .action((id: string) =>
      withConsole(async (console) => {
        const result = await console.remove(id);
        process.stdout.write(`deleted generator ${result.generatorId}${result.sync ? ` (schedule ${result.sync.action})` : ''}\n`);
        if (result.warning) warn(result.warning);
      }),
    );

  generator
    .command('pause <id>')
    .description('pause its schedule, as `temporal schedule toggle --pause` does (no sync undoes it)')
    .option('--reason <text>', 'why (shown with the schedule)')
    .action((id: string, options: { reason?: string }) => withConsole(async (console) => printGenerator(await console.pause(id, options.reason))));

  generator
    .command('resume <id>')
    .description("lift an operator's pause of its schedule")
    .action((id: string) => withConsole(async (console) => printGenerator(await console.resume(id))));

  generator
    .command('test <id>')
    .description('run its script in the sandbox now and show each printed line as new, duplicate or invalid; stores nothing (a failure sets "test failed")')
    .option('--lines <n>', 'lines to show', '50')
    .action((id: string, options: { lines: string }) =>
      withConsole(async (console, config) => {
        const { report, generator: after, workflowId, runId } = await console.test(id);
        const shown = Math.max(0, Number(options.lines) || 0);
        for (const line of report.lines.slice(0, shown)) {
          const detail = line.outcome === 'invalid' ? ` — ${line.reason ?? ''}` : line.reason ? ` (${line.reason})` : '';
          process.stdout.write(`  ${String(line.line).padStart(5)}  ${line.outcome.padEnd(9)}  ${printable(line.text)}${printable(detail)}\n`);
        }
        const hidden = report.counts.printed - Math.min(shown, report.lines.length);
        if (hidden > 0) process.stdout.write(`  … ${hidden} more lines\n`);
        const { counts } = report;
        process.stdout.write(
          `${report.passed ? 'PASSED' : 'FAILED'}: ${counts.printed} printed, ${counts.new} new, ${counts.duplicate} duplicate, ${counts.invalid} invalid` +
            ` (revision ${report.revision}, ${report.durationMs} ms, sandbox ${report.sandbox})${report.reason ? `\n    ${printable(report.reason)}` : ''}\n`,
        );
        if (report.stderr.trim() !== '') process.stdout.write(`--- stderr (end) ---\n${printable(report.stderr.slice(-2000), true)}\n`);
        process.stdout.write(`status now ${GENERATOR_STATUS_NAMES[after.status] ?? after.status}; ${workflowUrl(config.temporal, workflowId, runId)}\n`);
        if (!report.passed) process.exitCode = 1;
      }),
    );

  generator
    .command('runs <id>')
    .description('its runs, newest first: trigger, revision, duration, URIs, failure reason')
    .option('--failed', 'only failed runs')
    .option('--limit <n>', 'how many', '20')
    .option('--before <runId>', 'runs older than this one (the "next" id printed last)')
    .action((id: string, options: { failed?: boolean; limit: string; before?: string }) =>
      withConsole(async (console, config) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError(`--limit ${options.limit}: a whole number from 1 to 500`);
        const before = options.before === undefined ? undefined : parseGeneratorId(options.before);
        if (options.before !== undefined && !before) throw new UsageError(`--before ${options.before}: a run id (24 hexadecimal characters)`);
        const page = await console.runs(id, { failedOnly: options.failed === true, limit, ...(before ? { before } : {}) });
        if (page.runs.length === 0) process.stdout.write(options.failed ? 'no failed runs\n' : 'no runs\n');
        for (const run of page.runs) {
          const extra = run.extra;
          process.stdout.write(
            `${run.id.toHexString()}  ${run.addedAt.toISOString()}  ${run.status === 2 ? 'succeeded' : 'failed'}  trigger=${String(extra.trigger ?? '-')}` +
              `  revision=${String(extra.revision ?? 1)}  ${run.spendMsecs} ms  new=${run.urisNew} duplicate=${run.urisDuplicate} invalid=${run.urisInvalid}\n` +
              (run.failedReason ? `    ${printable(run.failedReason.split('\n')[0] ?? '')}\n` : '') +
              (run.workflowId ? `    ${workflowUrl(config.temporal, run.workflowId, run.runId ?? undefined)}\n` : ''),
          );
        }
        if (page.next) process.stdout.write(`next: --before ${page.next}\n`);
      }),
    );
}

/** Runs one console action with MongoDB and Temporal; a refused action exits 2 with its message. */
function withConsole(work: (console: GeneratorConsole, config: Config) => Promise<void>): Promise<void> {
  return withSession(async ({ config, logger, store, client }) => {
    try {
      await work(createGeneratorConsole({ temporal: async () => client, config, store, logger }), config);
    } catch (error) {
      if (error instanceof GeneratorActionError) throw new UsageError(error.message);
      throw error;
    }
  });
}

function printGenerator(result: GeneratorActionResult): void {
  const { generator, schedule } = result;
  const scheduleText =
    schedule.state === 'scheduled'
      ? `scheduled, next ${schedule.nextRunAt?.toISOString() ?? 'never'}`
      : schedule.state === 'paused'
        ? `paused by ${schedule.pausedBy ?? 'someone'}: ${schedule.note ?? ''}`
        : (schedule.note ?? schedule.state);
  process.stdout.write(
    `${generator.id.toHexString()}  ${printable(generator.name)}  status=${GENERATOR_STATUS_NAMES[generator.status] ?? generator.status}  cron=${generator.cron ?? '-'}` +
      `  priority=${generator.priority}  timeout=${generator.timeoutSeconds}s  network=${generator.networkAllowed ? 'yes' : 'no'}  revision=${generator.revision}\n` +
      `    schedule: ${printable(scheduleText)}\n`,
  );
  if (result.warning) warn(result.warning);
}

function warn(message: string): void {
  process.stderr.write(`crawlflow: warning: ${message}\n`);
}

/**
 * Text from a script or a person, safe for a terminal: control characters (escape sequences)
 * and bidirectional overrides are shown as \u{…} instead of acting on the terminal.
 */
export function printable(text: string, keepNewlines = false): string {
  // eslint-disable-next-line no-control-regex -- exactly the characters to neutralize
  const pattern = keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g : /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  return text.replace(pattern, (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
}
