import type { Db, IndexDescription } from 'mongodb';
import { createCrawlerTaskRepository, CRAWLER_TASK_INDEXES } from './crawler-tasks';
import { createGeneratorLogRepository, GENERATOR_LOG_INDEXES } from './generator-logs';
import { createGeneratorRevisionRepository, GENERATOR_REVISION_INDEXES } from './generator-revisions';
import { createGeneratorRepository, GENERATOR_INDEXES } from './generators';
import { createIngestLogRepository, INGEST_LOG_INDEXES } from './ingest-logs';
import { createIngestRunRepository, INGEST_RUN_INDEXES } from './ingest-runs';
import { createJobRepository, JOB_INDEXES } from './jobs';
import { createUriLogRepository, URI_LOG_INDEXES } from './uri-logs';

/** Every index of the URI store's collections (added to COLLECTION_INDEXES for `crawlflow setup`). */
export const STORE_INDEXES: Record<string, IndexDescription[]> = {
  ...JOB_INDEXES,
  ...CRAWLER_TASK_INDEXES,
  ...GENERATOR_INDEXES,
  ...GENERATOR_LOG_INDEXES,
  ...GENERATOR_REVISION_INDEXES,
  ...URI_LOG_INDEXES,
  ...INGEST_LOG_INDEXES,
  ...INGEST_RUN_INDEXES,
};

/** All repositories of the URI store over one `Db`. */
export function createStore(db: Db) {
  return {
    jobs: createJobRepository(db),
    tasks: createCrawlerTaskRepository(db),
    generators: createGeneratorRepository(db),
    generatorLogs: createGeneratorLogRepository(db),
    generatorRevisions: createGeneratorRevisionRepository(db),
    uriLogs: createUriLogRepository(db),
    logs: createIngestLogRepository(db),
    ingestRuns: createIngestRunRepository(db),
  };
}

export type Store = ReturnType<typeof createStore>;
