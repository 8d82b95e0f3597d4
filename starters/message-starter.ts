import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { urlHost, type MessageEnvelope } from '../common/messages';
import type { MessageWorkflowInput, PipelineSettings } from '../common/pipeline';
import { SearchAttributeKeys } from '../common/search-attributes';
import type { Config } from '../domain/config/config';

export function pipelineSettings(config: Config): PipelineSettings {
  return {
    taskQueues: config.temporal.taskQueues,
    fetchTimeoutSeconds: config.fetch.timeoutSeconds,
    fetchMaxAttempts: 3,
  };
}

export interface StartMessageOptions {
  workflowId: string;
  /** Replays set this: start again even though a run with the same id completed. */
  replayOf?: string;
}

export type StartOutcome = { started: true; runId: string } | { started: false; reason: 'already_started' };

/**
 * Starts the message workflow. A re-delivered record never runs twice: the id comes from the
 * message, the reuse policy lets only a failed run be started again, and "already started"
 * counts as success. Replays may re-run any closed run with the same id.
 */
export async function startMessageWorkflow(
  client: Client,
  config: Config,
  envelope: MessageEnvelope,
  options: StartMessageOptions,
): Promise<StartOutcome> {
  const input: MessageWorkflowInput = {
    envelope,
    settings: pipelineSettings(config),
    ...(options.replayOf ? { replayOf: options.replayOf } : {}),
  };
  const host = urlHost(envelope.summary.url);
  try {
    const handle = await client.workflow.start('messageWorkflow', {
      taskQueue: config.temporal.taskQueues.workflows,
      workflowId: options.workflowId,
      args: [input],
      workflowIdReusePolicy: options.replayOf
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
        : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: [
        { key: SearchAttributeKeys.source, value: envelope.summary.source },
        ...(envelope.summary.job ? [{ key: SearchAttributeKeys.job, value: envelope.summary.job }] : []),
        ...(host ? [{ key: SearchAttributeKeys.urlHost, value: host }] : []),
        { key: SearchAttributeKeys.outcome, value: 'running' },
      ],
    });
    return { started: true, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { started: false, reason: 'already_started' };
    throw error;
  }
}
