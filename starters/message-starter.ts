import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { urlHost, workflowIdProblem, type MessageEnvelope } from '../common/messages';
import type { MessageWorkflowInput, PipelineSettings } from '../common/pipeline';
import { capKeywordValue, SearchAttributeKeys, SearchAttributeName, SEARCH_ATTRIBUTE_VALUE_MAX_BYTES } from '../common/search-attributes';
import type { Config } from '../infra/config/config';
import { StartRefusedError } from '../infra/temporal/start-errors';

export function pipelineSettings(config: Config): PipelineSettings {
  return {
    taskQueues: config.temporal.taskQueues,
    fetchTimeoutSeconds: config.fetch.timeoutSeconds,
    fetchMaxAttempts: 3,
    publishLocally: config.pipeline.localPublish,
    fetchLocally: config.pipeline.localFetch,
  };
}

export interface StartMessageOptions {
  workflowId: string;
  /** Replays set this: start again even though a run with the same id completed. */
  replayOf?: string;
  /**
   * Ask for eager start: the server answers with the run's first workflow task, which a
   * workflows worker on the client's own NativeConnection runs at once (no poll, no matching).
   * Only for a client built on a NativeConnection that such a worker shares; when that worker
   * has no free slot the start is an ordinary one. @default false
   */
  eager?: boolean;
}

export type StartOutcome = { started: true; runId: string; eagerlyStarted: boolean } | { started: false; reason: 'already_started' };

/**
 * Starts the message workflow. A re-delivered record never runs twice: the id comes from the
 * message, the reuse policy lets only a failed run be started again, and "already started"
 * counts as success. Replays may re-run any closed run with the same id.
 *
 * Never sends what the server must refuse: values taken from the message are cut to the
 * search-attribute limit (the cut is a warning on the run), and a workflow id over Temporal's
 * limit throws `StartRefusedError` without a call.
 */
export async function startMessageWorkflow(
  client: Client,
  config: Config,
  envelope: MessageEnvelope,
  options: StartMessageOptions,
): Promise<StartOutcome> {
  const idProblem = workflowIdProblem(options.workflowId);
  if (idProblem) throw new StartRefusedError(idProblem);
  const attributes = messageSearchAttributes(envelope);
  const warnings = [...new Set([...(envelope.warnings ?? []), ...attributes.warnings])];
  const input: MessageWorkflowInput = {
    envelope: warnings.length > 0 ? { ...envelope, warnings } : envelope,
    settings: pipelineSettings(config),
    ...(options.replayOf ? { replayOf: options.replayOf } : {}),
  };
  try {
    const handle = await client.workflow.start('messageWorkflow', {
      taskQueue: config.temporal.taskQueues.workflows,
      workflowId: options.workflowId,
      args: [input],
      workflowIdReusePolicy: options.replayOf
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
        : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: attributes.values,
      ...(options.eager ? { requestEagerStart: true } : {}),
    });
    return { started: true, runId: handle.firstExecutionRunId, eagerlyStarted: handle.eagerlyStarted };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { started: false, reason: 'already_started' };
    throw error;
  }
}

/** The run's search attributes, each value from the message cut to what Temporal stores. */
export function messageSearchAttributes(envelope: MessageEnvelope) {
  const warnings: string[] = [];
  const capped = (name: SearchAttributeName, value: string): string => {
    const result = capKeywordValue(value);
    if (result.cut) {
      warnings.push(
        `search attribute ${name} cut to its first ${result.cut.keptChars} characters: the value is ${result.cut.originalBytes} bytes encoded, Temporal stores at most ${SEARCH_ATTRIBUTE_VALUE_MAX_BYTES}`,
      );
    }
    return result.value;
  };
  const { source, job, url } = envelope.summary;
  const host = urlHost(url);
  const values = [
    { key: SearchAttributeKeys.source, value: capped(SearchAttributeName.Source, source) },
    ...(job ? [{ key: SearchAttributeKeys.job, value: capped(SearchAttributeName.Job, job) }] : []),
    ...(host ? [{ key: SearchAttributeKeys.urlHost, value: capped(SearchAttributeName.UrlHost, host) }] : []),
    { key: SearchAttributeKeys.outcome, value: 'running' },
  ];
  return { values, warnings };
}
