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
