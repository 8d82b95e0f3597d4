import { createHash } from 'node:crypto';
import { ObjectId, type Collection as MongoCollection, type Db, type Filter, type IndexDescription } from 'mongodb';
import { insertManyUnordered, type BulkInsertOutcome } from './bulk';
import { Collection } from './collections';
import type { SentTaskIds } from './sent-task-ids';
import { createTaskCountRepository } from './task-counts';
import { addTaskOrder, taskOrderCollection, taskOrderId, taskOrderRange } from './task-order';
import { enqueueTasks } from './task-queue';

/** The seed's `CrawlerTask.STATUS_*`. */
export const CrawlerTaskStatus = {
  /** 新增 — stored, not yet fetched. */
  New: 1,
  /** 进行中 */
  InProgress: 2,
  /** 下载失败 */
  DownloadFailed: 3,
  /** 下载成功 */
  Downloaded: 4,
  /** 分析失败 */
  AnalysisFailed: 5,
  /** 分析成功 */
  Analysed: 6,
} as const;
export type CrawlerTaskStatus = (typeof CrawlerTaskStatus)[keyof typeof CrawlerTaskStatus];

export const CRAWLER_TASK_STATUS_NAMES: Readonly<Record<CrawlerTaskStatus, string>> = {
  1: 'new',
  2: 'in progress',
  3: 'download failed',
  4: 'downloaded',
  5: 'analysis failed',
  6: 'analysed',
};

/**
 * `crawler_task`: exactly the seed's `CrawlerTask` model. Its `_id` is derived from the job and
 * the normalized URI (see {@link crawlerTaskId}), so the `_id` index is the per-job unique
 * index that de-duplicates atomically: two uploads racing on one URI both try the same `_id`
 * and the server lets exactly one in.
 */
export interface CrawlerTaskDocument {
  _id: ObjectId;
  job: ObjectId;
  task_generator: ObjectId | null;
  /** The normalized URI (the seed's StringField(max_length=1024); crawlflow accepts up to 8000). */
  uri: string;
  cookie: string | null;
  args: string | null;
  status: CrawlerTaskStatus;
  store: string | null;
  add_datetime: Date;
}

/** Where a crawler task came from. */
export const TaskSource = {
  Manual: 'manual',
  File: 'file',
  Config: 'config',
  Generator: 'generator',
} as const;
export type TaskSource = (typeof TaskSource)[keyof typeof TaskSource];

/**
 * `crawler_task_source`: crawlflow's companion of a task (same `_id`): the URI as submitted,
 * the hash of its normalized form, the rules version that normalized it, and where it came from.
 */
export interface CrawlerTaskSourceDocument {
  _id: ObjectId;
  job: ObjectId;
  /** SHA-256 hex of the normalized URI (`crawler_task.uri`). */
  uri_hash: string;
  /** The URI exactly as submitted. */
  uri_original: string;
  rules_version: number;
  source: TaskSource;
  ingest: ObjectId | null;
  task_generator: ObjectId | null;
  /** 1-based line (or row) of the input; null when the input has no lines. */
  line: number | null;
  add_datetime: Date;
}

export const CRAWLER_TASK_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.CrawlerTask]: [
    // The page: a job's tasks by status, newest first; and counts per status.
    { key: { job: 1, status: 1, add_datetime: -1 }, name: 'job_status_added' },
    { key: { job: 1, add_datetime: -1 }, name: 'job_added' },
    // A generator's tasks.
    { key: { task_generator: 1, add_datetime: -1 }, name: 'generator_added' },
  ],
  [Collection.CrawlerTaskSource]: [
    // The receipt of one ingest, line by line. (A URI's task needs no index: its id is crawlerTaskId.)
    { key: { ingest: 1, line: 1 }, name: 'ingest_line' },
  ],
};

/**
 * The task `_id` of a normalized URI in a job: the first 12 bytes of SHA-256(job id ‖ URI hash).
 * A real ObjectId, so the seed's models read it; its embedded "timestamp" means nothing — use
 * `add_datetime`. A false duplicate needs two URIs of one job to share 96 bits of SHA-256: by
 * chance about n²/2⁹⁷ (6·10⁻¹⁴ at 10⁸ URIs in one job), and not by design — making a URI
 * collide with a given one is a second preimage, 2⁹⁶ work. No read is needed to confirm a
 * duplicate, which matters on FerretDB, where only single-`_id` lookups use an index.
 */
