import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { TaskProgress } from '../../activities/task-progress';
import { ErrorType } from '../../common/error-types';
import type { MessageEnvelope } from '../../common/messages';
import { FailureStep, Outcome, type FailureRecord, type FetchRequest, type MessageWorkflowInput, type PublishRequest, type TagRequest, type TagResult } from '../../common/pipeline';
import { loadConfig, type Config } from '../../infra/config/config';
import { MissingPayloadError } from '../../store/payload-store';
import { closeTemporalClient, connectTemporalClient, connectWorkerConnection } from '../../infra/temporal/connection';
import { installTemporalRuntime } from '../../infra/temporal/runtime';
import { pipelineSettings } from '../../starters/message-starter';
import { createWorkflowsWorker } from '../../workers/workflows-worker';
import type { RunnableWorker } from '../../workers/worker-context';
import { requireStack, testEnv, testLogger, uniqueName } from '../../support/stack';

/**
 * The message workflow's own failure handling, on the real dev server with the real workflow
 * code and activities that fail on purpose: what MongoDB or a lost claim check would do,
 * without taking the shared services down.
 */
describe('message workflow: every failure is recorded', () => {
  let config: Config;
  let temporal: Client;
  let connection: NativeConnection;
  let workflows: RunnableWorker;
  let workflowsRunning: Promise<void>;

  before(async () => {
    await requireStack();
    config = loadConfig(testEnv());
    await installTemporalRuntime(testLogger(config));
    temporal = await connectTemporalClient(config.temporal);
    connection = await connectWorkerConnection(config.temporal);
    workflows = await createWorkflowsWorker({ config, logger: testLogger(config), connection });
    workflowsRunning = workflows.run();
  });
  after(async () => {
    workflows?.shutdown();
    await workflowsRunning;
    await workflows?.close();
    await connection?.close();
    if (temporal) await closeTemporalClient(temporal);
  });

  const tagged: TagResult = { tags: [], rulesVersion: 'test', scannedChars: 0, truncated: false, elapsedMs: 1, taggerVersion: 'test' };

  /** Io and cpu activities that record their calls; `overrides` replaces any of them. */
  function fakeActivities(overrides: Record<string, (...args: never[]) => Promise<unknown>> = {}) {
    const calls = { progress: [] as TaskProgress[], failures: [] as FailureRecord[], tag: 0, published: [] as PublishRequest[] };
    const activities = {
      async fetchPages(requests: Array<{ url: string }>) {
        return requests.map((request) => ({ ok: false, url: request.url, errorType: 'NotHtml', message: 'test', elapsedMs: 1 }));
      },
      async tagMessages(requests: TagRequest[]) {
        calls.tag++;
        return requests.map(() => tagged);
      },
      async publishTagged(requests: PublishRequest[]) {
        calls.published.push(...requests);
        return requests.map(() => ({ topic: 't', partition: 0, offset: '0', bytes: 1, truncated: false }));
      },
      async recordFailure(failure: FailureRecord) {
        calls.failures.push(failure);
        return 'f';
      },
      async finishReplay() {},
      async recordTaskProgress(progress: TaskProgress) {
        calls.progress.push(progress);
      },
      ...overrides,
    };
    return { calls, activities };
  }

  async function runMessage(envelope: MessageEnvelope, activities: object): Promise<{ result?: unknown; error?: unknown; workflowId: string }> {
    const workflowId = uniqueName('msg-failures');
    // The io activities are this test's fakes, so the publish runs on the io queue with them
    // (PIPELINE_LOCAL_PUBLISH=false) rather than in the real workflows worker.
    const input: MessageWorkflowInput = { envelope, settings: { ...pipelineSettings(config), publishLocally: false } };
    const workers = await Promise.all(
      [config.temporal.taskQueues.io, config.temporal.taskQueues.cpu].map((taskQueue) => Worker.create({ connection, taskQueue, activities })),
    );
    const run = temporal.workflow.execute('messageWorkflow', { taskQueue: config.temporal.taskQueues.workflows, workflowId, args: [input] });
    const [first, second] = workers as [Worker, Worker];
    try {
      const result = await first.runUntil(second.runUntil(run));
      return { result, workflowId };
    } catch (error) {
      return { error, workflowId };
    }
  }

  const taskEnvelope = (taskId: string): MessageEnvelope => ({
    summary: { messageId: taskId, type: 3, url: 'http://news.example/a', taskId, job: 'news', source: 'crawler_task' },
    body: { inline: JSON.stringify({ id: taskId, type: 3, url: 'http://news.example/a', taskId }) },
    origin: { kind: 'kafka', topic: 'in', partition: 0, offset: '1' },
  });

  it('a crawler task whose progress cannot be recorded is still published, and each lost step is a recorded failure', async () => {
    const taskId = '0123456789abcdef01234567';
    const lost = (step: string) => ({ errorType: 'MongoNetworkError', message: `crawler task ${taskId}: step "${step}" not recorded: connection <monitor> to 127.0.0.1:27017 closed` });
    const fetchRequests: FetchRequest[] = [];
    const { calls, activities } = fakeActivities({
      // What the fetch activity returns once its writes of the task's steps are spent during a MongoDB outage.
      async fetchPages(requests: FetchRequest[]) {
        fetchRequests.push(...requests);
        return requests.map((request) => ({ ok: false, url: request.url, errorType: 'NotHtml', message: 'test', elapsedMs: 1, taskProgressFailures: [lost('started'), lost('fetch_failed')] }));
      },
    });
    const { result, error } = await runMessage(taskEnvelope(taskId), activities);
    assert.equal(error, undefined, `the run completed (got ${String(error)})`);
    assert.equal((result as { outcome: string }).outcome, Outcome.FetchFailed);
    assert.deepEqual(fetchRequests.map((request) => request.taskId), [taskId], 'the fetch writes the task\'s steps');
    assert.equal(calls.progress.length, 0, 'no activity of its own for the task');
    assert.equal(calls.published.length, 1, 'the message was still published');
    assert.equal(calls.published[0]?.taskProgress, undefined, 'a page that was not fetched is never "tagged"');
    const progressFailures = calls.failures.filter((failure) => failure.step === FailureStep.TaskProgress);
    assert.deepEqual(
      progressFailures.map((failure) => [failure.errorType, /step "(\w+)"/.exec(failure.message)?.[1]]),
      [
        ['MongoNetworkError', 'started'],
        ['MongoNetworkError', 'fetch_failed'],
      ],
    );
    assert.match(progressFailures[0]?.message ?? '', new RegExp(`crawler task ${taskId}.*127\\.0\\.0\\.1:27017 closed`));
    assert.ok(calls.failures.some((failure) => failure.step === FailureStep.Fetch), 'the fetch failure is recorded too');
  });

  it('a crawler task\'s later steps ride on the publish ("tagged") and on the failure record ("tag_failed")', async () => {
    const taskId = '0123456789abcdef01234568';
    const fetched = (request: FetchRequest) => ({
      ok: true, url: request.url, finalUrl: request.url, status: 200, via: 'spider', html: { inline: '<p>x</p>' }, text: { inline: 'x' }, htmlBytes: 8, textChars: 1, truncated: false, elapsedMs: 1,
    });
    const published = fakeActivities({ fetchPages: async (requests: FetchRequest[]) => requests.map(fetched) });
    assert.equal((await runMessage(taskEnvelope(taskId), published.activities)).error, undefined);
    assert.deepEqual(published.calls.published[0]?.taskProgress, [{ taskId, step: 'tagged' }]);

    const untaggable = fakeActivities({
      fetchPages: async (requests: FetchRequest[]) => requests.map(fetched),
      async tagMessages() {
        throw ApplicationFailure.nonRetryable('not taggable', ErrorType.UntaggableMessage);
      },
    });
    await runMessage(taskEnvelope(taskId), untaggable.activities);
    const tagFailure = untaggable.calls.failures.find((failure) => failure.step === FailureStep.Tag);
    assert.deepEqual(tagFailure?.taskProgress, [{ taskId, step: 'tag_failed' }]);
    assert.equal(untaggable.calls.progress.length + published.calls.progress.length, 0, 'no activity of its own for the task');
  });

  it('a claim check that is gone fails tagging at the first attempt, recorded with its type', async () => {
    const { calls, activities } = fakeActivities({
      async tagMessages() {
        calls.tag++;
        throw new MissingPayloadError('0'.repeat(64));
      },
    });
    const envelope: MessageEnvelope = {
      summary: { messageId: 'gone', type: 1, source: 'kafka' },
      body: { ref: '0'.repeat(64), bytes: 40_000 },
      origin: { kind: 'kafka', topic: 'in', partition: 0, offset: '2' },
    };
    const { error } = await runMessage(envelope, activities);
    assert.ok(error instanceof WorkflowFailedError, `the run failed (got ${String(error)})`);
    assert.equal(calls.tag, 1, 'not retried');
    assert.deepEqual(
      calls.failures.map((failure) => [failure.step, failure.errorType]),
      [[FailureStep.Tag, ErrorType.MissingPayload]],
    );
  });
});
