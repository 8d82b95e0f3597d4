import { ObjectId, type Db, type Filter, type IndexDescription } from 'mongodb';
import { Collection } from './collections';
import { newestFirst } from './newest-first';
import { findCompanions } from './companions';
import { runLogFields, seedRunLogFields, type RunLogMeasures, type RunLogStatus } from './seed-fields';

export { RunLogStatus as GeneratorLogStatus } from './seed-fields';

/** `crawler_generator_log`: exactly the seed's `GrawlerGeneratorLog` model (one document per run). */
export interface GeneratorLogDocument {
  _id: ObjectId;
  job: ObjectId;
  task_generator: ObjectId;
  status: RunLogStatus;
  failed_reason: string | null;
  content_bytes: number;
  /** The seed's comment says microseconds, its name milliseconds: crawlflow writes milliseconds. */
  spend_msecs: number;
  hostname: string | null;
  add_datetime: Date;
}

/** `crawler_generator_log_detail`: crawlflow's companion of a run log (same `_id`). */
export interface GeneratorLogDetailDocument {
  _id: ObjectId;
  task_generator: ObjectId;
  uris_new: number;
  uris_duplicate: number;
  uris_invalid: number;
  /** The run's workflow, for links to the Temporal Web UI. */
  workflow_id: string | null;
  run_id: string | null;
  /** Anything else worth keeping about the run (sandbox mode, stderr tail, …). */
  extra: Record<string, unknown>;
}

export interface GeneratorRunRecord extends RunLogMeasures {
  job: ObjectId;
  generator: ObjectId;
  urisNew?: number;
  urisDuplicate?: number;
  urisInvalid?: number;
  workflowId?: string | null;
  runId?: string | null;
  extra?: Record<string, unknown>;
}

export interface GeneratorRun {
  id: ObjectId;
  job: ObjectId;
  generator: ObjectId;
  status: RunLogStatus;
  failedReason: string | null;
  contentBytes: number;
  spendMsecs: number;
  hostname: string | null;
  addedAt: Date;
  urisNew: number;
  urisDuplicate: number;
  urisInvalid: number;
  workflowId: string | null;
  runId: string | null;
  extra: Record<string, unknown>;
}

export const GENERATOR_LOG_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.CrawlerGeneratorLog]: [
    { key: { task_generator: 1, add_datetime: -1 }, name: 'generator_added' },
    { key: { job: 1, add_datetime: -1 }, name: 'job_added' },
  ],
};

export function createGeneratorLogRepository(db: Db) {
  const logs = db.collection<GeneratorLogDocument>(Collection.CrawlerGeneratorLog);
  const details = db.collection<GeneratorLogDetailDocument>(Collection.GeneratorLogDetail);

  return {
    /** Writes one run's log (detail first: a log a reader sees always has its counts). */
    async record(run: GeneratorRunRecord): Promise<ObjectId> {
      const id = new ObjectId();
      await details.insertOne({
        _id: id,
        task_generator: run.generator,
        uris_new: run.urisNew ?? 0,
        uris_duplicate: run.urisDuplicate ?? 0,
        uris_invalid: run.urisInvalid ?? 0,
        workflow_id: run.workflowId ?? null,
        run_id: run.runId ?? null,
        extra: run.extra ?? {},
      });
      await logs.insertOne({ _id: id, job: run.job, task_generator: run.generator, ...seedRunLogFields(run) });
      return id;
    },

    /** Newest first, for one generator or one job. */
    async list(query: { generator?: ObjectId; job?: ObjectId; limit?: number }): Promise<GeneratorRun[]> {
      const filter: Partial<Pick<GeneratorLogDocument, 'task_generator' | 'job'>> = {};
      if (query.generator) filter.task_generator = query.generator;
      if (query.job) filter.job = query.job;
      // A run's log gets a fresh ObjectId as it is written: newest first is `_id` order.
      const documents = await newestFirst(logs, { filter, limit: Math.min(Math.max(query.limit ?? 50, 1), 500) });
      const byId = await findCompanions(details, documents.map((document) => document._id));
      return documents.map((document) => toRun(document, byId.get(document._id.toHexString())));
    },

    /**
     * One page of a generator's runs, newest first by `_id` (a run log's id is made when it is
     * written), optionally only the failed ones; `before` is the last id of the previous page.
     */
    async page(query: { generator: ObjectId; status?: RunLogStatus; before?: ObjectId; limit?: number }): Promise<GeneratorRun[]> {
      const filter: Filter<GeneratorLogDocument> = { task_generator: query.generator };
      if (query.status !== undefined) filter.status = query.status;
      // Always an ObjectId range (newestFirst): FerretDB then streams by `_id` and stops at the limit.
      const documents = await newestFirst(logs, {
        filter,
        limit: Math.min(Math.max(query.limit ?? 50, 1), 500),
        ...(query.before ? { before: query.before } : {}),
      });
      const byId = await findCompanions(details, documents.map((document) => document._id));
      return documents.map((document) => toRun(document, byId.get(document._id.toHexString())));
    },
  };
}

export type GeneratorLogRepository = ReturnType<typeof createGeneratorLogRepository>;

function toRun(document: GeneratorLogDocument, detail: GeneratorLogDetailDocument | undefined): GeneratorRun {
  return {
    ...runLogFields(document),
    generator: document.task_generator,
    urisNew: detail?.uris_new ?? 0,
    urisDuplicate: detail?.uris_duplicate ?? 0,
    urisInvalid: detail?.uris_invalid ?? 0,
    workflowId: detail?.workflow_id ?? null,
    runId: detail?.run_id ?? null,
    extra: detail?.extra ?? {},
  };
}
