import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FailureActivities } from '../activities/failures';
import type { FetchActivities } from '../activities/fetch';
import type { PublishActivities } from '../activities/publish';
import type { TagActivities } from '../activities/tag';
import type { TaskProgress, TaskProgressActivities } from '../activities/task-progress';
import { ErrorType } from '../common/error-types';
import { isLinkMessage } from '../common/messages';
import {
  FailureStep,
  Outcome,
  type FetchedPage,
  type MessageWorkflowInput,
  type MessageWorkflowResult,
  type TagResult,
} from '../common/pipeline';
import { SearchAttributeKeys } from '../common/search-attributes';

/**
 * One Kafka message: fetch its page (link messages only) → tag it on the cpu queue →
 * publish it. As in the seed, a page that cannot be fetched still gets tagged and published
 * with empty content; that and every other failure is recorded and alerted.
 */
export async function messageWorkflow(input: MessageWorkflowInput): Promise<MessageWorkflowResult> {
  const { envelope, settings } = input;
  const { workflowId, runId } = workflowInfo();
  const startedAt = new Date();

  const { fetchPages } = proxyActivities<FetchActivities>({
    taskQueue: settings.taskQueues.io,
    // One attempt may take the whole spider timeout; allow some slack for extraction and storage.
    startToCloseTimeout: `${settings.fetchTimeoutSeconds + 15}s`,
    heartbeatTimeout: '20s',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: settings.fetchMaxAttempts,
      nonRetryableErrorTypes: [ErrorType.MissingPayload],
    },
  });
  const { tagMessages } = proxyActivities<TagActivities>({
    taskQueue: settings.taskQueues.cpu,
    // Tagging one (capped) message takes milliseconds: a worker that died is noticed fast.
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      maximumInterval: '30s',
      maximumAttempts: 5,
      nonRetryableErrorTypes: [ErrorType.UntaggableMessage, ErrorType.MissingPayload],
    },
  });
  const { publishTagged } = proxyActivities<PublishActivities>({
    taskQueue: settings.taskQueues.io,
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: 10,
      // A claim check that is gone stays gone: retrying only delays the failure record.
      nonRetryableErrorTypes: [ErrorType.MissingPayload],
    },
  });
  const { recordFailure, finishReplay } = proxyActivities<FailureActivities>({
    taskQueue: settings.taskQueues.io,
    startToCloseTimeout: '30s',
    // Recording a failure must not be lost to a MongoDB hiccup: keep trying.
    retry: { initialInterval: '1s', maximumInterval: '1m' },
  });

  const { recordTaskProgress } = proxyActivities<TaskProgressActivities>({
    taskQueue: settings.taskQueues.io,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 20 },
  });
  const fail = async (step: FailureStep, errorType: string, message: string) => {
    await recordFailure({
      workflowId,
      runId,
      step,
      envelope,
      errorType,
      message,
      ...(input.replayOf ? { replayOf: input.replayOf } : {}),
    });
  };
  const finish = async (outcome: Outcome, error?: string) => {
    upsertSearchAttributes([{ key: SearchAttributeKeys.outcome, value: outcome }]);
    if (input.replayOf) await finishReplay({ replayOf: input.replayOf, workflowId, outcome, ...(error ? { error } : {}) });
  };

  // Messages that stand for a crawler task (seed 001) keep its status and URI log current.
  // That bookkeeping never stops the message: when MongoDB stays away past the retries, the
  // failure is recorded and alerted (recordFailure waits for MongoDB itself) and the message
  // goes on to be tagged and published.
  const taskId = envelope.summary.taskId;
  const progress = async (step: DistributiveOmit<TaskProgress, 'taskId'>) => {
    if (taskId === undefined) return;
    try {
      await recordTaskProgress({ taskId, ...step } as TaskProgress);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const { type, message } = describeFailure(error);
      await fail(FailureStep.TaskProgress, type, `crawler task ${taskId}: step "${step.step}" not recorded: ${message}`);
    }
  };

  // 1. Fetch
  let page: FetchedPage | undefined;
  let fetchFailure: { errorType: string; message: string; elapsedMs: number } | undefined;
  const fetchStarted = Date.now();
  await progress({ step: 'started' });
  if (isLinkMessage(envelope.summary)) {
    const url = envelope.summary.url as string;
    try {
      const [result] = await fetchPages([{ url }]);
      if (result?.ok) page = result;
      else if (result) fetchFailure = { errorType: result.errorType, message: result.message, elapsedMs: result.elapsedMs };
    } catch (error) {
      const { type, message } = describeFailure(error);
      fetchFailure = { errorType: type, message, elapsedMs: Date.now() - fetchStarted };
    }
    await progress(
      page
        ? { step: 'fetched', uri: url, contentBytes: page.htmlBytes, spendMsecs: page.elapsedMs }
        : { step: 'fetch_failed', uri: url, reason: `${fetchFailure?.errorType}: ${fetchFailure?.message}`, spendMsecs: fetchFailure?.elapsedMs ?? 0 },
    );
  }
  const fetchMs = Date.now() - fetchStarted;

  // 2. Tag
  const tagStarted = Date.now();
  let tagging: TagResult;
  try {
    const [result] = await tagMessages([{ envelope, ...(page ? { text: page.text } : {}) }]);
    if (!result) throw ApplicationFailure.nonRetryable('the tagger returned no result', ErrorType.TaggerContract);
    tagging = result;
  } catch (error) {
    const { type, message } = describeFailure(error);
    await progress({ step: 'tag_failed' });
    await fail(FailureStep.Tag, type, message);
    await finish(Outcome.TagFailed, message);
    throw ApplicationFailure.nonRetryable(`tagging failed: ${message}`, ErrorType.TagFailed);
  }
  const tagMs = Date.now() - tagStarted;
  // A task whose page could not be fetched stays "download failed": its tags say little.
  if (!fetchFailure) await progress({ step: 'tagged' });

  // 3. Publish
  try {
    const [published] = await publishTagged([
      {
        envelope,
        workflowId,
        ...(page ? { page } : {}),
        ...(fetchFailure ? { fetchFailure } : {}),
        tagging,
        timings: { startedAt: startedAt.toISOString(), fetchMs, tagMs },
      },
    ]);
    if (fetchFailure) {
      await fail(FailureStep.Fetch, fetchFailure.errorType, fetchFailure.message);
      await finish(Outcome.FetchFailed, fetchFailure.message);
    } else {
      await finish(Outcome.Published);
    }
    return {
      outcome: fetchFailure ? Outcome.FetchFailed : Outcome.Published,
      ...(published ? { published } : {}),
      tags: tagging.tags.map((tag) => tag.name),
    };
  } catch (error) {
    const { type, message } = describeFailure(error);
    await fail(FailureStep.Publish, type, message);
    await finish(Outcome.PublishFailed, message);
    throw ApplicationFailure.nonRetryable(`publishing failed: ${message}`, ErrorType.PublishFailed);
  }
}

/** The innermost failure's type and message: what a person needs in the failure record. */
function describeFailure(error: unknown): { type: string; message: string } {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof ApplicationFailure) return { type: current.type ?? 'Error', message: current.message };
  if (current instanceof Error) return { type: current.name, message: current.message };
  return { type: 'Error', message: String(current) };
}

/** Omit over each member of a union (the built-in Omit merges the members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
