/**
 * The pipeline's message types, shared by the bridge, the activities and the message
 * workflow. Imported by workflows: no Node built-ins here.
 */

/** A message as it arrives on the input topic: any JSON object (the seed's WeChat messages). */
export type InputMessage = Record<string, unknown>;

/** A payload kept inline in Temporal history when small, in MongoDB (claim check) when not. */
export type StoredText = { inline: string } | { ref: string; bytes: number };

/** Where a message came from: a Kafka record, or a crawler task (seed 001) fed to the topic. */
export interface MessageOrigin {
  kind: 'kafka';
  topic: string;
  partition: number;
  offset: string;
}

/** What the workflow knows about a message without loading it. */
export interface MessageSummary {
  /** The message's own id, when it has one. */
  messageId?: string;
  type?: unknown;
  url?: string;
  /** Crawler task id (ObjectId hex) for messages that stand for a crawler task. */
  taskId?: string;
  job?: string;
  source: string;
}

/** The message plus what the workflow needs to route it; the body itself may be a claim check. */
export interface MessageEnvelope {
  summary: MessageSummary;
  /** The JSON text of the message exactly as received. */
  body: StoredText;
  origin: MessageOrigin;
  /**
   * What the bridge had to work around to start the run (a search-attribute value cut to
   * Temporal's limit…); published in the output's `crawlflow.warnings`.
   */
  warnings?: string[];
}

/** The seed's rule: link messages are `type == 3` with a non-empty `url`. */
export function isLinkMessage(summary: Pick<MessageSummary, 'type' | 'url'>): boolean {
  return summary.type === 3 && typeof summary.url === 'string' && summary.url.trim() !== '';
}

/** The message's own id: `id`, `msgId`, `msg_id` or `_id`, when a non-empty string or number. */
export function messageIdOf(message: InputMessage): string | undefined {
  for (const field of ['id', 'msgId', 'msg_id', '_id']) {
    const value = message[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

export function summarize(message: InputMessage, source: string): MessageSummary {
  const url = typeof message.url === 'string' ? message.url : undefined;
  const taskId = typeof message.taskId === 'string' ? message.taskId : undefined;
  const job = typeof message.job === 'string' ? message.job : undefined;
  const messageId = messageIdOf(message);
  return {
    ...(messageId !== undefined ? { messageId } : {}),
    type: message.type,
    ...(url !== undefined ? { url } : {}),
    ...(taskId !== undefined ? { taskId } : {}),
    ...(job !== undefined ? { job } : {}),
    source: typeof message.source === 'string' && message.source !== '' ? message.source : source,
  };
}

/**
 * The longest workflow id Temporal accepts by default (`limit.maxIDLength`), in UTF-8 bytes:
 * 1,000 ASCII characters start, 1,001 are refused, and so are 400 CJK characters (1,200 bytes)
 * — seen on the dev server. A message whose id makes a longer one is dead-lettered rather than
 * cut: a cut id could make two different messages one.
 */
export const WORKFLOW_ID_MAX_BYTES = 1000;

/**
 * The workflow id of a message: from its own id when it has one (so the same message sent
 * twice runs once), otherwise from where it sits in Kafka (so a re-delivered record runs once).
 * Never cut, so distinct messages never share an id; `workflowIdProblem` says when it is too long.
 */
export function messageWorkflowId(summary: MessageSummary, origin: MessageOrigin): string {
  if (summary.messageId !== undefined) return `msg-${sanitizeIdPart(summary.messageId)}`;
  return `kafka-${sanitizeIdPart(origin.topic)}-${origin.partition}-${origin.offset}`;
}

/**
 * The workflow id of a batch window: from where its first record sits in Kafka, so a window
 * read again after a crash finds the run already started (its memo says where it ended).
 */
export function batchWorkflowId(window: { topic: string; partition: number; firstOffset: string }): string {
  return `batch-${sanitizeIdPart(window.topic)}-${window.partition}-${window.firstOffset}`;
}

/** Why Temporal would refuse this workflow id, or undefined when it is fine. */
export function workflowIdProblem(workflowId: string): string | undefined {
  const bytes = new TextEncoder().encode(workflowId).length;
  if (bytes <= WORKFLOW_ID_MAX_BYTES) return undefined;
  return `the workflow id is ${bytes} bytes long (from the message id); Temporal accepts at most ${WORKFLOW_ID_MAX_BYTES} (limit.maxIDLength)`;
}

function sanitizeIdPart(value: string): string {
  // Control characters would make ids unreadable in the UI and CLI; a lone surrogate (from a
  // JSON "\ud800" escape) is not UTF-8 at all, and the server fails such a request as INTERNAL.
  return (
    value
      // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
      .replace(/[\u0000-\u001f\u007f]/g, '_')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '_')
  );
}

/** The host of a URL, lower-cased, or undefined when it is not a URL (no Node `URL` needed). */
export function urlHost(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const match = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^:/?#]+)/.exec(url.trim());
  return match?.[1]?.toLowerCase();
}
