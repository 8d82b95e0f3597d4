import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../common/error-types';
import { FailureStep, Outcome } from '../../common/pipeline';
import { startWorkflowHarness, type WorkflowHarness } from './harness';
import { PUBLISHED, envelope, fetchedPage, runScriptedMessage, type MessageRun, type MessageScript, type ScriptedMessageInput } from './scripted-message';

/**
 * Every branch of `messageWorkflow`, on a dev server of the test's own with activities the
 * test controls: what each step gets, which failure is recorded, what the run ends with.
 * The activities themselves are tested against the real services elsewhere (test/pipeline).
 */

describe('messageWorkflow, every branch (own dev server, scripted activities)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness();
  });
  after(async () => {
    await harness?.close();
  });

  const run = (input: ScriptedMessageInput, script: MessageScript = {}) =>
    runScriptedMessage(harness, input, script);

  /** What a run cost the server: workflow tasks, activity tasks, local-activity markers. */
  const tasksOf = (history: MessageRun['history']) => {
    const events = history.events ?? [];
    return {
      workflowTasks: events.filter((event) => event.workflowTaskCompletedEventAttributes).length,
      activityTasks: events.filter((event) => event.activityTaskScheduledEventAttributes).length,
      localActivities: events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
    };
  };

  it('link message: fetch → tag with the page text → publish, nothing recorded', async () => {
    const { result, calls, outcomeAttribute } = await run({ envelope: envelope({ type: 3, url: 'https://example.com/a' }) });
    assert.equal(result?.outcome, Outcome.Published);
    assert.deepEqual(result?.tags, ['news']);
    assert.deepEqual(calls.fetchPages, [[{ url: 'https://example.com/a' }]]);
    assert.deepEqual(calls.tagMessages[0]?.[0]?.text, { inline: 'hello' });
    assert.equal(calls.publishTagged[0]?.[0]?.page?.url, 'https://example.com/a');
    assert.equal(calls.recordFailure.length, 0);
    assert.equal(outcomeAttribute, Outcome.Published);
  });

  it('a message that is not a link is tagged and published without a fetch', async () => {
    const { result, calls } = await run({ envelope: envelope({ type: 1 }) });
    assert.equal(result?.outcome, Outcome.Published);
    assert.equal(calls.fetchPages.length, 0);
    assert.equal(calls.tagMessages[0]?.[0]?.text, undefined);
  });

  it('fetch failed for good (an item of the result): tagged and published empty, the fetch failure recorded', async () => {
    const { result, calls, outcomeAttribute } = await run(
      { envelope: envelope({ type: 3, url: 'https://example.com/404' }) },
      { fetchPages: (requests) => requests.map((request) => ({ ok: false, url: request.url, errorType: 'HttpStatus', message: 'HTTP 404', elapsedMs: 4 })) },
    );
    assert.equal(result?.outcome, Outcome.FetchFailed);
    assert.equal(calls.tagMessages[0]?.[0]?.text, undefined, 'no page text is tagged');
    assert.deepEqual(calls.publishTagged[0]?.[0]?.fetchFailure, { errorType: 'HttpStatus', message: 'HTTP 404', elapsedMs: 4 });
    assert.equal(calls.recordFailure.length, 1);
    assert.equal(calls.recordFailure[0]?.step, FailureStep.Fetch);
    assert.equal(calls.recordFailure[0]?.errorType, 'HttpStatus');
    assert.equal(outcomeAttribute, Outcome.FetchFailed);
  });

  it('fetch activity failed (retries spent): published empty, the task marked download failed on the publish', async () => {
    const taskId = '64b000000000000000000001';
    const { result, calls } = await run(
      { envelope: envelope({ type: 3, url: 'https://example.com/down', taskId }) },
      {
        fetchPages: () => {
          throw ApplicationFailure.nonRetryable('connect ECONNREFUSED', 'NetworkError');
        },
      },
    );
    assert.equal(result?.outcome, Outcome.FetchFailed);
    assert.equal(calls.fetchPages.length, 1, 'a non-retryable failure is not retried');
    const progress = calls.publishTagged[0]?.[0]?.taskProgress ?? [];
    assert.equal(progress.length, 1);
    assert.equal(progress[0]?.step, 'fetch_failed');
    assert.match(progress[0]?.step === 'fetch_failed' ? progress[0].reason : '', /NetworkError: connect ECONNREFUSED/);
    assert.equal(calls.recordFailure[0]?.step, FailureStep.Fetch);
    assert.equal(calls.recordFailure[0]?.errorType, 'NetworkError');
  });

  it('tag failed: recorded with the task marked analysis failed, the run fails as TagFailed, nothing published', async () => {
    const taskId = '64b000000000000000000002';
    const { result, failure, calls, outcomeAttribute } = await run(
      { envelope: envelope({ type: 1, taskId }) },
      {
        tagMessages: () => {
          throw ApplicationFailure.nonRetryable('not a JSON object', ErrorType.UntaggableMessage);
        },
      },
    );
    assert.equal(result, undefined);
    assert.equal((failure?.cause as ApplicationFailure | undefined)?.type, ErrorType.TagFailed);
    assert.equal(calls.publishTagged.length, 0);
    assert.equal(calls.recordFailure.length, 1);
    assert.equal(calls.recordFailure[0]?.step, FailureStep.Tag);
    assert.equal(calls.recordFailure[0]?.errorType, ErrorType.UntaggableMessage);
    assert.deepEqual(
      calls.recordFailure[0]?.taskProgress?.map((step) => step.step),
      ['started', 'tag_failed'],
    );
    assert.equal(outcomeAttribute, Outcome.TagFailed);
  });

  it('a tagger that returns no result breaks its contract: recorded as TaggerContract', async () => {
    const { failure, calls } = await run({ envelope: envelope({ type: 1 }) }, { tagMessages: () => [] });
    assert.equal((failure?.cause as ApplicationFailure | undefined)?.type, ErrorType.TagFailed);
    assert.equal(calls.recordFailure[0]?.errorType, ErrorType.TaggerContract);
  });

  it('output too large: recorded as a publish failure, the run fails as PublishFailed', async () => {
    const { failure, calls, outcomeAttribute } = await run(
      { envelope: envelope({ type: 3, url: 'https://example.com/huge' }) },
      {
        publishTagged: () => {
          throw ApplicationFailure.nonRetryable('the tagged message is 2000000 bytes, over 1048576', ErrorType.OutputTooLarge);
        },
      },
    );
    assert.equal((failure?.cause as ApplicationFailure | undefined)?.type, ErrorType.PublishFailed);
    assert.equal(calls.publishTagged.length, 1, 'OutputTooLarge is not retried');
    assert.equal(calls.recordFailure.length, 1);
    assert.equal(calls.recordFailure[0]?.step, FailureStep.Publish);
    assert.equal(calls.recordFailure[0]?.errorType, ErrorType.OutputTooLarge);
    assert.equal(outcomeAttribute, Outcome.PublishFailed);
  });

  it('publish failed with a missing claim check: not retried, recorded', async () => {
    const { failure, calls } = await run(
      { envelope: envelope({ type: 1 }) },
      {
        publishTagged: () => {
          throw ApplicationFailure.create({ message: 'payload p1 is gone', type: ErrorType.MissingPayload });
        },
      },
    );
    assert.equal((failure?.cause as ApplicationFailure | undefined)?.type, ErrorType.PublishFailed);
    assert.equal(calls.publishTagged.length, 1, 'MissingPayload is in nonRetryableErrorTypes');
    assert.equal(calls.recordFailure[0]?.errorType, ErrorType.MissingPayload);
  });

  it('crawler task (not a link): started and tagged ride on the publish; a lost step is recorded, the message still published', async () => {
    const taskId = '64b000000000000000000003';
    const { result, calls } = await run(
      { envelope: envelope({ type: 1, taskId }) },
      { publishTagged: (requests) => requests.map(() => ({ ...PUBLISHED, taskProgressFailures: [{ errorType: 'MongoServerError', message: 'write refused' }] })) },
    );
    assert.equal(result?.outcome, Outcome.Published);
    assert.deepEqual(
      calls.publishTagged[0]?.[0]?.taskProgress?.map((step) => step.step),
      ['started', 'tagged'],
    );
    assert.equal(calls.recordFailure.length, 1);
    assert.equal(calls.recordFailure[0]?.step, FailureStep.TaskProgress);
    assert.equal(calls.recordFailure[0]?.errorType, 'MongoServerError');
  });

  it('crawler task behind a link: the fetch carries the task, a page that failed is not marked tagged', async () => {
    const taskId = '64b000000000000000000004';
    const { calls } = await run(
      { envelope: envelope({ type: 3, url: 'https://example.com/t', taskId }) },
      { fetchPages: (requests) => requests.map((request) => ({ ok: false, url: request.url, errorType: 'HttpStatus', message: 'HTTP 500', elapsedMs: 1 })) },
    );
    assert.deepEqual(calls.fetchPages[0], [{ url: 'https://example.com/t', taskId }]);
    assert.equal(calls.publishTagged[0]?.[0]?.taskProgress, undefined, 'the fetch wrote "download failed" itself; no "tagged" follows');
  });

  it('publishing as a local activity (PIPELINE_LOCAL_PUBLISH): the same outcome and calls, one workflow task and one activity task fewer', async () => {
    const message = envelope({ type: 3, url: 'https://example.com/local' });
    const remote = await run({ envelope: message, publishLocally: false });
    const local = await run({ envelope: message, publishLocally: true });
    for (const one of [remote, local]) {
      assert.equal(one.result?.outcome, Outcome.Published);
      assert.equal(one.calls.publishTagged.length, 1);
      assert.equal(one.outcomeAttribute, Outcome.Published);
    }
    assert.deepEqual(local.calls.publishTagged[0]?.[0]?.tagging, remote.calls.publishTagged[0]?.[0]?.tagging);
    const before = tasksOf(remote.history);
    assert.deepEqual(tasksOf(local.history), {
      workflowTasks: before.workflowTasks - 1,
      activityTasks: before.activityTasks - 1,
      localActivities: 1,
    });
    const events = (one: MessageRun) => one.history.events?.length ?? 0;
    assert.ok(events(local) < events(remote), `fewer history events (${events(remote)} → ${events(local)})`);
  });

  it('fetching as a local activity too (PIPELINE_LOCAL_FETCH): the same calls and output, one more workflow task and activity task fewer', async () => {
    const message = envelope({ type: 3, url: 'https://example.com/local-fetch' });
    const remoteFetch = await run({ envelope: message, publishLocally: true, fetchLocally: false });
    const localFetch = await run({ envelope: message, publishLocally: true, fetchLocally: true });
    for (const one of [remoteFetch, localFetch]) {
      assert.equal(one.result?.outcome, Outcome.Published);
      assert.deepEqual(one.calls.fetchPages, [[{ url: 'https://example.com/local-fetch' }]]);
      assert.equal(one.outcomeAttribute, Outcome.Published);
    }
    assert.deepEqual(localFetch.calls.tagMessages, remoteFetch.calls.tagMessages, 'the tagger got the same page text');
    assert.deepEqual(localFetch.calls.publishTagged[0]?.[0]?.page, remoteFetch.calls.publishTagged[0]?.[0]?.page);
    const before = tasksOf(remoteFetch.history);
    assert.deepEqual(tasksOf(localFetch.history), {
      workflowTasks: before.workflowTasks - 1,
      activityTasks: before.activityTasks - 1,
      localActivities: 2,
    });
    const scheduled = (localFetch.history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    assert.deepEqual(scheduled, ['tagMessages'], 'only tagging is left to a remote worker (the cpu queue)');
  });

  it('a local fetch is retried in place; one that fails for good is published empty and recorded, as a remote one is', async () => {
    let attempts = 0;
    const retried = await run(
      { envelope: envelope({ type: 3, url: 'https://example.com/flaky' }), fetchLocally: true },
      {
        fetchPages: (requests) => {
          attempts++;
          if (attempts === 1) throw ApplicationFailure.create({ message: 'HTTP 503', type: 'HttpStatus' });
          return requests.map((request) => fetchedPage(request.url));
        },
      },
    );
    assert.equal(retried.result?.outcome, Outcome.Published);
    assert.equal(retried.calls.fetchPages.length, 2, 'the retryable failure was retried');
    assert.equal(retried.calls.recordFailure.length, 0);

    const taskId = '64b000000000000000000003';
    const down = await run(
      { envelope: envelope({ type: 3, url: 'https://example.com/down', taskId }), fetchLocally: true },
      {
        fetchPages: () => {
          throw ApplicationFailure.nonRetryable('connect ECONNREFUSED', 'NetworkError');
        },
      },
    );
    assert.equal(down.result?.outcome, Outcome.FetchFailed);
    assert.equal(down.calls.fetchPages.length, 1, 'a non-retryable failure is not retried locally either');
    assert.equal(down.calls.publishTagged[0]?.[0]?.taskProgress?.[0]?.step, 'fetch_failed');
    assert.equal(down.calls.recordFailure[0]?.step, FailureStep.Fetch);
    assert.equal(down.calls.recordFailure[0]?.errorType, 'NetworkError');
  });

  it('a local publish that fails is retried in place; one that can never pass is recorded once, as a remote one is', async () => {
    let attempts = 0;
    const retried = await run(
      { envelope: envelope({ type: 1 }), publishLocally: true },
      {
        publishTagged: (requests) => {
          attempts++;
          if (attempts === 1) throw ApplicationFailure.create({ message: 'broker not available', type: 'KafkaUnreachable' });
          return requests.map(() => PUBLISHED);
        },
      },
    );
    assert.equal(retried.result?.outcome, Outcome.Published);
    assert.equal(retried.calls.publishTagged.length, 2, 'the retryable failure was retried');
    assert.equal(retried.calls.recordFailure.length, 0);

    const gone = await run(
      { envelope: envelope({ type: 1 }), publishLocally: true },
      {
        publishTagged: () => {
          throw ApplicationFailure.create({ message: 'payload p1 is gone', type: ErrorType.MissingPayload });
        },
      },
    );
    assert.equal((gone.failure?.cause as ApplicationFailure | undefined)?.type, ErrorType.PublishFailed);
    assert.equal(gone.calls.publishTagged.length, 1, 'MissingPayload is not retried locally either');
    assert.equal(gone.calls.recordFailure[0]?.step, FailureStep.Publish);
    assert.equal(gone.calls.recordFailure[0]?.errorType, ErrorType.MissingPayload);
  });

  it('replay: the run reports its outcome to the failure record it replays, success and failure alike', async () => {
    const replayOf = '64b0000000000000000000aa';
    const ok = await run({ envelope: envelope({ type: 1 }), replayOf });
    assert.deepEqual(ok.calls.finishReplay.map(({ replayOf: of, outcome }) => ({ of, outcome })), [{ of: replayOf, outcome: Outcome.Published }]);

    const failed = await run(
      { envelope: envelope({ type: 1 }), replayOf },
      {
        tagMessages: () => {
          throw ApplicationFailure.nonRetryable('still untaggable', ErrorType.UntaggableMessage);
        },
      },
    );
    assert.equal(failed.calls.recordFailure[0]?.replayOf, replayOf, 'a failed replay is recorded as a replay');
    assert.equal(failed.calls.finishReplay[0]?.outcome, Outcome.TagFailed);
    assert.match(failed.calls.finishReplay[0]?.error ?? '', /still untaggable/);
  });
});
