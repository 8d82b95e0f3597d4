import type { Command } from 'commander';
import { connectMongo } from '../../infra/mongo/client';
import { CRAWLER_TASK_STATUS_NAMES, CrawlerTaskStatus } from '../../store/crawler-tasks';
import { DuplicateRecordError, RecordValidationError } from '../../store/errors';
import { JobStatus, uriRulesFrom, type Job } from '../../store/jobs';
import { createStore, type Store } from '../../store/store';
import { createScheduleSync, setJobStatus } from '../../starters/generator-schedule-sync';
import { loadCliContext, UsageError, type CliContext } from '../context';

async function withStore<T>(work: (context: CliContext & { store: Store }) => Promise<T>): Promise<T> {
  const context = loadCliContext('job');
  const mongo = await connectMongo(context.config.mongo, { appName: 'crawlflow-job' });
  try {
    return await work({ ...context, store: createStore(mongo.db) });
  } finally {
    await mongo.client.close();
  }
}

function describeRules(job: Job): string {
  const on = Object.entries(job.uriRules).filter(([, value]) => value).map(([name]) => name);
  return on.length ? on.join(',') : 'safe rules only';
}

export function registerJobCommand(program: Command): void {
  const job = program.command('job').description("jobs (the seed's Job: name, info, customer, status) that URIs and generators belong to");

  job
    .command('create <name>')
    .description('create a job (status on)')
    .option('--info <text>', 'what the job is for (at most 1024 characters)', '')
    .option('--customer <name>', 'whom it is for (at most 128 characters)')
    .option('--keep-fragment', 'keep #fragments of its URIs (dropped by default)')
    .option('--sort-query', 'sort query parameters of its URIs')
    .option('--drop-tracking-params', 'drop utm_*, gclid, fbclid … from its URIs')
    .option('--strip-session-ids', 'strip jsessionid, PHPSESSID, sid … from its URIs')
    .action(
      (
        name: string,
        options: { info: string; customer?: string; keepFragment?: boolean; sortQuery?: boolean; dropTrackingParams?: boolean; stripSessionIds?: boolean },
      ) =>
        withStore(async ({ store }) => {
          try {
            const created = await store.jobs.create({
              name,
              info: options.info,
              customer: options.customer ?? null,
              uriRules: uriRulesFrom(options),
            });
            process.stdout.write(`created job "${created.name}" ${created.id.toHexString()} (URI rules: ${describeRules(created)})\n`);
          } catch (error) {
            if (error instanceof DuplicateRecordError || error instanceof RecordValidationError) throw new UsageError(error.message);
            throw error;
          }
        }),
    );

  job
    .command('list')
    .description('list jobs with their status and tasks per status')
    .action(() =>
      withStore(async ({ store }) => {
        const jobs = await store.jobs.list();
        if (jobs.length === 0) process.stdout.write('no jobs (create one with `crawlflow job create NAME`)\n');
        for (const row of jobs) {
          const counts = await store.tasks.countByStatus(row.id);
          const tasks = Object.values(CrawlerTaskStatus)
            .filter((status) => counts[status] > 0)
            .map((status) => `${CRAWLER_TASK_STATUS_NAMES[status]} ${counts[status]}`)
            .join(', ');
          process.stdout.write(
            `${row.name}  ${row.status === JobStatus.On ? 'on' : 'off'}  ${row.id.toHexString()}` +
              `${row.customer ? `  customer=${row.customer}` : ''}  rules=${describeRules(row)}\n` +
              `    tasks: ${tasks || 'none'}${row.info ? `\n    ${row.info}` : ''}\n`,
          );
        }
      }),
    );

  job
    .command('recount <name>')
    .description("count a job's tasks per status again (reads all its tasks) and keep the counts: for tasks written by other tools, or a count left off by a crash")
    .action((name: string) =>
      withStore(async ({ store }) => {
        const found = await store.jobs.findByName(name);
        if (!found) throw new UsageError(`no job named ${JSON.stringify(name)}`);
        const before = await store.tasks.countByStatus(found.id);
        const counts = await store.tasks.recountByStatus(found.id);
        const changed = Object.values(CrawlerTaskStatus).filter((status) => before[status] !== counts[status]);
        const tasks = Object.values(CrawlerTaskStatus)
          .map((status) => `${CRAWLER_TASK_STATUS_NAMES[status]} ${counts[status]}${before[status] !== counts[status] ? ` (was ${before[status]})` : ''}`)
          .join(', ');
        process.stdout.write(`job "${found.name}": ${tasks}${changed.length === 0 ? ' (unchanged)' : ''}\n`);
      }),
    );

  for (const [command, status, verb] of [
    ['disable', JobStatus.Off, 'disabled'],
    ['enable', JobStatus.On, 'enabled'],
  ] as const) {
    job
      .command(`${command} <name>`)
      .description(
        command === 'disable'
          ? 'take a job offline: ingest refuses it and its generators\' schedules are paused'
          : 'bring a job back online (its generators\' schedules resume)',
      )
      .action((name: string) =>
        withStore(async ({ config, logger, store }) => {
          const found = await store.jobs.findByName(name);
          if (!found) throw new UsageError(`no job named ${JSON.stringify(name)}`);
          const schedules = createScheduleSync({ config, store, logger });
          try {
            const problems = await setJobStatus({ store, schedules }, found.id, status);
            process.stdout.write(`${verb} job "${found.name}"\n`);
            for (const problem of problems) process.stderr.write(`warning: schedule not synced for ${problem} (run \`crawlflow generator sync\`)\n`);
          } finally {
            await schedules.close();
          }
        }),
      );
  }
}
