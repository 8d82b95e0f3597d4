import type { MessagePort } from 'node:worker_threads';
import { extractMainContent, fullText, type ExtractedContent, type FallbackReason } from './main-content';

/** One page for an extraction thread: its main content, or (after a timeout) its full text. */
export interface ExtractionTask {
  html: string;
  mode: 'main' | 'full';
  /** Why the full text is asked for (mode `full`). */
  fallback?: FallbackReason;
  title?: string;
  /** Told when the thread starts on the task: the time budget counts from then, not from the queue. */
  started?: MessagePort;
}

/** The piscina worker of `createContentExtractor`. */
export default function extract(task: ExtractionTask): ExtractedContent {
  task.started?.postMessage('started');
  task.started?.close();
  if (task.mode === 'full') return fullText(task.html, task.title, task.fallback ?? 'failed');
  return extractMainContent(task.html);
}
