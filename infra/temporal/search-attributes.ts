import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEARCH_ATTRIBUTE_TYPES, type SearchAttributeName } from '../../common/search-attributes';

const INDEXED_VALUE_TYPE = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

/** gRPC status code 6. */
const GRPC_ALREADY_EXISTS = 6;

/**
 * The server caches each namespace's search attributes and refreshes the cache on an interval
 * (2 s by default); every service of the server has its own copy.
 */
const NAMESPACE_CACHE_REFRESH_MS = 2_000;

/**
 * Registers the custom search attributes crawlflow sets that the namespace lacks, and returns
 * once the server accepts queries naming them. The dev server registers them only when it
 * creates its database, so an existing database gets the ones added later here; the server
 * then needs no `system.forceSearchAttributesCacheRefreshOnRead` (which re-reads the namespace
 * from its database, under a lock, on every check — docs/pipeline.md measures its cost).
 */
export async function ensureSearchAttributes(client: Client, options: { timeoutMs?: number } = {}): Promise<SearchAttributeName[]> {
  const { namespace } = client.options;
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = (Object.keys(SEARCH_ATTRIBUTE_TYPES) as SearchAttributeName[]).filter((name) => !(name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, INDEXED_VALUE_TYPE[SEARCH_ATTRIBUTE_TYPES[name]]])),
    });
  } catch (error) {
    // Another process's setup added them first: what follows waits for them all the same.
    if ((error as { code?: unknown }).code !== GRPC_ALREADY_EXISTS) throw error;
  }
  const query = missing.map((name) => `${name} = "crawlflow-probe"`).join(' AND ');
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await client.workflow.count(query);
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`the search attributes ${missing.join(', ')} were created but the server does not accept them yet`, { cause: error });
      }
      await sleep(200);
    }
  }
  // The frontend answering proves its own cache only; the history service's refreshes on the same interval.
  await sleep(NAMESPACE_CACHE_REFRESH_MS);
  return missing;
}
