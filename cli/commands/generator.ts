import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { GeneratorRunSummary } from '../../activities/generator-run';
import type { Config } from '../../domain/config/config';
import { createGeneratorRunStateRepository } from '../../domain/generators/run-state';
import { generatorScheduleId } from '../../domain/generators/schedule';
import type { Logger } from '../../domain/logging/logger';
import { connectMongo, type MongoHandle } from '../../domain/mongo/client';
import { GENERATOR_STATUS_NAMES } from '../../domain/store/generators';
import { createStore, type Store } from '../../domain/store/store';
import { closeTemporalClient, connectTemporalClient, workflowUrl } from '../../domain/temporal/connection';
import { startGeneratorRun } from '../../starters/generator-run';
import { describeGeneratorSchedule, syncAllGeneratorSchedules } from '../../starters/generator-schedules';
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
}
