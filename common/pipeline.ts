import type { TagOutcome } from '../domain/tagging/api';
import type { MessageEnvelope, StoredText } from './messages';
import type { TaskQueueNames } from './task-queues';

/**
 * Inputs and results of the message workflow and its activities. Activities take batches
 * (the workflow passes a batch of one) so a batched mode can reuse them unchanged.
 */

export interface PipelineSettings {
  taskQueues: TaskQueueNames;
  /** The seed's SPIDER_TIMEOUT: one fetch attempt's limit. */
  fetchTimeoutSeconds: number;
  /** Attempts per fetch before it counts as failed for good. */
  fetchMaxAttempts: number;
}

export interface MessageWorkflowInput {
  envelope: MessageEnvelope;
  settings: PipelineSettings;
  /** Set by `crawlflow replay`: the failed-message record this run replays. */
  replayOf?: string;
}

export const Outcome = {
  Published: 'published',
  FetchFailed: 'fetch_failed',
  TagFailed: 'tag_failed',
  PublishFailed: 'publish_failed',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export const FailureStep = {
  Fetch: 'fetch',
  Tag: 'tag',
  Publish: 'publish',
  /** A crawler task's status or URI log could not be written; the message itself went on. */
  TaskProgress: 'task_progress',
  Bridge: 'bridge',
} as const;
export type FailureStep = (typeof FailureStep)[keyof typeof FailureStep];

export interface FetchRequest {
  url: string;
}

export interface FetchedPage {
  ok: true;
  url: string;
  finalUrl: string;
  status: number;
  via: 'spider' | 'direct';
  html: StoredText;
  text: StoredText;
  htmlBytes: number;
  textChars: number;
  /** The body was cut at FETCH_MAX_BYTES. */
  truncated: boolean;
  elapsedMs: number;
}

export interface FetchFailure {
  ok: false;
  url: string;
  errorType: string;
  message: string;
  elapsedMs: number;
}

export type FetchResult = FetchedPage | FetchFailure;

export interface TagRequest {
  envelope: MessageEnvelope;
  /** Extracted page text, when the message is a fetched link. */
  text?: StoredText;
}

/** The engine's outcome for one message, plus the engine's version (recorded on the output). */
export type TagResult = TagOutcome & { taggerVersion: string };

export interface PublishRequest {
  envelope: MessageEnvelope;
  workflowId: string;
  page?: FetchedPage;
  fetchFailure?: { errorType: string; message: string; elapsedMs: number };
  tagging: TagResult;
  timings: { startedAt: string; fetchMs: number; tagMs: number };
}

export interface PublishResult {
  topic: string;
  partition: number;
  offset: string;
  bytes: number;
  truncated: boolean;
}

export interface FailureRecord {
  workflowId: string;
  runId: string;
  step: FailureStep;
  envelope: MessageEnvelope;
  errorType: string;
  message: string;
  replayOf?: string;
}

export interface MessageWorkflowResult {
  outcome: Outcome;
  published?: PublishResult;
  tags: string[];
}
