import type { Command } from 'commander';
import { ObjectId } from 'mongodb';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { visibleText } from '../../domain/pipeline/byte-preview';
import { createFailedMessageRepository } from '../../store/failed-messages';
import { createStore } from '../../store/store';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { replayRecords, retryTask } from '../../starters/replay';
import { createTemporalLinks } from '../../processes/web/links';
import { buildTaskStory } from '../../processes/web/task-story';
import type { Config } from '../../infra/config/config';
import { loadCliContext, UsageError } from '../context';

/** A crawler task's story and "retry" (the page's task view): `crawlflow task show|retry ID`. */
export function registerTaskCommand(program: Command): void {
  const task = program.command('task').description("a crawler task's story (status history, URI-log rows, failures, replays) and retrying a failed download");

  task
    .command('show <id>')
    .description('what happened to one crawler task, oldest first, with links to its runs')
    .option('--json', 'the story as JSON (as GET /api/tasks/:id)')
    .action(async (id: string, options: { json?: boolean }) =>
      withMongo(id, async ({ config, mongo, taskId }) => {
        const story = await storyOf(config, mongo, taskId);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(story, null, 2)}\n`);
          return;
        }
        process.stdout.write(formatStory(story));
      }),
    );

  task
    .command('retry <id>')
    .description('feed a task whose download failed to the pipeline again (its recorded failure is replayed)')
    .action(async (id: string) =>
      withMongo(id, async ({ config, mongo, taskId }) => {
        const store = createStore(mongo.db);
        const failedMessages = createFailedMessageRepository(mongo.db);
        const client = await connectTemporalClient(config.temporal);
        try {
          const retry = await retryTask({ tasks: store.tasks, failedMessages, replay: (records) => replayRecords({ client, config, failedMessages }, records) }, taskId);
          if (!retry.ok) throw new UsageError(retry.reason);
          const { item } = retry;
          process.stdout.write(`${id}  ${item.result}${item.reason ? ` (${item.reason})` : ''}  ${createTemporalLinks(config.temporal).run(item.workflowId, item.runId)}\n`);
          if (item.result !== 'started') process.exitCode = 1;
          else process.stdout.write(`\`crawlflow task show ${id}\` shows how it ends\n`);
        } finally {
          await closeTemporalClient(client);
        }
      }),
    );
}

type Story = NonNullable<Awaited<ReturnType<typeof buildTaskStory>>>;

async function storyOf(config: Config, mongo: MongoHandle, taskId: ObjectId): Promise<Story> {
  const story = await buildTaskStory(
    { store: createStore(mongo.db), failedMessages: createFailedMessageRepository(mongo.db), links: createTemporalLinks(config.temporal) },
    taskId,
  );
  if (!story) throw new UsageError(`no crawler task ${taskId.toHexString()}`);
  return story;
}

function formatStory(story: Story): string {
  const { task } = story;
  const lines = [
    `task ${task.id}  ${task.status}${story.retryable ? `  (retry: crawlflow task retry ${task.id})` : ''}`,
    `  uri     ${visibleText(task.uri)}`,
    `  job     ${task.jobName ?? '?'}`,
    ...(story.source ? [`  from    ${story.source.source}${story.source.line !== null ? ` line ${story.source.line}` : ''}${story.source.ingest ? ` of ingest ${story.source.ingest}` : ''}`] : []),
    `  runs    ${task.links.run}`,
    '  history',
  ];
  for (const event of story.events) {
    lines.push(`    ${event.at}  ${event.event.padEnd(12)} ${(event.status ?? '').padEnd(15)} ${visibleText(event.detail ?? '', 200)}${event.links.run ? `  ${event.links.run}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

async function withMongo(id: string, work: (context: { config: Config; mongo: MongoHandle; taskId: ObjectId }) => Promise<void>): Promise<void> {
  if (!ObjectId.isValid(id) || id.length !== 24) throw new UsageError(`not a task id (24 hex digits): ${id}`);
  const { config } = loadCliContext('task');
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-task' });
  try {
    await work({ config, mongo, taskId: new ObjectId(id) });
  } finally {
    await mongo.client.close();
  }
}