export function crawlerTaskId(job: ObjectId, uriHashHex: string): ObjectId {
  const digest = createHash('sha256').update(job.id).update(Buffer.from(uriHashHex, 'hex')).digest();
  return new ObjectId(digest.subarray(0, 12));
}

/** One URI to store: already validated and normalized. */
export interface NewCrawlerTask {
  /** Normalized URI. */
  uri: string;
  /** {@link uriHash} of `uri`. */
  uriHash: string;
  /** As submitted. */
  original: string;
  line: number | null;
}

/** What the URIs of one batch share. */
export interface TaskBatchContext {
  job: ObjectId;
  source: TaskSource;
  rulesVersion: number;
  /** @default null */
  generator?: ObjectId | null;
  /** @default null */
  ingest?: ObjectId | null;
  /**
   * The ids this writer sent in earlier batches (one filter per ingest or generator run). With
   * it, a URI that probably repeats an earlier one is inserted apart from the rest, so the rest
   * go in as one clean batch — on FerretDB several times faster (see {@link SentTaskIds}).
   * Outcomes are the same with or without it. @default none: every batch is inserted as one
   */
  sent?: SentTaskIds;
}

export type TaskInsertOutcome =
  | { kind: 'accepted'; taskId: ObjectId }
  | { kind: 'duplicate'; taskId: ObjectId }
  | { kind: 'failed'; reason: string };

export interface CrawlerTask {
  id: ObjectId;
  job: ObjectId;
  generator: ObjectId | null;
  uri: string;
  status: CrawlerTaskStatus;
  addedAt: Date;
  cookie: string | null;
  args: string | null;
  store: string | null;
}

export interface TaskListQuery {
  job?: ObjectId;
  status?: CrawlerTaskStatus;
  generator?: ObjectId;
  /** @default 50 (at most 500) */
  limit?: number;
  /** Page on: tasks added before this one (its `addedAt` and `id`). */
  before?: { addedAt: Date; id: ObjectId };
}

