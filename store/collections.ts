/**
 * Collection names. The first five are the seed's mongoengine models under their default
 * collection names (the class name in snake_case), and hold only the seed's fields:
 * mongoengine's default `strict` mode refuses to load a document with a field its model does
 * not declare (`FieldDoesNotExist`), so anything crawlflow adds lives in a companion
 * collection whose `_id` is the seed document's `_id`. See docs/data-model.md.
 */
export const Collection = {
  // The seed's models.
  Job: 'job',
  CrawlerTask: 'crawler_task',
  CrawlerTaskGenerator: 'crawler_task_generator',
  CrawlerGeneratorLog: 'crawler_generator_log',
  CrawlerUriLog: 'crawler_uri_log',

  // crawlflow's companions: one document per seed document, same `_id`.
  JobSettings: 'job_settings',
  CrawlerTaskSource: 'crawler_task_source',
  GeneratorSettings: 'crawler_task_generator_settings',
  GeneratorLogDetail: 'crawler_generator_log_detail',
  UriLogDetail: 'crawler_uri_log_detail',

  // crawlflow's own records.
  IngestRun: 'ingest_run',
  ErrorLog: 'error_log',
  FailureLog: 'failure_log',
  /** New tasks waiting for the feeder, in the order they were stored (domain/store/task-queue.ts). */
  CrawlerTaskQueue: 'crawler_task_queue',
  /** Each job's tasks per status, kept as they change (domain/store/task-counts.ts). */
  CrawlerTaskCount: 'crawler_task_count',
  /** Every code revision of a generator (domain/store/generator-revisions.ts). */
  GeneratorRevision: 'crawler_task_generator_revision',
  /** Each job's tasks in list order, newest first, as `_id` ranges (domain/store/task-order.ts). */
  CrawlerTaskOrder: 'crawler_task_order',
} as const;
export type Collection = (typeof Collection)[keyof typeof Collection];
