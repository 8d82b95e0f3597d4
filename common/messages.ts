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
 * The workflow id of a message: from its own id when it has one (so the same message sent
 * twice runs once), otherwise from where it sits in Kafka (so a re-delivered record runs once).
 */
export function messageWorkflowId(summary: MessageSummary, origin: MessageOrigin): string {
  if (summary.messageId !== undefined) return `msg-${sanitizeIdPart(summary.messageId)}`;
  return `kafka-${sanitizeIdPart(origin.topic)}-${origin.partition}-${origin.offset}`;
}

function sanitizeIdPart(value: string): string {
  // Workflow ids may hold any UTF-8 up to 1000 bytes; keep them readable and bounded.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, '_');
  return cleaned.length > 200 ? `${cleaned.slice(0, 200)}…` : cleaned;
}

/** The host of a URL, lower-cased, or undefined when it is not a URL (no Node `URL` needed). */
export function urlHost(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const match = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^:/?#]+)/.exec(url.trim());
  return match?.[1]?.toLowerCase();
}
