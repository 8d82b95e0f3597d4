import { ObjectId, type Db, type IndexDescription } from 'mongodb';
import { Collection } from './collections';
import { newestFirst } from './newest-first';
import { findCompanions } from './companions';
import { runLogFields, seedRunLogFields, type RunLogMeasures, type RunLogStatus } from './seed-fields';

export { RunLogStatus as UriLogStatus } from './seed-fields';

/** `crawler_uri_log`: exactly the seed's `CrawlerUriLog` model (one document per fetch of a task's URI). */
export interface UriLogDocument {
  _id: ObjectId;
  job: ObjectId;
  task_generator: ObjectId | null;
  status: RunLogStatus;
  failed_reason: string | null;
  content_bytes: number;
  /** Milliseconds (see the generator log's note). */
  spend_msecs: number;
  hostname: string | null;
  add_datetime: Date;
}

/** `crawler_uri_log_detail`: crawlflow's companion (same `_id`): which task and which run. */
export interface UriLogDetailDocument {
  _id: ObjectId;
  task: ObjectId;
  uri: string;
  workflow_id: string | null;
  run_id: string | null;
}

export interface UriFetchRecord extends RunLogMeasures {
  job: ObjectId;
  task: ObjectId;
  uri: string;
  generator?: ObjectId | null;
  workflowId?: string | null;
  runId?: string | null;
}

export interface UriFetch {
  id: ObjectId;
  job: ObjectId;
  generator: ObjectId | null;
  task: ObjectId | null;
  uri: string | null;
  status: RunLogStatus;
  failedReason: string | null;
  contentBytes: number;
  spendMsecs: number;
  hostname: string | null;
  addedAt: Date;
  workflowId: string | null;
  runId: string | null;
}

export const URI_LOG_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.CrawlerUriLog]: [
    { key: { job: 1, add_datetime: -1 }, name: 'job_added' },
    { key: { job: 1, status: 1, add_datetime: -1 }, name: 'job_status_added' },
  ],
  [Collection.UriLogDetail]: [{ key: { task: 1 }, name: 'task' }],
};

export function createUriLogRepository(db: Db) {
  const logs = db.collection<UriLogDocument>(Collection.CrawlerUriLog);
  const details = db.collection<UriLogDetailDocument>(Collection.UriLogDetail);

  return {
    async record(fetch: UriFetchRecord): Promise<ObjectId> {
      const id = new ObjectId();
      await details.insertOne({
        _id: id,
        task: fetch.task,
        uri: fetch.uri,
        workflow_id: fetch.workflowId ?? null,
        run_id: fetch.runId ?? null,
      });
      await logs.insertOne({ _id: id, job: fetch.job, task_generator: fetch.generator ?? null, ...seedRunLogFields(fetch) });
      return id;
    },

    /** Newest first, for one job (optionally one status) or one task. */
    async list(query: { job?: ObjectId; status?: RunLogStatus; task?: ObjectId; limit?: number }): Promise<UriFetch[]> {
      const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
      let documents: UriLogDocument[];
      let byId: Map<string, UriLogDetailDocument>;
      if (query.task) {
        // The task's details are read whole here, so they need no second lookup below.
        const taskDetails = await details.find({ task: query.task }).toArray();
        byId = new Map(taskDetails.map((detail) => [detail._id.toHexString(), detail]));
        documents = [...(await findCompanions(logs, taskDetails.map((detail) => detail._id))).values()]
          .sort((a, b) => b.add_datetime.getTime() - a.add_datetime.getTime())
          .slice(0, limit);
      } else {
        const filter: Partial<Pick<UriLogDocument, 'job' | 'status'>> = {};
        if (query.job) filter.job = query.job;
        if (query.status !== undefined) filter.status = query.status;
        // A fetch's log gets a fresh ObjectId as it is written: newest first is `_id` order.
        documents = await newestFirst(logs, { filter, limit });
        byId = await findCompanions(details, documents.map((document) => document._id));
      }
      return documents.map((document) => {
        const detail = byId.get(document._id.toHexString());
        return {
          ...runLogFields(document),
          generator: document.task_generator ?? null,
          task: detail?.task ?? null,
          uri: detail?.uri ?? null,
          workflowId: detail?.workflow_id ?? null,
          runId: detail?.run_id ?? null,
        };
      });
    },
  };
}

export type UriLogRepository = ReturnType<typeof createUriLogRepository>;
