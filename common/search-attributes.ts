import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes crawlflow sets on its workflows, so runs can be filtered in the
 * Temporal Web UI (`CrawlflowOutcome = "failed"`) and with `temporal workflow list --query`.
 * The local stack registers them at server start; docker-compose registers them with
 * `temporal operator search-attribute create`.
 *
 * This module is imported by workflows: keep it free of Node built-ins.
 */
export const SearchAttributeName = {
  Source: 'CrawlflowSource',
  Job: 'CrawlflowJob',
  UrlHost: 'CrawlflowUrlHost',
  Outcome: 'CrawlflowOutcome',
  Generator: 'CrawlflowGenerator',
  MessageIds: 'CrawlflowMessageIds',
} as const;
export type SearchAttributeName = (typeof SearchAttributeName)[keyof typeof SearchAttributeName];

/**
 * Exact-match filters, which is what the UI needs; a batch run lists the ids of its messages,
 * so `CrawlflowMessageIds = "m1"` finds the run that carried m1.
 */
export const SEARCH_ATTRIBUTE_TYPES: Readonly<Record<SearchAttributeName, 'Keyword' | 'KeywordList'>> = {
  CrawlflowSource: 'Keyword',
  CrawlflowJob: 'Keyword',
  CrawlflowUrlHost: 'Keyword',
  CrawlflowOutcome: 'Keyword',
  CrawlflowGenerator: 'Keyword',
  CrawlflowMessageIds: 'KeywordList',
};

/** Typed keys for client starts (`typedSearchAttributes`) and `upsertSearchAttributes` in workflows. */
export const SearchAttributeKeys = {
  source: defineSearchAttributeKey(SearchAttributeName.Source, SearchAttributeType.KEYWORD),
  job: defineSearchAttributeKey(SearchAttributeName.Job, SearchAttributeType.KEYWORD),
  urlHost: defineSearchAttributeKey(SearchAttributeName.UrlHost, SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey(SearchAttributeName.Outcome, SearchAttributeType.KEYWORD),
  generator: defineSearchAttributeKey(SearchAttributeName.Generator, SearchAttributeType.KEYWORD),
  messageIds: defineSearchAttributeKey(SearchAttributeName.MessageIds, SearchAttributeType.KEYWORD_LIST),
} as const;

/**
 * The largest search-attribute value Temporal accepts by default
 * (`limit.searchAttributesSizeOfValueLimit`), counted over the value as stored: its JSON
 * encoding in UTF-8, quotes included. A 3,000-character job name, for one, is refused with
 * `INVALID_ARGUMENT … value size 3002 exceeds size limit 2048` (seen on the dev server).
 */
export const SEARCH_ATTRIBUTE_VALUE_MAX_BYTES = 2048;

export interface CappedKeyword {
  value: string;
  /** Set when the value was cut: its encoded size before, and the characters kept. */
  cut?: { originalBytes: number; keptChars: number };
}

const utf8 = new TextEncoder();
/** A keyword's size as Temporal counts it: its JSON string (quotes, escapes) in UTF-8. */
export const encodedKeywordBytes = (text: string): number => utf8.encode(JSON.stringify(text)).length;

/**
 * A keyword value that fits `maxBytes` once encoded: the value itself when it fits, else its
 * longest prefix that does, cut between code points (never inside a surrogate pair) and
 * counting what JSON escapes cost.
 */
export function capKeywordValue(value: string, maxBytes: number = SEARCH_ATTRIBUTE_VALUE_MAX_BYTES): CappedKeyword {
  const originalBytes = encodedKeywordBytes(value);
  if (originalBytes <= maxBytes) return { value };
  let budget = maxBytes - 2; // the quotes
  let kept = 0;
  for (const codePoint of value) {
    const cost = encodedKeywordBytes(codePoint) - 2;
    if (cost > budget) break;
    budget -= cost;
    kept += codePoint.length;
  }
  return { value: value.slice(0, kept), cut: { originalBytes, keptChars: kept } };
}
