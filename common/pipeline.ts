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
  /**
   * Publish as a local activity of the workflows worker running the run, not on the io queue
   * (PIPELINE_LOCAL_PUBLISH). Part of the input, not of the code, so runs started before it
   * existed (no field) replay as they ran: on the io queue.
   */
  publishLocally?: boolean;
  /**
   * Fetch as a local activity of the workflows worker running the run, not on the io queue
   * (PIPELINE_LOCAL_FETCH). Part of the input for the same reason as `publishLocally`.
   */
  fetchLocally?: boolean;
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

/** A step of a crawler task's message through the pipeline (seed 001's task statuses). */
export type TaskProgress =
  | { taskId: string; step: 'started' }
  | { taskId: string; step: 'fetched'; uri: string; contentBytes: number; spendMsecs: number }
  | { taskId: string; step: 'fetch_failed'; uri: string; reason: string; spendMsecs: number }
  | { taskId: string; step: 'tagged' }
  | { taskId: string; step: 'tag_failed' };

export interface FetchRequest {
  url: string;
  /**
   * The crawler task the message stands for: the fetch marks it in progress, and once the
   * page is fetched or failed for good writes its URI log and status.
   */
  taskId?: string;
}

/** A crawler task's step that could not be written (MongoDB refused it a few times). */
export interface TaskProgressFailure {
  errorType: string;
  message: string;
}

/** Set on an activity's result when crawler tasks' steps could not be written. */
export interface TaskProgressOutcome {
  taskProgressFailures?: TaskProgressFailure[];
}

export interface FetchedPage extends TaskProgressOutcome {
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
  /** How `text` was taken from the page (absent in runs recorded before extraction existed). */
  extract?: PageExtract;
}

/** `article`: the main content alone; `full_text`: all of the page's text, and `fallback` says why. */
export interface PageExtract {
  method: 'article' | 'full_text';
  title?: string;
  chars: number;
  fallback?: string;
}

export interface FetchFailure extends TaskProgressOutcome {
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
  /** Crawler-task steps to write before publishing (e.g. "tagged"). */
  taskProgress?: TaskProgress[];
}

export interface PublishResult extends TaskProgressOutcome {
  topic: string;
  partition: number;
  offset: string;
  bytes: number;
  truncated: boolean;
}

export interface FailureRecord {
  /** The message's own workflow id (a replay runs it under this id, alone). */
  workflowId: string;
  /** The run that failed: the message's, or in batch mode its window's. */
  runId: string;
  /** Batch mode: the window run that carried the message. */
  batchWorkflowId?: string;
  /** Crawler-task steps to write with the failure (e.g. "tag_failed"). */
  taskProgress?: TaskProgress[];
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

/** Where a batch window sits in Kafka: consecutive offsets of one partition. */
export interface BatchWindow {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
}

export interface BatchWorkflowInput {
  window: BatchWindow;
  /** The window's messages in offset order (records that were not messages went to the dead-letter topic). */
  messages: Array<{ workflowId: string; envelope: MessageEnvelope }>;
  settings: PipelineSettings;
  /** Page HTML and text above this go to the payload store, so the window's payloads stay small. */
  inlineLimitBytes: number;
}

export const BatchOutcome = {
  Published: 'published',
  /** Some messages failed a step; each has its own failure record. */
  PartlyFailed: 'partly_failed',
} as const;
export type BatchOutcome = (typeof BatchOutcome)[keyof typeof BatchOutcome];

export interface BatchWorkflowResult {
  outcome: BatchOutcome;
  messages: number;
  published: number;
  /** Messages that failed tagging or publishing (not published). */
  failed: number;
  /** Messages published with empty content because their page could not be fetched. */
  fetchFailed: number;
}
