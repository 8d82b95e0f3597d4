import type { Command } from 'commander';
import { ObjectId } from 'mongodb';
import { FailureStep } from '../../common/pipeline';
import { connectMongo } from '../../infra/mongo/client';
import { visibleText } from '../../domain/pipeline/byte-preview';
import { createFailedMessageRepository, type FailedMessageDocument, type FailedMessagePageQuery } from '../../store/failed-messages';
import { createJobRepository } from '../../store/jobs';
import { closeTemporalClient, connectTemporalClient, workflowUrl } from '../../infra/temporal/connection';
import { replayRecords } from '../../starters/replay';
import { loadCliContext, UsageError } from '../context';
import { parseTime } from './time-option';

interface SelectionOptions {
  id?: string[];
  step?: string;
  errorType?: string;
  job?: string;
  status?: string;
  since?: string;
  until?: string;
  before?: string;
  limit: string;
  all?: boolean;
  json?: boolean;
}

const STATUSES = ['failed', 'replaying', 'replayed'] as const;

/** The same selection as the page's failures section (GET /api/failures): newest first, paged by id. */
export function registerReplayCommand(program: Command): void {
  const replay = program.command('replay').description('list failed messages, show one with its replays, re-run them');
  const selection = (command: Command) =>
    command
      .option('--id <ids...>', 'failed-message ids (from `crawlflow replay list`)')
      .option('--step <step>', `only failures of one step: ${Object.values(FailureStep).join(', ')}`)
      .option('--error-type <type>', 'only failures of this error type (e.g. HttpClientError)')
      .option('--job <name>', "only messages of this job (crawler tasks' messages)")
      .option('--since <time>', 'only failures at or after this time (ISO 8601, e.g. 2026-11-23T10:00)')
      .option('--until <time>', 'only failures at or before this time')
      .option('--limit <n>', 'at most this many', '100');

  selection(replay.command('list').description('list failed messages, newest first'))
    .option('--status <status>', `only records in this state: ${STATUSES.join(', ')}`)
    .option('--before <id>', 'the page after this id (the "next:" line of the previous page)')
    .option('--json', 'one JSON object per line')
    .action(async (options: SelectionOptions) => {
      const { config } = loadCliContext('replay');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-replay' });
      try {
        const page = await createFailedMessageRepository(mongo.db).page(await parseSelection(options, mongo.db));
        if (page.records.length === 0 && !options.json) process.stdout.write('no failed messages match\n');
        for (const record of page.records) {
          if (options.json) {
            process.stdout.write(`${JSON.stringify(record)}\n`);
            continue;
          }
          const last = record.replays.at(-1);
          const replays = last ? ` replays=${record.replays.length} last=${last.outcome ?? 'running'}` : '';
          process.stdout.write(
            `${record._id.toHexString()}  ${record.failedAt.toISOString()}  ${record.step.padEnd(7)} ${record.status.padEnd(9)} ${visibleText(`${record.errorType}: ${record.error}`, 120)}${replays}\n` +
              `    ${workflowUrl(config.temporal, record.batchWorkflowId ?? record.workflowId, record.runId)}\n`,
          );
        }
        if (page.next && !options.json) process.stdout.write(`next: --before ${page.next}\n`);
      } finally {
        await mongo.client.close();
      }
    });

  replay
    .command('show <id>')
    .description('one failed message: its summary, error, run, and every replay with its outcome')
    .option('--json', 'the record as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      if (!ObjectId.isValid(id)) throw new UsageError(`not a failed-message id: ${id}`);
      const { config } = loadCliContext('replay');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-replay' });
      try {
        const record = await createFailedMessageRepository(mongo.db).findById(id);
        if (!record) throw new UsageError(`no failed message ${id}`);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
          return;
        }
        process.stdout.write(describeRecord(record, (workflowId, runId) => workflowUrl(config.temporal, workflowId, runId)));
      } finally {
        await mongo.client.close();
      }
    });

  selection(replay.command('run').description('re-run failed messages (by id, filter, or --all), newest first'))
    .option('--all', 'every failed message (up to --limit)')
    .action(async (options: SelectionOptions) => {
      if (!options.all && !options.id && !options.step && !options.errorType && !options.job && !options.since && !options.until) {
        throw new UsageError('say which failed messages to replay: --id, --step, --error-type, --job, --since/--until, or --all');
      }
      const { config } = loadCliContext('replay');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-replay' });
      const client = await connectTemporalClient(config.temporal);
      try {
        const failedMessages = createFailedMessageRepository(mongo.db);
        const query = await parseSelection(options, mongo.db);
        const page = await failedMessages.page(options.id ? query : { ...query, status: 'failed' });
        const items = await replayRecords({ client, config, failedMessages }, page.records);
        for (const item of items) {
          process.stdout.write(
            `${item.failedMessageId}  ${item.result}${item.reason ? ` (${item.reason})` : ''}  ${workflowUrl(config.temporal, item.workflowId, item.runId)}\n`,
          );
        }
        const started = items.filter((item) => item.result === 'started').length;
        const more = page.next ? ` (more match: raise --limit or run again)` : '';
        process.stdout.write(`${started} of ${items.length} matching replayed${more}; \`crawlflow replay show ID\` shows how each ends\n`);
        if (items.some((item) => item.result === 'start_failed')) process.exitCode = 1;
      } finally {
        await closeTemporalClient(client);
        await mongo.client.close();
      }
    });
}

