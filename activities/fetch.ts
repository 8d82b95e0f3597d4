import { activityInfo, ApplicationFailure, Context } from '@temporalio/activity';
import type { FetchRequest, FetchResult, TaskProgressFailure } from '../common/pipeline';
import type { Logger } from '../infra/logging/logger';
import { decodeHtml } from '../domain/pages/decode-html';
import type { CrawlflowMetrics } from '../infra/metrics/metrics';
import { FetchError, FetchErrorType } from '../domain/pages/fetch-errors';
import { inProcessExtractor, type ContentExtractor } from '../domain/pages/content-extractor';
import type { PageFetcher } from '../domain/pages/page-fetcher';
import type { PayloadStore } from '../store/payload-store';
import { redactUserinfo } from '../domain/uris/redact';
import type { TaskProgressWriter } from './task-progress';

export interface FetchActivityDeps {
  fetcher: Pick<PageFetcher, 'fetchPage'>;
  /** Main-text extraction; the io worker passes its thread pool. @default in this thread */
  extractor?: Pick<ContentExtractor, 'extract'>;
  payloads: Pick<PayloadStore, 'put'>;
  /** Writes crawler tasks' steps (requests with a `taskId`). */
  taskProgress: Pick<TaskProgressWriter, 'write'>;
  logger: Logger;
  /** Where the work is counted: the process's metrics (infra/metrics/metrics.ts), injected like every client. */
  metrics: Pick<CrawlflowMetrics, 'fetchedBytes' | 'extractions' | 'fetches' | 'fetchDuration'>;
}

export interface FetchOptions {
  /**
   * The retry policy's attempts. On the last one a transient failure comes back as an
   * `{ ok: false }` item instead of failing the call, so one slow page of a batch does not
   * cost the others their results. Unset: transient failures always throw.
   */
  maxAttempts?: number;
  /**
   * Page HTML and text above this many bytes go to the payload store (claim check) instead of
   * the result; batch mode sets it low so a window's results stay far below Temporal's 2 MiB.
   * @default the payload store's own limit (32 KiB)
   */
  inlineLimitBytes?: number;
}

/** Progress a retried attempt resumes from: results of the requests already done, by position. */
interface FetchProgress {
  done: Array<FetchResult | null>;
}

/**
 * Io-queue activity (or, with PIPELINE_LOCAL_FETCH, a local one of the workflows worker):
 * fetch pages, all of a call at once, extract their text, store both (claim check). Permanent
 * failures (404, not HTML, blocked address…) come back as `{ ok: false }` items so one bad URL
 * never fails a batch; transient ones (timeout, 5xx, 429, network) throw so Temporal retries,
 * and a retried attempt of a remote one fetches only the requests not yet done. A request
 * with a crawler task marks it in progress and, once its page is fetched or failed for good,
 * writes the task's URI log and status.
 */
