import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { batchWorkflowId, type MessageEnvelope } from '../common/messages';
import type { BatchWindow, BatchWorkflowInput } from '../common/pipeline';
import { capKeywordValue, SearchAttributeKeys, SEARCH_ATTRIBUTE_VALUE_MAX_BYTES } from '../common/search-attributes';
import type { Config } from '../infra/config/config';
import { pipelineSettings } from './message-starter';

export type BatchStartOutcome =
  | { started: true; workflowId: string; runId: string }
  /** A run of this window's first record exists: `lastOffset` is where that run's window ended. */
  | { started: false; workflowId: string; lastOffset: string };

/**
 * The id a message carries in `CrawlflowMessageIds`: its own id, else its per-message workflow
 * id, cut so that a list of it alone (brackets included) is a value Temporal accepts.
 */
export function messageIdValue(message: { workflowId: string; envelope: MessageEnvelope }): string {
  return capKeywordValue(message.envelope.summary.messageId ?? message.workflowId, SEARCH_ATTRIBUTE_VALUE_MAX_BYTES - 2).value;
}

/**
 * Starts the batch workflow of one window. The id comes from the window's first record, the
 * reuse policy lets only a failed run start again, and "already started" is answered with the
 * end of the existing run's window (from its memo), so a window read again after a crash —
 * even one cut differently this time — runs none of its records twice.
 */
export async function startBatchWorkflow(
  client: Client,
  config: Config,
  window: BatchWindow,
  messages: BatchWorkflowInput['messages'],
  inlineLimitBytes: number,
): Promise<BatchStartOutcome> {
  const workflowId = batchWorkflowId(window);
  const input: BatchWorkflowInput = { window, messages, settings: pipelineSettings(config), inlineLimitBytes };
  const sources = new Set(messages.map((message) => message.envelope.summary.source));
  const [source] = sources;
  try {
    const handle = await client.workflow.start('batchWorkflow', {
      taskQueue: config.temporal.taskQueues.workflows,
      workflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      memo: { window },
      typedSearchAttributes: [
        ...(sources.size === 1 && source !== undefined ? [{ key: SearchAttributeKeys.source, value: capKeywordValue(source).value }] : []),
        { key: SearchAttributeKeys.messageIds, value: [...new Set(messages.map(messageIdValue))] },
        { key: SearchAttributeKeys.outcome, value: 'running' },
      ],
    });
    return { started: true, workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const description = await client.workflow.getHandle(workflowId).describe();
    const existing = description.memo?.window as Partial<BatchWindow> | undefined;
    return { started: false, workflowId, lastOffset: typeof existing?.lastOffset === 'string' ? existing.lastOffset : window.lastOffset };
  }
}
