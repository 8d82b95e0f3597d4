import { ApplicationFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../common/error-types';
import { isLinkMessage, type MessageEnvelope } from '../common/messages';
import {
  BatchOutcome,
  FailureStep,
  type BatchWorkflowInput,
  type BatchWorkflowResult,
  type FetchedPage,
  type PublishResult,
  type TagResult,
  type TaskProgress,
  type TaskProgressFailure,
} from '../common/pipeline';
import { SearchAttributeKeys } from '../common/search-attributes';
import { describeFailure, failureIndex } from './failure-description';
import { pipelineActivities } from './pipeline-activities';

/** One message of the window and what has become of it so far. */
interface Item {
  workflowId: string;
  envelope: MessageEnvelope;
  page?: FetchedPage;
  fetchFailure?: { errorType: string; message: string; elapsedMs: number };
  tagging?: TagResult;
  /** Crawler-task steps that ride on the next activity (as in the message workflow). */
  pendingProgress: TaskProgress[];
  /** Tagging or publishing failed for good: recorded, not published. */
  failed?: boolean;
}

/**
 * A window of up to PIPELINE_BATCH_SIZE messages of one partition (batch mode): fetch every
 * link at once [io], tag them all in one activity [cpu], publish them all [io] — the message
 * workflow's activities, called with the whole window. Each message keeps its identity: its
 * output is the one message mode publishes (key, headers, `crawlflow.workflowId` of its own),
 * and a message that fails a step gets its own failure record and alert under its own
 * workflow id, so a replay runs it alone as a message workflow. The run completes either way
 * (`partly_failed` when some failed), so a window read again is never run a second time.
 */
export async function batchWorkflow(input: BatchWorkflowInput): Promise<BatchWorkflowResult> {
  const { settings } = input;
  const { workflowId: batchWorkflowId, runId } = workflowInfo();
  const startedAt = new Date();
  const { fetchPages, tagMessages, publishTagged, recordFailure } = pipelineActivities(settings);
  const items: Item[] = input.messages.map((message) => ({ ...message, pendingProgress: [] }));

  const fail = (item: Item, step: FailureStep, errorType: string, message: string, taskProgress: TaskProgress[] = []) =>
    recordFailure({
      workflowId: item.workflowId,
      runId,
      batchWorkflowId,
      step,
      envelope: item.envelope,
      errorType,
      message,
      ...(taskProgress.length > 0 ? { taskProgress } : {}),
    });
  const progressLost = (item: Item, failures: TaskProgressFailure[] = []) =>
    Promise.all(failures.map((failure) => fail(item, FailureStep.TaskProgress, failure.errorType, failure.message)));

  // 1. Fetch every link of the window at once.
  const fetchStarted = Date.now();
  const links = items.filter((item) => isLinkMessage(item.envelope.summary));
  if (links.length > 0) {
    try {
      const results = await fetchPages(
        links.map((item) => ({ url: item.envelope.summary.url as string, ...(item.envelope.summary.taskId !== undefined ? { taskId: item.envelope.summary.taskId } : {}) })),
        { maxAttempts: settings.fetchMaxAttempts, inlineLimitBytes: input.inlineLimitBytes },
      );
      await Promise.all(
        links.map((item, index) => {
          const result = results[index];
          if (result?.ok) item.page = result;
          else if (result) item.fetchFailure = { errorType: result.errorType, message: result.message, elapsedMs: result.elapsedMs };
          return progressLost(item, result?.taskProgressFailures);
        }),
      );
    } catch (error) {
      const { type, message } = describeFailure(error);
      const elapsedMs = Date.now() - fetchStarted;
      for (const item of links) {
        item.fetchFailure = { errorType: type, message, elapsedMs };
        const { taskId, url } = item.envelope.summary;
        // The fetch activity failed as a whole, so it wrote no end of the download: the next activity does.
        if (taskId !== undefined) item.pendingProgress.push({ taskId, step: 'fetch_failed', uri: url as string, reason: `${type}: ${message}`, spendMsecs: elapsedMs });
      }
    }
  }
  for (const item of items) {
    const { taskId } = item.envelope.summary;
    if (taskId !== undefined && !links.includes(item)) item.pendingProgress.push({ taskId, step: 'started' });
  }
  const fetchMs = Date.now() - fetchStarted;

  // 2. Tag the window in one activity. A message the tagger refuses is named by its index:
  // it alone fails, and the others are tagged again without it.
  const tagStarted = Date.now();
  await eachFailingAlone(
    items,
    async (batch) => {
      const results = await tagMessages(batch.map((item) => ({ envelope: item.envelope, ...(item.page ? { text: item.page.text } : {}) })));
      if (results.length !== batch.length) {
        throw ApplicationFailure.nonRetryable(`the tagger returned ${results.length} results for ${batch.length} messages`, ErrorType.TaggerContract);
      }
      batch.forEach((item, index) => {
        item.tagging = results[index];
      });
    },
    async (item, type, message) => {
      const { taskId } = item.envelope.summary;
      await fail(item, FailureStep.Tag, type, message, taskId !== undefined ? [...item.pendingProgress, { taskId, step: 'tag_failed' }] : []);
    },
  );
  const tagMs = Date.now() - tagStarted;
  for (const item of items) {
    const { taskId } = item.envelope.summary;
    // A task whose page could not be fetched stays "download failed": its tags say little.
    if (taskId !== undefined && item.tagging && !item.fetchFailure) item.pendingProgress.push({ taskId, step: 'tagged' });
  }

  // 3. Publish the tagged messages in one activity; one too large to publish fails alone.
  const timings = { startedAt: startedAt.toISOString(), fetchMs, tagMs };
  const published: Array<{ item: Item; result: PublishResult | undefined }> = [];
  await eachFailingAlone(
    items.filter((item) => item.tagging && !item.failed),
    async (batch) => {
      const results = await publishTagged(
        batch.map((item) => ({
          envelope: item.envelope,
          workflowId: item.workflowId,
          ...(item.page ? { page: item.page } : {}),
          ...(item.fetchFailure ? { fetchFailure: item.fetchFailure } : {}),
          tagging: item.tagging as TagResult,
          timings,
          ...(item.pendingProgress.length > 0 ? { taskProgress: item.pendingProgress } : {}),
        })),
      );
      batch.forEach((item, index) => published.push({ item, result: results[index] }));
    },
    (item, type, message) => fail(item, FailureStep.Publish, type, message),
  );
  await Promise.all(
    published.map(async ({ item, result }) => {
      await progressLost(item, result?.taskProgressFailures);
      // As in the message workflow: a page that could not be fetched is recorded once the message is out.
      if (item.fetchFailure) await fail(item, FailureStep.Fetch, item.fetchFailure.errorType, item.fetchFailure.message);
    }),
  );

  const failed = items.filter((item) => item.failed).length;
  const outcome = failed > 0 ? BatchOutcome.PartlyFailed : BatchOutcome.Published;
  upsertSearchAttributes([{ key: SearchAttributeKeys.outcome, value: outcome }]);
  return {
    outcome,
    messages: items.length,
    published: published.length,
    failed,
    fetchFailed: items.filter((item) => item.fetchFailure && !item.failed).length,
  };
}

/**
 * Runs `step` over the items; when it fails naming one item (`details: [{ index }]`, as the
 * tag and publish activities do for a message that can never pass), that item fails alone
 * and the step runs again over the others. Any other failure (retries exhausted) fails every
 * item still in the step. Each failed item is marked and handed to `onFailure`.
 */
async function eachFailingAlone(
  items: Item[],
  step: (batch: Item[]) => Promise<void>,
  onFailure: (item: Item, type: string, message: string) => Promise<unknown>,
): Promise<void> {
  let pending = items;
  while (pending.length > 0) {
    try {
      await step(pending);
      return;
    } catch (error) {
      const { type, message } = describeFailure(error);
      const index = failureIndex(error);
      const culprits = index !== undefined && pending[index] ? [pending[index]] : pending;
      for (const item of culprits) item.failed = true;
      await Promise.all(culprits.map((item) => onFailure(item, type, message)));
      pending = pending.filter((item) => !item.failed);
    }
  }
}
