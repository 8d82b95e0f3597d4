/**
 * Records the histories the replay test replays (test/fixtures/histories/*.json): each
 * branch of the message and generator-run workflows, run by the code as it is now.
 *
 *   npx tsx test/workflows/record-histories.ts
 *
 * Record anew only to add a branch. The point of the fixtures is that they were made by the
 * code of an earlier day: a change that replays them differently would break the runs that are
 * in flight when it is deployed, so it needs `patched()` (or a new workflow type), not a new
 * recording. Each file is named after the branch it took.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { GeneratorRunOutcome, type GeneratorRunSummary } from '../../activities/generator-run';
import { ErrorType } from '../../common/error-types';
import { uniqueName } from '../../support/isolated-env';
import { stack } from '../../stack/stack';
import type { GeneratorRunInput } from '../../workflows/generator-run';
import { startWorkflowHarness, type WorkflowHarness } from './harness';
import { PUBLISHED, envelope, runScriptedMessage } from './scripted-message';

const FIXTURES = join(__dirname, '..', 'fixtures', 'histories');
const TASK_ID = '64b000000000000000000003';

async function generatorRun(harness: WorkflowHarness, runGenerator: () => GeneratorRunSummary): Promise<string> {
  const activities = { runGenerator: async () => runGenerator(), recordAlert: async () => undefined };
  return harness.withWorker(activities, async (taskQueue) => {
    const input: GeneratorRunInput = { generatorId: '64b000000000000000000001', trigger: 'schedule', taskQueues: { sandbox: taskQueue, io: taskQueue }, timeoutSeconds: 30 };
    const handle = await harness.env.client.workflow.start('generatorRunWorkflow', { taskQueue, workflowId: uniqueName('generator-run'), args: [input] });
    await handle.result();
    return handle.workflowId;
  });
}

function generatorSummary(overrides: Partial<GeneratorRunSummary>): GeneratorRunSummary {
  return { outcome: GeneratorRunOutcome.Succeeded, generatorId: '64b000000000000000000001', generatorName: 'news-list', new: 3, duplicate: 0, invalid: 0, failed: 0, noNewUris: false, durationMs: 5, ...overrides };
}

async function main(): Promise<void> {
  const harness = await startWorkflowHarness();
  try {
    const runs: Record<string, string> = {
      'message-link-published': (await runScriptedMessage(harness, { envelope: envelope({ type: 3, url: 'https://example.com/a' }) })).workflowId,
      'message-fetch-failed': (
        await runScriptedMessage(
          harness,
          { envelope: envelope({ type: 3, url: 'https://example.com/404', taskId: TASK_ID }) },
          { fetchPages: (requests) => requests.map((request) => ({ ok: false, url: request.url, errorType: 'HttpStatus', message: 'HTTP 404', elapsedMs: 4 })) },
        )
      ).workflowId,
      'message-task-tag-failed': (
        await runScriptedMessage(
          harness,
          { envelope: envelope({ type: 1, taskId: TASK_ID }) },
          {
            tagMessages: () => {
              throw ApplicationFailure.nonRetryable('not a JSON object', ErrorType.UntaggableMessage);
            },
          },
        )
      ).workflowId,
      'message-task-progress-lost': (
        await runScriptedMessage(
          harness,
          { envelope: envelope({ type: 1, taskId: TASK_ID }) },
          { publishTagged: (requests) => requests.map(() => ({ ...PUBLISHED, taskProgressFailures: [{ errorType: 'MongoServerError', message: 'write refused' }] })) },
        )
      ).workflowId,
      'message-replay-publish-failed': (
        await runScriptedMessage(
          harness,
          { envelope: envelope({ type: 1 }), replayOf: '64b0000000000000000000aa' },
          {
            publishTagged: () => {
              throw ApplicationFailure.nonRetryable('too large', ErrorType.OutputTooLarge);
            },
          },
        )
      ).workflowId,
      'generator-run-succeeded': await generatorRun(harness, () => generatorSummary({})),
      'generator-run-no-new-uris': await generatorRun(harness, () => generatorSummary({ new: 0, duplicate: 4, noNewUris: true })),
    };
    // The SDK's historyToJSON trips over two protobufjs copies here; the CLI writes the same
    // proto JSON that `temporal workflow show --output json` gives an operator.
    const temporal = join(stack.paths.bin, 'temporal');
    for (const [name, workflowId] of Object.entries(runs)) {
      const json = execFileSync(temporal, ['workflow', 'show', '--address', harness.env.address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
      const history = JSON.parse(json) as { events: unknown[] };
      writeFileSync(join(FIXTURES, `${name}.json`), `${JSON.stringify(history, null, 1)}\n`);
      console.log(`recorded ${name}: ${history.events.length} events`);
    }
  } finally {
    await harness.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
