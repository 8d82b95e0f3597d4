import { isIP } from 'node:net';
import pLimit, { type LimitFunction } from 'p-limit';
import { Agent, request, type Dispatcher } from 'undici';
import { guardedLookup, isBlockedAddress } from './address-guard';
import { errorTypeForStatus, FetchError, FetchErrorType } from './fetch-errors';

export interface PageFetcherOptions {
  /** POST the URL to this spider API instead of fetching it directly (the seed's SPIDER_API). */
  spiderApi?: string;
  /** One attempt's limit, headers and body together (the seed's SPIDER_TIMEOUT). @default 30 */
  timeoutSeconds: number;
  /** Bodies past this many bytes are cut and flagged `truncated`. @default 10 MiB */
  maxBytes: number;
  /** Redirects a direct fetch follows. @default 5 */
  maxRedirects: number;
  /** Let direct fetches reach loopback/private/link-local addresses. @default false */
  allowPrivateNetworks: boolean;
  userAgent: string;
}

export interface RawPage {
  url: string;
  finalUrl: string;
  status: number;
  contentType: string | undefined;
  body: Buffer;
  truncated: boolean;
  via: 'spider' | 'direct';
}

const HTML_TYPES = ['text/html', 'application/xhtml+xml'];
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Connections the pool keeps to one origin; as many fetches of that origin run at once. */
const CONNECTIONS_PER_ORIGIN = 64;

/**
 * Fetches pages with undici: through the spider API when one is configured, otherwise
 * directly with bounded redirects, a size cap, a timeout and the SSRF guard. Close it to
 * release its connection pool.
 */
export function createPageFetcher(options: PageFetcherOptions) {
  const agent = new Agent({
    connect: options.allowPrivateNetworks ? {} : { lookup: guardedLookup },
    headersTimeout: options.timeoutSeconds * 1000,
    bodyTimeout: options.timeoutSeconds * 1000,
    connections: CONNECTIONS_PER_ORIGIN,
  });
  /**
   * Fetches waiting for a connection wait here, per origin, not in undici's queue: an attempt's
   * deadline starts when it has a connection. Started before the wait, a burst (a backlog's
   * windows of 64 pages each, all of one spider) timed pages out in the queue, and each retry
   * queued again behind the rest — 3,000 pages took minutes and three attempts a window.
   */
  const origins = new Map<string, { gate: LimitFunction; fetches: number }>();

  async function fetchPage(url: string, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<RawPage> {
    const origin = originOf(options.spiderApi ?? url);
    let entry = origins.get(origin);
    if (!entry) origins.set(origin, (entry = { gate: pLimit(CONNECTIONS_PER_ORIGIN), fetches: 0 }));
    entry.fetches++;
    try {
      return await entry.gate(() => attempt(url, signal, onBytes));
    } finally {
      // An origin's gate lives while it has fetches: a crawl of many hosts keeps none for long.
      if (--entry.fetches === 0) origins.delete(origin);
    }
  }

  async function attempt(url: string, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<RawPage> {
    const deadline = AbortSignal.timeout(options.timeoutSeconds * 1000);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      return options.spiderApi
        ? await viaSpider(url, options.spiderApi, combined, onBytes)
        : await direct(url, combined, onBytes);
    } catch (error) {
      throw classify(error, url, deadline, signal);
    }
  }

  async function viaSpider(url: string, spiderApi: string, signal: AbortSignal, onBytes?: (bytes: number) => void): Promise<RawPage> {
    checkUrl(url, false);
    const response = await request(spiderApi, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': options.userAgent },
      body: new URLSearchParams({ url }).toString(),
      signal,
    });
    return readResponse(url, url, response, 'spider', onBytes);
  }

  async function direct(url: string, signal: AbortSignal, onBytes?: (bytes: number) => void): Promise<RawPage> {
    let current = checkUrl(url, !options.allowPrivateNetworks);
    for (let hop = 0; ; hop++) {
      const response = await request(current, {
        dispatcher: agent,
        method: 'GET',
        headers: { 'user-agent': options.userAgent, accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5' },
        signal,
      });
      if (!REDIRECTS.has(response.statusCode)) return readResponse(url, current.toString(), response, 'direct', onBytes);
      await response.body.dump();
      const location = headerValue(response.headers, 'location');
      if (!location) throw new FetchError(FetchErrorType.HttpServerError, `redirect ${response.statusCode} without a Location header`, { url });
      if (hop >= options.maxRedirects) {
        throw new FetchError(FetchErrorType.TooManyRedirects, `more than ${options.maxRedirects} redirects`, { url });
      }
      current = checkUrl(new URL(location, current).toString(), !options.allowPrivateNetworks);
    }
  }

  async function readResponse(
    url: string,
    finalUrl: string,
    response: Dispatcher.ResponseData,
    via: 'spider' | 'direct',
    onBytes?: (bytes: number) => void,
  ): Promise<RawPage> {
    const status = response.statusCode;
    const failure = errorTypeForStatus(status);
    if (failure) {
      await response.body.dump();
      throw new FetchError(failure, `${via === 'spider' ? 'spider API' : 'server'} answered HTTP ${status}`, { url, status });
    }
    const contentType = headerValue(response.headers, 'content-type');
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType && !HTML_TYPES.includes(mediaType)) {
      await response.body.dump();
      throw new FetchError(FetchErrorType.NotHtml, `not an HTML page: Content-Type ${mediaType}`, { url, status });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      const room = options.maxBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        truncated = true;
        response.body.destroy();
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
      onBytes?.(size);
    }
    return { url, finalUrl, status, contentType, body: Buffer.concat(chunks, size), truncated, via };
  }

  return {
    fetchPage,
    close: () => agent.close(),
  };
}

export type PageFetcher = ReturnType<typeof createPageFetcher>;

/** The origin a fetch waits for a connection to; a URL that does not parse fails later, on its own. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

function checkUrl(value: string, guardAddresses: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FetchError(FetchErrorType.InvalidUrl, `not a valid URL: ${JSON.stringify(value.slice(0, 200))}`, { url: value });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError(FetchErrorType.InvalidUrl, `unsupported scheme ${url.protocol} (only http and https)`, { url: value });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // IP literals never go through DNS, so the connect-time lookup guard would not see them.
  if (guardAddresses && isIP(host) !== 0 && isBlockedAddress(host)) {
    throw new FetchError(FetchErrorType.BlockedAddress, `refusing to fetch ${host}: a loopback, private or link-local address`, { url: value });
  }
  return url;
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function classify(error: unknown, url: string, deadline: AbortSignal, cancel?: AbortSignal): FetchError {
  if (error instanceof FetchError) return error;
  if (cancel?.aborted) return new FetchError(FetchErrorType.Cancelled, 'fetch cancelled', { url });
  if (deadline.aborted) return new FetchError(FetchErrorType.Timeout, 'fetch timed out', { url });
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  if (code === 'ERR_CRAWLFLOW_BLOCKED_ADDRESS') return new FetchError(FetchErrorType.BlockedAddress, err.message, { url });
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new FetchError(FetchErrorType.Timeout, 'fetch timed out', { url });
  }
  if (code === 'ENOTFOUND') return new FetchError(FetchErrorType.HostNotFound, `host not found: ${err.message}`, { url });
  return new FetchError(FetchErrorType.Network, `${code ?? 'network error'}: ${err.message}`, { url });
}
