import { proxyActivities, proxyLocalActivities, type LocalActivityOptions } from '@temporalio/workflow';
import type { FailureActivities } from '../activities/failures';
import type { FetchActivities } from '../activities/fetch';
import type { PublishActivities } from '../activities/publish';
import type { TagActivities } from '../activities/tag';
import { ErrorType } from '../common/error-types';
import type { PipelineSettings } from '../common/pipeline';

/**
 * The pipeline's activities with their queues, timeouts and retry policies: one set for the
 * message workflow and the batch workflow alike (docs/pipeline.md has the table).
 */
export function pipelineActivities(settings: PipelineSettings) {
  const fetchOptions = {
    // One attempt may take the whole spider timeout; allow some slack for extraction and storage.
    startToCloseTimeout: `${settings.fetchTimeoutSeconds + 15}s`,
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: settings.fetchMaxAttempts,
      nonRetryableErrorTypes: [ErrorType.MissingPayload],
    },
  } satisfies LocalActivityOptions;
  // A local fetch runs in the workflows worker that runs the run, inside its workflow task: one
  // activity task and one workflow task fewer (docs/pipeline.md, "Fetching in the workflows
  // worker"). It cannot heartbeat, so a retried attempt fetches every page of the call again.
  const { fetchPages } = settings.fetchLocally
    ? proxyLocalActivities<FetchActivities>(fetchOptions)
    : proxyActivities<FetchActivities>({ ...fetchOptions, taskQueue: settings.taskQueues.io, heartbeatTimeout: '20s' });
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
  const publishOptions = {
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: 10,
      // A claim check that is gone stays gone: retrying only delays the failure record.
      nonRetryableErrorTypes: [ErrorType.MissingPayload],
    },
  } satisfies LocalActivityOptions;
  // Publishing is short (a few claim-check reads and one produce): as a local activity it runs
  // inside the workflow task that has the tags, so the server dispatches one activity task and
  // one workflow task fewer per run (docs/pipeline.md, "Publishing"). At least once either way:
  // a worker killed after the produce and before the task completed publishes again.
  const { publishTagged } = settings.publishLocally
    ? proxyLocalActivities<PublishActivities>(publishOptions)
    : proxyActivities<PublishActivities>({ ...publishOptions, taskQueue: settings.taskQueues.io });
  const { recordFailure, finishReplay } = proxyActivities<FailureActivities>({
    taskQueue: settings.taskQueues.io,
    startToCloseTimeout: '30s',
    // Recording a failure must not be lost to a MongoDB hiccup: keep trying.
    retry: { initialInterval: '1s', maximumInterval: '1m' },
  });
  return { fetchPages, tagMessages, publishTagged, recordFailure, finishReplay };
}
