import { activityInfo, ApplicationFailure, Context } from '@temporalio/activity';
import type { FetchRequest, FetchResult } from '../common/pipeline';
import type { Logger } from '../domain/logging/logger';
import { decodeHtml } from '../domain/pages/decode-html';
import { metrics } from '../domain/metrics/metrics';
import { FetchError, FetchErrorType } from '../domain/pages/fetch-errors';
import { htmlToPlainText } from '../domain/pages/html-text';
import type { PageFetcher } from '../domain/pages/page-fetcher';
import type { PayloadStore } from '../domain/payloads/payload-store';
import { redactUserinfo } from '../domain/uris/redact';

export interface FetchActivityDeps {
  fetcher: Pick<PageFetcher, 'fetchPage'>;
  payloads: Pick<PayloadStore, 'put'>;
  logger: Logger;
}

/** Progress a retried attempt resumes from: results of the requests already done. */
interface FetchProgress {
  done: FetchResult[];
}

/**
 * Io-queue activity: fetch pages, extract their text, store both (claim check). Permanent
 * failures (404, not HTML, blocked address…) come back as `{ ok: false }` items so one bad URL
 * never fails a batch; transient ones (timeout, 5xx, 429, network) throw so Temporal retries,
 * and a retried attempt resumes after the requests it already finished.
 */
export function createFetchActivities(deps: FetchActivityDeps) {
  return {
    async fetchPages(requests: FetchRequest[]): Promise<FetchResult[]> {
      const context = Context.current();
      const progress: FetchProgress = { done: [...((activityInfo().heartbeatDetails as FetchProgress | undefined)?.done ?? [])] };
      // Heartbeat on a timer, not on bytes: a slow server may send nothing for a while.
      const beat = setInterval(() => context.heartbeat(progress), 2000);
      try {
        for (let index = progress.done.length; index < requests.length; index++) {
          const request = requests[index] as FetchRequest;
          progress.done.push(await fetchOne(request.url, context.cancellationSignal));
          context.heartbeat(progress);
        }
        return progress.done;
      } finally {
        clearInterval(beat);
      }
    },
  };

  async function fetchOne(url: string, signal: AbortSignal): Promise<FetchResult> {
    const started = Date.now();
    try {
      const raw = await deps.fetcher.fetchPage(url, signal);
      metrics.fetchedBytes.inc(raw.body.length);
      const html = decodeHtml(raw.body, raw.contentType);
      const text = htmlToPlainText(html);
      if (text === '') {
        // The seed counts a page with no text as a failed fetch.
        throw new FetchError(FetchErrorType.NotHtml, 'the page has no text', { url, status: raw.status });
      }
      const [storedHtml, storedText] = await Promise.all([deps.payloads.put(html), deps.payloads.put(text)]);
      countFetch('ok', started);
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
        truncated: raw.truncated,
        elapsedMs: Date.now() - started,
      };
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      const elapsedMs = Date.now() - started;
      countFetch(FETCH_OUTCOME[error.type], started);
      if (error.retryable || error.type === FetchErrorType.Cancelled) {
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

function countFetch(outcome: string, startedMs: number): void {
  metrics.fetches.inc({ outcome });
  metrics.fetchDuration.observe({ outcome }, (Date.now() - startedMs) / 1000);
}
