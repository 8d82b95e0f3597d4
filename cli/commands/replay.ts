import type { Command } from 'commander';
import { ObjectId } from 'mongodb';
import { FailureStep } from '../../common/pipeline';
import { connectMongo } from '../../domain/mongo/client';
import { createFailedMessageRepository, type FailedMessageQuery } from '../../domain/pipeline/failed-messages';
import { closeTemporalClient, connectTemporalClient, workflowUrl } from '../../domain/temporal/connection';
import { replayFailedMessages } from '../../starters/replay';
import { loadCliContext, UsageError } from '../context';

interface SelectionOptions {
  id?: string[];
  step?: string;
  since?: string;
  until?: string;
  limit: string;
  all?: boolean;
}

export function registerReplayCommand(program: Command): void {
  const replay = program.command('replay').description('list failed messages and re-run them');
  const selection = (command: Command) =>
    command
      .option('--id <ids...>', 'failed-message ids (from `crawlflow replay list`)')
      .option('--step <step>', `only failures of one step: ${Object.values(FailureStep).join(', ')}`)
      .option('--since <time>', 'only failures at or after this time (ISO 8601, e.g. 2026-11-23T10:00)')
      .option('--until <time>', 'only failures at or before this time')
      .option('--limit <n>', 'at most this many', '100');

  selection(replay.command('list').description('list failed messages, newest first')).action(async (options: SelectionOptions) => {
    const { config } = loadCliContext('replay');
    const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-replay' });
    try {
      const records = await createFailedMessageRepository(mongo.db).find(parseSelection(options));
      if (records.length === 0) process.stdout.write('no failed messages match\n');
      for (const record of records) {
        const replays = record.replays.length > 0 ? ` replays=${record.replays.length} last=${record.replays.at(-1)?.outcome ?? 'running'}` : '';
        process.stdout.write(
          `${record._id.toHexString()}  ${record.failedAt.toISOString()}  ${record.step.padEnd(7)} ${record.status.padEnd(9)} ${record.errorType}: ${record.error.slice(0, 100)}${replays}\n` +
            `    ${workflowUrl(config.temporal, record.workflowId)}\n`,
        );
      }
    } finally {
      await mongo.client.close();
    }
  });

  selection(replay.command('run').description('re-run failed messages (by id, step, time range, or --all)'))
    .option('--all', 'every failed message (up to --limit)')
    .action(async (options: SelectionOptions) => {
      const query = parseSelection(options);
      if (!options.all && !options.id && !options.step && !options.since && !options.until) {
        throw new UsageError('say which failed messages to replay: --id, --step, --since/--until, or --all');
      }
      const { config } = loadCliContext('replay');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-replay' });
      const client = await connectTemporalClient(config.temporal);
      try {
        const items = await replayFailedMessages({ client, config, failedMessages: createFailedMessageRepository(mongo.db) }, query);
        for (const item of items) {
          process.stdout.write(
            `${item.failedMessageId}  ${item.result}${item.reason ? ` (${item.reason})` : ''}  ${workflowUrl(config.temporal, item.workflowId, item.runId)}\n`,
          );
        }
        const started = items.filter((item) => item.result === 'started').length;
        process.stdout.write(`${started} of ${items.length} replayed; \`crawlflow replay list\` shows how they end\n`);
        if (items.some((item) => item.result === 'start_failed')) process.exitCode = 1;
      } finally {
        await closeTemporalClient(client);
        await mongo.client.close();
      }
    });
}

function parseSelection(options: SelectionOptions): FailedMessageQuery {
  const query: FailedMessageQuery = { limit: Number(options.limit) };
  if (!Number.isInteger(query.limit) || (query.limit ?? 0) < 1) throw new UsageError(`--limit must be a positive whole number, got ${options.limit}`);
  if (options.id) {
    const bad = options.id.filter((id) => !ObjectId.isValid(id));
    if (bad.length > 0) throw new UsageError(`not a failed-message id: ${bad.join(', ')}`);
    query.ids = options.id;
  }
  if (options.step) {
    if (!(Object.values(FailureStep) as string[]).includes(options.step)) {
      throw new UsageError(`unknown step ${options.step}: choose ${Object.values(FailureStep).join(', ')}`);
    }
    query.step = options.step as FailureStep;
  }
  for (const field of ['since', 'until'] as const) {
    const value = options[field];
    if (value === undefined) continue;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw new UsageError(`--${field} is not a time: ${value}`);
    query[field] = date;
  }
  return query;
}
