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
  /** New tasks waiting for the feeder, in the order they were stored (store/task-queue.ts). */
  CrawlerTaskQueue: 'crawler_task_queue',
  /** Each job's tasks per status, kept as they change (store/task-counts.ts). */
  CrawlerTaskCount: 'crawler_task_count',
  /** Every code revision of a generator (store/generator-revisions.ts). */
  GeneratorRevision: 'crawler_task_generator_revision',
  /** Each job's tasks in list order, newest first, as `_id` ranges (store/task-order.ts). */
  CrawlerTaskOrder: 'crawler_task_order',
  /**
   * One marker per crawler task sent to the pipeline's input topic (same `_id` as the task). A
   * feeder claims a task by inserting its marker (the unique `_id` lets exactly one feeder win),
   * sends it, then marks it sent (store/task-feed.ts).
   */
  CrawlerTaskFeed: 'crawler_task_feed',
  /**
   * The latest run of each generator (same `_id` as the generator), shown beside it; the seed's
   * generator model refuses unknown fields, the full history is `crawler_generator_log`
   * (store/generator-run-state.ts).
   */
  GeneratorRunState: 'crawler_task_generator_run_state',
  /** One record per failure of a message, kept to see and replay it (store/failed-messages.ts). */
  FailedMessage: 'failed_message',
  /** Alerts waiting for, or sent in, a digest (store/alert-repository.ts). */
  Alert: 'alert',
  /** The digest's own state: when the last one went out (store/alert-repository.ts). */
  AlertState: 'alert_state',
  /** Fetched page bodies too large to travel in workflow history (store/payload-store.ts). */
  Payload: 'payload',
} as const;
export type Collection = (typeof Collection)[keyof typeof Collection];
