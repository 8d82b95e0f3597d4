import type { Db, ObjectId } from 'mongodb';
import { Collection } from './collections';
import { isDuplicateKeyError } from './errors';
import { addTaskOrder } from './task-order';

/** The seed's task status codes, 1–6 (`CrawlerTaskStatus` in crawler-tasks.ts). */
type StatusCode = 1 | 2 | 3 | 4 | 5 | 6;
const STATUS_CODES: readonly StatusCode[] = [1, 2, 3, 4, 5, 6];

/**
 * `crawler_task_count`: one document per job (same `_id` as the job) with its number of tasks in
 * each status, `s1` … `s6`, kept up to date as tasks are stored and change status. The job list's
 * counts are then one `_id` lookup per job, whatever the number of tasks — counting at read time
 * (`countDocuments({job, status})`) reads every task of the job on MongoDB and every task of
 * every job on FerretDB (docs/data-model.md).
 *
 * Not transactional (neither FerretDB 1.24 nor a standalone MongoDB has transactions): a process
 * that dies between a task write and its count update leaves the count off by that task, and
 * tasks written by other tools (the seed's own) are not counted. {@link TaskCountRepository.recount}
 * counts the job's tasks again and stores the result.
 */
export interface TaskCountDocument {
  _id: ObjectId;
  s1: number;
  s2: number;
  s3: number;
  s4: number;
  s5: number;
  s6: number;
  /** When the counts were last set from a count of the tasks (null: kept from the start). */
  recounted_at: Date | null;
  /**
   * Every task of the job has its `crawler_task_order` entry (a job made since entries are kept,
   * or one whose entries `recount` rebuilt): its task list can be read by `_id` range.
   */
  listed?: boolean;
}

export type TaskCounts = Record<StatusCode, number>;

const field = (status: StatusCode) => `s${status}` as const;

function zeroCounts(): TaskCounts {
  return { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 };
}

function toCounts(document: TaskCountDocument): TaskCounts {
  const counts = zeroCounts();
  // A count below zero can only be drift (a lost increment): show none rather than a negative.
  for (const status of STATUS_CODES) counts[status] = Math.max(0, document[field(status)] ?? 0);
  return counts;
}

export function createTaskCountRepository(db: Db) {
  const counts = db.collection<TaskCountDocument>(Collection.CrawlerTaskCount);
  const tasks = db.collection<{ _id: ObjectId; job: ObjectId; status: number; add_datetime: Date }>(Collection.CrawlerTask);

  /** `$inc` with an upsert; a racing upsert of the same job is refused by `_id` once, then it exists. */
  async function increment(job: ObjectId, delta: Partial<Record<StatusCode, number>>): Promise<void> {
    const inc: Record<string, number> = {};
    for (const status of STATUS_CODES) {
      const by = delta[status];
      if (by) inc[field(status)] = by;
    }
    if (Object.keys(inc).length === 0) return;
    // A job without counts is older than them: its older tasks have no order entries either.
    const update = { $inc: inc, $setOnInsert: { recounted_at: null, listed: false } };
    try {
      await counts.updateOne({ _id: job }, update, { upsert: true });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      await counts.updateOne({ _id: job }, update, { upsert: true });
    }
  }

  async function recount(job: ObjectId): Promise<TaskCounts> {
    const found = zeroCounts();
    // One pass over the job's tasks ($group), not one count per status.
    const groups = await tasks
      .aggregate<{ _id: number; n: number }>([{ $match: { job } }, { $group: { _id: '$status', n: { $sum: 1 } } }])
      .toArray();
    for (const group of groups) {
      if (STATUS_CODES.includes(group._id as StatusCode)) found[group._id as StatusCode] = group.n;
    }
    const fields = Object.fromEntries(STATUS_CODES.map((status) => [field(status), found[status]]));
    await counts.updateOne({ _id: job }, { $set: { ...fields, recounted_at: new Date() } }, { upsert: true });
    return found;
  }

  /** Writes the order entries of every task of `job` (those present are refused by `_id`), then marks it listed. */
  async function relist(job: ObjectId): Promise<number> {
    let missing = 0;
    let batch: Array<{ task: ObjectId; job: ObjectId; addedAt: Date }> = [];
    const cursor = tasks.find({ job }, { projection: { _id: 1, add_datetime: 1 } });
    for await (const task of cursor as AsyncIterable<{ _id: ObjectId; add_datetime: Date }>) {
      batch.push({ task: task._id, job, addedAt: task.add_datetime });
      if (batch.length === 1000) {
        missing += await addTaskOrder(db, batch);
        batch = [];
      }
    }
    missing += await addTaskOrder(db, batch);
    if (missing === 0) await counts.updateOne({ _id: job }, { $set: { listed: true } });
    return missing;
  }

  return {
    /** A new job: its counts start at zero (so reading them never needs a count of the tasks). */
    async createFor(job: ObjectId): Promise<void> {
      try {
        await counts.insertOne({ _id: job, s1: 0, s2: 0, s3: 0, s4: 0, s5: 0, s6: 0, recounted_at: null, listed: true });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    },

    /** `n` tasks of `job` were stored with `status`. */
    added(job: ObjectId, status: StatusCode, n: number): Promise<void> {
      return increment(job, { [status]: n });
    },

    /** One task of `job` moved from status `from` to `to`. */
    moved(job: ObjectId, from: number, to: StatusCode): Promise<void> {
      if (from === to) return Promise.resolve();
      const delta: Partial<Record<StatusCode, number>> = { [to]: 1 };
      if (STATUS_CODES.includes(from as StatusCode)) delta[from as StatusCode] = -1;
      return increment(job, delta);
    },

    /**
     * The counts of each job, one `_id: {$in}` read. A job without a count document (stored
     * before counts were kept, or by another tool) is counted once, then kept.
     */
    async ofJobs(jobs: readonly ObjectId[]): Promise<Map<string, TaskCounts>> {
      const result = new Map<string, TaskCounts>();
      if (jobs.length === 0) return result;
      const documents = await counts.find({ _id: { $in: [...jobs] } }).toArray();
      for (const document of documents) result.set(document._id.toHexString(), toCounts(document));
      for (const job of jobs) {
        if (!result.has(job.toHexString())) result.set(job.toHexString(), await recount(job));
      }
      return result;
    },

    /** The job's counts and whether its task list is kept in order entries (null: no counts kept). */
    async state(job: ObjectId): Promise<{ counts: TaskCounts; listed: boolean } | null> {
      const document = await counts.findOne({ _id: job });
      return document ? { counts: toCounts(document), listed: document.listed === true } : null;
    },

    /**
     * Counts the job's tasks (a read of all of them: slow on a big job on FerretDB) and stores
     * the counts. Exact when no task of the job is stored or changes status meanwhile.
     */
    recount,

    /** Rebuilds the job's task-list entries (a read of all its tasks); returns how many could not be written. */
    relist,
  };
}

export type TaskCountRepository = ReturnType<typeof createTaskCountRepository>;