export function createFetchActivities(deps: FetchActivityDeps) {
  const { metrics } = deps;
  return {
    async fetchPages(requests: FetchRequest[], options: FetchOptions = {}): Promise<FetchResult[]> {
      const context = Context.current();
      const info = activityInfo();
      const resumed = (info.heartbeatDetails as FetchProgress | undefined)?.done ?? [];
      const progress: FetchProgress = { done: requests.map((_, index) => resumed[index] ?? null) };
      const lastAttempt = options.maxAttempts !== undefined && info.attempt >= options.maxAttempts;
      // Heartbeat on a timer, not on bytes: a slow server may send nothing for a while. A local
      // activity (PIPELINE_LOCAL_FETCH) has no heartbeats: its workflow task is its liveness.
      const heartbeat = info.isLocal ? () => undefined : () => context.heartbeat(progress);
      const beat = setInterval(heartbeat, 2000);
      try {
        const settled = await Promise.allSettled(
          requests.map(async (request, index) => {
            if (progress.done[index]) return;
            const lost = request.taskId === undefined ? [] : await deps.taskProgress.write([{ taskId: request.taskId, step: 'started' }]);
            const result = await fetchOne(request.url, context.cancellationSignal, lastAttempt, options.inlineLimitBytes);
            progress.done[index] = request.taskId === undefined ? result : await withTaskProgress(request.taskId, result, lost);
            heartbeat();
          }),
        );
        const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
        if (failed) throw failed.reason;
        return progress.done as FetchResult[];
      } finally {
        clearInterval(beat);
      }
    },
  };

  async function withTaskProgress(taskId: string, result: FetchResult, lostBefore: TaskProgressFailure[]): Promise<FetchResult> {
    const lost = await deps.taskProgress.write([
      result.ok
        ? { taskId, step: 'fetched', uri: result.url, contentBytes: result.htmlBytes, spendMsecs: result.elapsedMs }
        : { taskId, step: 'fetch_failed', uri: result.url, reason: `${result.errorType}: ${result.message}`, spendMsecs: result.elapsedMs },
    ]);
    const failures = [...lostBefore, ...lost];
    return failures.length > 0 ? { ...result, taskProgressFailures: failures } : result;
  }

  async function fetchOne(url: string, signal: AbortSignal, lastAttempt: boolean, inlineLimitBytes: number | undefined): Promise<FetchResult> {
    const started = Date.now();
    try {
      const raw = await deps.fetcher.fetchPage(url, signal);
      metrics.fetchedBytes.inc(raw.body.length);
      const html = decodeHtml(raw.body, raw.contentType);
      // The article alone when the page is one, else the full text (off the event loop).
      const extracted = await (deps.extractor ?? inProcessExtractor).extract(html);
      metrics.extractions.inc({ method: extracted.method });
      const text = extracted.text;
      if (text === '') {
        // The seed counts a page with no text as a failed fetch.
        throw new FetchError(FetchErrorType.NotHtml, 'the page has no text', { url, status: raw.status });
      }
      const limit = inlineLimitBytes === undefined ? {} : { inlineLimitBytes };
      const [storedHtml, storedText] = await Promise.all([deps.payloads.put(html, limit), deps.payloads.put(text, limit)]);
      countFetch(metrics, 'ok', started);
      return {
        ok: true,
        url,
        finalUrl: raw.finalUrl,
        status: raw.status,
        via: raw.via,
        html: storedHtml,
        text: storedText,
        htmlBytes: raw.body.length,
        textChars: text.length,
        extract: {
          method: extracted.method,
          ...(extracted.title ? { title: extracted.title } : {}),
          chars: text.length,
          ...(extracted.fallback ? { fallback: extracted.fallback } : {}),
        },
        truncated: raw.truncated,
        elapsedMs: Date.now() - started,
      };
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      const elapsedMs = Date.now() - started;
      countFetch(metrics, FETCH_OUTCOME[error.type], started);
      if (error.type === FetchErrorType.Cancelled || (error.retryable && !lastAttempt)) {
        deps.logger.warn({ url: redactUserinfo(url), errorType: error.type, err: error.message }, 'fetch failed; Temporal retries it');
        throw ApplicationFailure.retryable(error.message, error.type, { url, elapsedMs });
      }
      deps.logger.warn({ url: redactUserinfo(url), errorType: error.type, err: error.message }, 'fetch failed for good');
      return { ok: false, url, errorType: error.type, message: error.message, elapsedMs };
    }
  }
}

export type FetchActivities = ReturnType<typeof createFetchActivities>;

const FETCH_OUTCOME: Record<FetchErrorType, string> = {
  InvalidUrl: 'invalid_url',
  BlockedAddress: 'refused',
  HttpClientError: 'http_error',
  HttpServerError: 'http_error',
  HttpRetryLater: 'http_error',
  NotHtml: 'not_html',
  TooManyRedirects: 'http_error',
  FetchTimeout: 'timeout',
  NetworkError: 'network_error',
  HostNotFound: 'network_error',
  FetchCancelled: 'network_error',
};

function countFetch(metrics: FetchActivityDeps['metrics'], outcome: string, startedMs: number): void {
  metrics.fetches.inc({ outcome });
  metrics.fetchDuration.observe({ outcome }, (Date.now() - startedMs) / 1000);
}
