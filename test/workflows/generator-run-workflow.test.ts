import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { GeneratorRunOutcome, type GeneratorRunSummary } from '../../activities/generator-run';
import { ErrorType } from '../../common/error-types';
import type { GeneratorRunInput } from '../../workflows/generator-run';
import { uniqueName } from '../../support/isolated-env';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

/** Every branch of `generatorRunWorkflow` with a scripted sandbox activity (own dev server). */

const GENERATOR_ID = '64b000000000000000000001';

function summary(overrides: Partial<GeneratorRunSummary>): GeneratorRunSummary {
  return {
    outcome: GeneratorRunOutcome.Succeeded,
    generatorId: GENERATOR_ID,
    generatorName: 'news-list',
    job: '64b000000000000000000002',
    jobName: 'news',
    logId: '64b0000000000000000000aa',
    new: 3,
    duplicate: 1,
    invalid: 0,
    failed: 0,
    noNewUris: false,
    durationMs: 40,
    ...overrides,
  };
}

interface Alert {
  kind: string;
  summary: string;
  detail: Record<string, unknown>;
  job?: string;
}

describe('generatorRunWorkflow, every branch (own dev server, scripted sandbox activity)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness();
  });
  after(async () => {
    await harness?.close();
  });

  async function run(runGenerator: () => GeneratorRunSummary | Promise<GeneratorRunSummary>) {
    const alerts: Alert[] = [];
    let attempts = 0;
    const activities = {
      runGenerator: async () => {
        attempts += 1;
        return runGenerator();
      },
      recordAlert: async (alert: Alert) => {
        alerts.push(alert);
      },
    };
    return harness.withWorker(activities, async (taskQueue) => {
      const input: GeneratorRunInput = { generatorId: GENERATOR_ID, trigger: 'manual', taskQueues: { sandbox: taskQueue, io: taskQueue }, timeoutSeconds: 30 };
      const handle = await harness.env.client.workflow.start('generatorRunWorkflow', { taskQueue, workflowId: uniqueName('generator-run'), args: [input] });
      let result: GeneratorRunSummary | undefined;
      let failure: WorkflowFailedError | undefined;
      try {
        result = await handle.result();
      } catch (error) {
        if (!(error instanceof WorkflowFailedError)) throw error;
        failure = error;
      }
      const { searchAttributes } = await handle.describe();
      return { result, failure, alerts, attempts, searchAttributes };
    });
  }

  it('a run that stored new URIs: its summary, searchable by generator, job and outcome, no alert', async () => {
    const { result, alerts, searchAttributes } = await run(() => summary({}));
    assert.equal(result?.new, 3);
    assert.equal(alerts.length, 0);
    assert.deepEqual(searchAttributes.CrawlflowSource, ['generator']);
    assert.deepEqual(searchAttributes.CrawlflowGenerator, [GENERATOR_ID]);
    assert.deepEqual(searchAttributes.CrawlflowOutcome, ['succeeded']);
    assert.deepEqual(searchAttributes.CrawlflowJob, [summary({}).job]);
  });

  it('a script that failed is a result, not an error: one generator_failed alert naming the reason, no retry', async () => {
    const { result, alerts, attempts, searchAttributes } = await run(() => summary({ outcome: GeneratorRunOutcome.Failed, new: 0, reason: 'exit code 2\nTraceback…' }));
    assert.equal(result?.outcome, GeneratorRunOutcome.Failed);
    assert.equal(attempts, 1);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.kind, 'generator_failed');
    assert.match(alerts[0]?.summary ?? '', /"news-list" failed: exit code 2$/);
    assert.equal(alerts[0]?.job, 'news');
    assert.deepEqual(searchAttributes.CrawlflowOutcome, ['failed']);
  });

  it('a run that stored nothing new: a generator_no_uris alert with the counts', async () => {
    const { alerts, searchAttributes } = await run(() => summary({ new: 0, duplicate: 5, invalid: 2, noNewUris: true }));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.kind, 'generator_no_uris');
    assert.match(alerts[0]?.summary ?? '', /5 duplicate, 2 invalid/);
    assert.deepEqual(searchAttributes.CrawlflowOutcome, ['no_new_uris']);
  });

  it('the activity failed for good: alerted with the cause, the run fails as GeneratorRunFailed', async () => {
    const { failure, alerts, searchAttributes } = await run(() => {
      throw ApplicationFailure.nonRetryable('bubblewrap is not installed', 'SandboxUnavailable');
    });
    assert.equal((failure?.cause as ApplicationFailure | undefined)?.type, ErrorType.GeneratorRunFailed);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.kind, 'generator_failed');
    assert.match(alerts[0]?.summary ?? '', /could not run: bubblewrap is not installed/);
    assert.deepEqual(searchAttributes.CrawlflowOutcome, ['failed']);
  });
});
