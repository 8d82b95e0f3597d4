import { ApplicationFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../common/error-types';
import { isLinkMessage } from '../common/messages';
import {
  FailureStep,
  Outcome,
  type FetchedPage,
  type MessageWorkflowInput,
  type MessageWorkflowResult,
  type TagResult,
  type TaskProgress,
  type TaskProgressFailure,
} from '../common/pipeline';
import { SearchAttributeKeys } from '../common/search-attributes';
import { describeFailure } from './failure-description';
import { pipelineActivities } from './pipeline-activities';

/**
 * One Kafka message: fetch its page (link messages only) → tag it on the cpu queue →
 * publish it. As in the seed, a page that cannot be fetched still gets tagged and published
 * with empty content; that and every other failure is recorded and alerted.
 */
export async function messageWorkflow(input: MessageWorkflowInput): Promise<MessageWorkflowResult> {
  const { envelope, settings } = input;
  const { workflowId, runId } = workflowInfo();
  const startedAt = new Date();

  const { fetchPages, tagMessages, publishTagged, recordFailure, finishReplay } = pipelineActivities(settings);

  const fail = async (step: FailureStep, errorType: string, message: string, taskProgress: TaskProgress[] = []) => {
    await recordFailure({
      workflowId,
      runId,
      step,
      envelope,
      errorType,
      message,
      ...(input.replayOf ? { replayOf: input.replayOf } : {}),
      ...(taskProgress.length > 0 ? { taskProgress } : {}),
    });
  };
  const finish = async (outcome: Outcome, error?: string) => {
    upsertSearchAttributes([{ key: SearchAttributeKeys.outcome, value: outcome }]);
    if (input.replayOf) await finishReplay({ replayOf: input.replayOf, workflowId, outcome, ...(error ? { error } : {}) });
  };

  // Messages that stand for a crawler task (seed 001) keep its status and URI log current.
  // The activities that run anyway write the steps (fetch: in progress, then downloaded or
  // download failed with its URI log; publish: analysed; the failure record: analysis failed),
  // so a task costs no activity of its own. That bookkeeping never stops the message: a step
  // MongoDB refused a few times comes back on the result, and is recorded and alerted here.
  const taskId = envelope.summary.taskId;
  const pendingProgress: TaskProgress[] = [];
  const progressLost = async (failures: TaskProgressFailure[] = []) => {
    for (const failure of failures) await fail(FailureStep.TaskProgress, failure.errorType, failure.message);
  };

  // 1. Fetch
  let page: FetchedPage | undefined;
  let fetchFailure: { errorType: string; message: string; elapsedMs: number } | undefined;
  const fetchStarted = Date.now();
  if (isLinkMessage(envelope.summary)) {
    const url = envelope.summary.url as string;
    try {
      const [result] = await fetchPages([{ url, ...(taskId !== undefined ? { taskId } : {}) }], { maxAttempts: settings.fetchMaxAttempts });
      if (result?.ok) page = result;
      else if (result) fetchFailure = { errorType: result.errorType, message: result.message, elapsedMs: result.elapsedMs };
      await progressLost(result?.taskProgressFailures);
    } catch (error) {
      const { type, message } = describeFailure(error);
      fetchFailure = { errorType: type, message, elapsedMs: Date.now() - fetchStarted };
      // The fetch activity itself failed, so it wrote no end of the download: the next activity does.
      if (taskId !== undefined) pendingProgress.push({ taskId, step: 'fetch_failed', uri: url, reason: `${type}: ${message}`, spendMsecs: fetchFailure.elapsedMs });
    }
  } else if (taskId !== undefined) {
    pendingProgress.push({ taskId, step: 'started' });
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
    await fail(FailureStep.Tag, type, message, taskId !== undefined ? [...pendingProgress, { taskId, step: 'tag_failed' }] : []);
    await finish(Outcome.TagFailed, message);
    throw ApplicationFailure.nonRetryable(`tagging failed: ${message}`, ErrorType.TagFailed);
  }
  const tagMs = Date.now() - tagStarted;
  // A task whose page could not be fetched stays "download failed": its tags say little.
  if (taskId !== undefined && !fetchFailure) pendingProgress.push({ taskId, step: 'tagged' });

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
        ...(pendingProgress.length > 0 ? { taskProgress: pendingProgress } : {}),
      },
    ]);
    await progressLost(published?.taskProgressFailures);
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
