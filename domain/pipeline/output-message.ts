import type { FetchedPage, TagResult } from '../../common/pipeline';
import type { InputMessage } from '../../common/messages';

export interface OutputParts {
  input: InputMessage;
  workflowId: string;
  html: string;
  text: string;
  page?: FetchedPage;
  fetchFailure?: { errorType: string; message: string; elapsedMs: number };
  tagging: TagResult;
  timings: { startedAt: string; fetchMs: number; tagMs: number };
  /** What the bridge worked around to start the run (MessageEnvelope.warnings). */
  warnings?: string[];
}

export interface BuiltOutput {
  value: string;
  bytes: number;
  truncated: boolean;
}

/** The input message alone is larger than the output topic accepts. */
export class OutputTooLargeError extends Error {
  override readonly name = 'OutputTooLargeError';
  constructor(readonly bytes: number, readonly limit: number) {
    super(`the message without its page content is ${bytes} bytes; the output topic accepts ${limit}`);
  }
}

/**
 * The tagged message: the input message plus the seed's fields (`content` pure text,
 * `contentHtml`, `webCrawlConsume` in seconds, `tags`) and crawlflow's metadata.
 *
 * Truncation rule, so the record fits the topic (KAFKA_MAX_MESSAGE_BYTES): first
 * `contentHtml` is emptied, then `content` is cut to what fits; `crawlflow.truncated` says
 * what was cut and how big it was. A message that cannot fit even without content fails.
 */
export function buildOutputMessage(parts: OutputParts, maxBytes: number): BuiltOutput {
  const base = {
    ...parts.input,
    webCrawlConsume: parts.page ? parts.page.elapsedMs / 1000 : (parts.fetchFailure?.elapsedMs ?? 0) / 1000,
    tags: parts.tagging.tags,
  };
  const metadata = (truncated?: Record<string, unknown>) => ({
    workflowId: parts.workflowId,
    taggerVersion: parts.tagging.taggerVersion,
    rulesVersion: parts.tagging.rulesVersion,
    ...(parts.tagging.modelVersion ? { modelVersion: parts.tagging.modelVersion } : {}),
    ...(parts.tagging.truncated ? { taggedChars: parts.tagging.scannedChars, taggingTextCapped: true } : {}),
    ...(parts.tagging.warnings ? { taggingWarnings: parts.tagging.warnings } : {}),
    ...(parts.warnings?.length ? { warnings: parts.warnings } : {}),
    fetch: parts.page
      ? { status: 'ok', via: parts.page.via, httpStatus: parts.page.status, finalUrl: parts.page.finalUrl, bodyTruncated: parts.page.truncated }
      : parts.fetchFailure
        ? { status: 'failed', errorType: parts.fetchFailure.errorType, error: parts.fetchFailure.message }
        : { status: 'skipped' },
    ...(parts.page?.extract ? { extract: parts.page.extract } : {}),
    timings: { ...parts.timings, publishedAt: new Date().toISOString() },
    ...(truncated ? { truncated } : {}),
  });
  const serialize = (content: string, contentHtml: string, truncated?: Record<string, unknown>) => {
    const value = JSON.stringify({ ...base, content, contentHtml, crawlflow: metadata(truncated) });
    return { value, bytes: Buffer.byteLength(value, 'utf8') };
  };

  const full = serialize(parts.text, parts.html);
  if (full.bytes <= maxBytes) return { ...full, truncated: false };

  const truncated = { originalBytes: full.bytes, contentHtml: { originalChars: parts.html.length, keptChars: 0 } };
  const withoutHtml = serialize(parts.text, '', truncated);
  if (withoutHtml.bytes <= maxBytes) return { ...withoutHtml, truncated: true };

  const empty = serialize('', '', { ...truncated, content: { originalChars: parts.text.length, keptChars: 0 } });
  if (empty.bytes > maxBytes) throw new OutputTooLargeError(empty.bytes, maxBytes);
  // Binary search for the longest prefix of the text that fits.
  let low = 0;
  let high = parts.text.length;
  let best = empty;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const candidate = serialize(parts.text.slice(0, middle), '', {
      ...truncated,
      content: { originalChars: parts.text.length, keptChars: middle },
    });
    if (candidate.bytes <= maxBytes) {
      best = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return { ...best, truncated: true };
}