export function createCrawlerTaskRepository(db: Db) {
  const tasks = db.collection<CrawlerTaskDocument>(Collection.CrawlerTask);
  const sources = db.collection<CrawlerTaskSourceDocument>(Collection.CrawlerTaskSource);
  const counts = createTaskCountRepository(db);

  const order = taskOrderCollection(db);

  /**
   * A job's tasks newest first from its `crawler_task_order` entries: pages of entries as an `_id`
   * range sorted descending, then their tasks by `_id` — each read stops at its limit, so a page
   * costs the same however many tasks the job has. With a status, entries are read until `limit`
   * tasks in that status were found: flat while the status is common among the recent tasks;
   * after {@link MAX_ORDER_WALK} entries without enough, null (the caller asks the indexes).
   */
  async function listByOrder(job: ObjectId, status: CrawlerTaskStatus | undefined, limit: number, before?: { addedAt: Date; id: ObjectId }): Promise<CrawlerTask[] | null> {
    const range = taskOrderRange(job);
    let upper: ObjectId | undefined = before ? taskOrderId(job, before.addedAt, before.id) : undefined;
    const found: CrawlerTask[] = [];
    let read = 0;
    while (found.length < limit) {
      if (read >= MAX_ORDER_WALK) return null;
      const pageSize = status === undefined ? limit - found.length : ORDER_PAGE;
      const entries = await order
        .find({ _id: upper ? { $gte: range.$gte, $lt: upper } : range, job })
        .sort({ _id: -1 })
        .limit(pageSize)
        .toArray();
      if (entries.length === 0) break;
      read += entries.length;
      const documents = await tasks.find({ _id: { $in: entries.map((entry) => entry.task) } }).toArray();
      const byId = new Map(documents.map((document) => [document._id.toHexString(), document]));
      for (const entry of entries) {
        const document = byId.get(entry.task.toHexString());
        if (document && (status === undefined || document.status === status)) found.push(toTask(document));
        if (found.length === limit) break;
      }
      upper = entries.at(-1)!._id;
      if (entries.length < pageSize) break;
    }
    return found;
  }

  return {
    /**
     * Stores new tasks (status new) in bulk — one unordered insertMany — and says, per input and
     * in input order, whether it was accepted, a duplicate (of which task: the same batch, an
     * earlier upload, or one racing with this one), or failed to save. Never stores one URI
     * twice in a job. Then writes each accepted task's source (its provenance).
     */
    async insertNew(context: TaskBatchContext, batch: readonly NewCrawlerTask[]): Promise<TaskInsertOutcome[]> {
      const now = new Date();
      const generator = context.generator ?? null;
      const outcomes: TaskInsertOutcome[] = new Array(batch.length);
      // Within the batch, later copies are duplicates of the first: one write per distinct URI.
      const firstIndexById = new Map<string, number>();
      const candidates: number[] = [];
      const ids = batch.map((task) => crawlerTaskId(context.job, task.uriHash));
      ids.forEach((id, index) => {
        const key = id.toHexString();
        if (!firstIndexById.has(key)) {
          firstIndexById.set(key, index);
          candidates.push(index);
        }
      });

      const documents: CrawlerTaskDocument[] = candidates.map((index) => ({
        _id: ids[index]!,
        job: context.job,
        task_generator: generator,
        uri: batch[index]!.uri,
        cookie: null,
        args: null,
        status: CrawlerTaskStatus.New,
        store: null,
        add_datetime: now,
      }));
      const written = await insertSplitBySent(tasks, documents, context.sent);
      await counts.added(context.job, CrawlerTaskStatus.New, written.inserted.size);
      await addTaskOrder(db, [...written.inserted].map((position) => ({ task: documents[position]!._id, job: context.job, addedAt: now })));

      for (const [position, reason] of written.failed) outcomes[candidates[position]!] = { kind: 'failed', reason };
      for (const position of written.inserted) {
        outcomes[candidates[position]!] = { kind: 'accepted', taskId: documents[position]!._id };
      }
      // A refused _id is a duplicate: the id is the URI's (job, normalized URI) key, see crawlerTaskId.
      for (const position of written.duplicate) {
        outcomes[candidates[position]!] = { kind: 'duplicate', taskId: documents[position]!._id };
      }
      batch.forEach((_, index) => {
        const first = firstIndexById.get(ids[index]!.toHexString())!;
        if (first === index) return;
        const firstOutcome = outcomes[first]!;
        outcomes[index] =
          firstOutcome.kind === 'failed' ? firstOutcome : { kind: 'duplicate', taskId: firstOutcome.taskId };
      });

      // Provenance of the accepted tasks. Losing it (a crash right here) loses no task.
      const sourceDocuments: CrawlerTaskSourceDocument[] = [];
      for (const position of written.inserted) {
        const index = candidates[position]!;
        const task = batch[index]!;
        sourceDocuments.push({
          _id: documents[position]!._id,
          job: context.job,
          uri_hash: task.uriHash,
          uri_original: task.original,
          rules_version: context.rulesVersion,
          source: context.source,
          ingest: context.ingest ?? null,
          task_generator: generator,
          line: task.line,
          add_datetime: now,
        });
      }
      await insertManyUnordered(sources, sourceDocuments);
      await enqueueTasks(db, sourceDocuments.map((source) => ({ task: source._id, job: source.job })));
      return outcomes;
    },

    async get(id: ObjectId): Promise<CrawlerTask | null> {
      const document = await tasks.findOne({ _id: id });
      return document ? toTask(document) : null;
    },

    /** Which of these task ids are stored (one `_id: {$in}` read; the `_id` index answers it). */
    async existingIds(ids: readonly ObjectId[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const found = await tasks.find({ _id: { $in: [...ids] } }, { projection: { _id: 1 } }).toArray();
      return new Set(found.map((document) => document._id.toHexString()));
    },

    async source(id: ObjectId): Promise<CrawlerTaskSourceDocument | null> {
      return sources.findOne({ _id: id });
    },

    /**
     * Newest first, by job, status and/or generator; page with `before`. A job's tasks (of one
     * status or all) are read from its order entries when it has them (see {@link listByOrder});
     * otherwise, and by generator, by the `{job, status, add_datetime}` / `{task_generator, …}`
     * indexes (which FerretDB does not use: it reads and sorts every task).
     */
    async list(query: TaskListQuery): Promise<CrawlerTask[]> {
      const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
      if (query.job && !query.generator) {
        const state = await counts.state(query.job);
        // Counts are kept with the tasks: none in this status means an empty page, without a read.
        if (state?.listed && query.status !== undefined && state.counts[query.status] === 0) return [];
        if (state?.listed) {
          const found = await listByOrder(query.job, query.status, limit, query.before);
          if (found) return found;
        }
      }
      const filter: Filter<CrawlerTaskDocument> = {};
      if (query.job) filter.job = query.job;
      if (query.status !== undefined) filter.status = query.status;
      if (query.generator) filter.task_generator = query.generator;
      if (query.before) {
        filter.$or = [
          { add_datetime: { $lt: query.before.addedAt } },
          { add_datetime: query.before.addedAt, _id: { $lt: query.before.id } },
        ];
      }
      const documents = await tasks.find(filter).sort({ add_datetime: -1, _id: -1 }).limit(limit).toArray();
      return documents.map(toTask);
    },

    /**
     * Tasks per status in one job (every status present, zero when none): the counts kept in
     * `crawler_task_count` (store/task-counts.ts), one `_id` read however many tasks.
     */
    async countByStatus(job: ObjectId): Promise<Record<CrawlerTaskStatus, number>> {
      return (await counts.ofJobs([job])).get(job.toHexString())!;
    },

    /** {@link countByStatus} of several jobs in one read, by job id (hex). */
    countByStatusOfJobs(jobs: readonly ObjectId[]): Promise<Map<string, Record<CrawlerTaskStatus, number>>> {
      return counts.ofJobs(jobs);
    },

    /**
     * Counts a job's tasks again and rebuilds its task-list entries (reads them all) and keeps the
     * result: repairs drifted counts, and lists tasks stored before entries were kept or by other tools.
     */
    async recountByStatus(job: ObjectId): Promise<Record<CrawlerTaskStatus, number>> {
      await counts.relist(job);
      return counts.recount(job);
    },

    /** Sources of an ingest's accepted lines, in line order, after line `afterLine`. */
    async sourcesOfIngest(ingest: ObjectId, afterLine: number, limit: number): Promise<CrawlerTaskSourceDocument[]> {
      return sources.find({ ingest, line: { $gt: afterLine } }).sort({ line: 1 }).limit(limit).toArray();
    },

    /** Sets a task's status (one `_id` update that returns the old status) and moves its job's count. */
    async setStatus(id: ObjectId, status: CrawlerTaskStatus, fields: { store?: string | null } = {}): Promise<boolean> {
      const before = await tasks.findOneAndUpdate(
        { _id: id },
        { $set: { status, ...fields } },
        // No projection: FerretDB 1.24 refuses one on findAndModify (NotImplemented).
        { returnDocument: 'before' },
      );
      if (!before) return false;
      await counts.moved(before.job, before.status, status);
      return true;
    },
  };
}

export type CrawlerTaskRepository = ReturnType<typeof createCrawlerTaskRepository>;

/** Entries read per page of a task list by status. */
const ORDER_PAGE = 500;
/** Entries a task list by status reads at most before it asks the indexes instead. */
const MAX_ORDER_WALK = 20_000;

function toTask(document: CrawlerTaskDocument): CrawlerTask {
  return {
    id: document._id,
    job: document.job,
    generator: document.task_generator ?? null,
    uri: document.uri,
    status: document.status,
    addedAt: document.add_datetime,
    cookie: document.cookie ?? null,
    args: document.args ?? null,
    store: document.store ?? null,
  };
}

/**
 * One unordered insertMany of `documents` — or, given what this writer knows of the ids it sent
 * before, at most two: the documents whose id was certainly never sent (one clean batch, the fast
 * path), then those that may repeat an earlier one and are not known to be stored (mostly refused
 * by `_id`). An id this writer saw stored is a duplicate without a write (tasks are never
 * deleted). Otherwise the unique `_id` decides: the split only keeps likely refusals out of the
 * big batch. Positions index `documents`.
 */
async function insertSplitBySent(
  collection: MongoCollection<CrawlerTaskDocument>,
  documents: readonly CrawlerTaskDocument[],
  sent: SentTaskIds | undefined,
): Promise<BulkInsertOutcome> {
  if (!sent) return insertManyUnordered(collection, documents);
  const outcome: BulkInsertOutcome = { inserted: new Set(), duplicate: new Set(), failed: new Map() };
  const fresh: number[] = [];
  const suspects: number[] = [];
  documents.forEach((document, position) => {
    if (!sent.mightHave(document._id)) fresh.push(position);
    else if (sent.isKnownStored(document._id)) outcome.duplicate.add(position);
    else suspects.push(position);
  });
  for (const positions of [fresh, suspects]) {
    const part = await insertManyUnordered(collection, positions.map((position) => documents[position]!));
    for (const index of part.inserted) outcome.inserted.add(positions[index]!);
    for (const index of part.duplicate) outcome.duplicate.add(positions[index]!);
    for (const [index, reason] of part.failed) outcome.failed.set(positions[index]!, reason);
  }
  documents.forEach((document, position) => {
    // Whatever happened to it (even a failure), a later copy goes with the suspects …
    sent.add(document._id);
    // … and one now known to be in the database is a duplicate without a write.
    if (!outcome.failed.has(position)) sent.markStored(document._id);
  });
  return outcome;
}