export function describeRecord(record: FailedMessageDocument, url: (workflowId: string, runId?: string) => string): string {
  const summary = record.envelope?.summary;
  const lines = [
    `failed message ${record._id.toHexString()}  ${record.status}`,
    `  at        ${record.failedAt.toISOString()}`,
    `  step      ${record.step}`,
    `  error     ${visibleText(`${record.errorType}: ${record.error}`)}`,
    `  workflow  ${record.workflowId}${record.batchWorkflowId ? ` (in window ${record.batchWorkflowId})` : ''}`,
    `  run       ${url(record.batchWorkflowId ?? record.workflowId, record.runId)}`,
  ];
  if (summary) {
    const parts = [
      summary.messageId !== undefined ? `id=${summary.messageId}` : '',
      summary.type !== undefined ? `type=${String(summary.type)}` : '',
      summary.url ? `url=${summary.url}` : '',
      summary.taskId ? `task=${summary.taskId}` : '',
      summary.job ? `job=${summary.job}` : '',
      `source=${summary.source}`,
    ];
    lines.push(`  message   ${visibleText(parts.filter(Boolean).join(' '))}`);
  }
  if (record.replayOf) lines.push(`  replay of ${record.replayOf.toHexString()}`);
  if (record.replays.length === 0) lines.push('  replays   none');
  for (const replay of record.replays) {
    lines.push(`  replay    ${replay.at.toISOString()}  ${replay.outcome ?? 'running'}${replay.error ? ` (${visibleText(replay.error, 200)})` : ''}  ${url(replay.workflowId, replay.runId)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function parseSelection(options: SelectionOptions, db: import('mongodb').Db): Promise<FailedMessagePageQuery> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit must be a whole number from 1 to 10000, got ${options.limit}`);
  const query: FailedMessagePageQuery = { limit };
  if (options.id) {
    const bad = options.id.filter((id) => !ObjectId.isValid(id));
    if (bad.length > 0) throw new UsageError(`not a failed-message id: ${bad.join(', ')}`);
    query.ids = options.id.map((id) => new ObjectId(id));
  }
  if (options.step) {
    if (!(Object.values(FailureStep) as string[]).includes(options.step)) {
      throw new UsageError(`unknown step ${options.step}: choose ${Object.values(FailureStep).join(', ')}`);
    }
    query.steps = [options.step as FailureStep];
  }
  if (options.status) {
    if (!(STATUSES as readonly string[]).includes(options.status)) throw new UsageError(`unknown status ${options.status}: choose ${STATUSES.join(', ')}`);
    query.status = options.status as FailedMessageDocument['status'];
  }
  if (options.errorType) query.errorType = options.errorType;
  if (options.job) {
    const job = await createJobRepository(db).findByName(options.job);
    if (!job) throw new UsageError(`no job named "${options.job}" (crawlflow job list)`);
    query.job = job.id.toHexString();
  }
  if (options.since) query.since = parseTime(options.since, '--since');
  if (options.until) query.until = parseTime(options.until, '--until');
  if (options.before) {
    if (!ObjectId.isValid(options.before)) throw new UsageError(`--before is not a failed-message id: ${options.before}`);
    query.before = new ObjectId(options.before);
  }
  return query;
}
