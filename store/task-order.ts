import { createHash } from 'node:crypto';
import { ObjectId, type Db } from 'mongodb';
import { insertManyUnordered } from './bulk';
import { Collection } from './collections';

/**
 * `crawler_task_order`: one entry per crawler task, whose `_id` puts a job's tasks in the order
 * of the task list (newest first): 3 bytes of SHA-256(job id), the task's `add_datetime` in
 * milliseconds (6 bytes, big-endian), 3 bytes of the task id. A job's tasks newest first are then
 * one ObjectId range sorted by `_id` descending, which MongoDB and the patched FerretDB read from
 * the `_id` index and stop at the limit — the task's own `_id` is a hash and orders nothing, and
 * sorting by `add_datetime` made FerretDB read and sort every task (docs/data-model.md).
 *
 * Two tasks of one job stored in the same millisecond whose 3 id bytes agree would share an
 * entry id: the second then takes the next 3 bytes of its id (up to four tries). Jobs from other
 * tasks' job hashes are told apart by the entry's `job`.
 */
export interface TaskOrderEntry {
  _id: ObjectId;
  task: ObjectId;
  job: ObjectId;
}

const TRIES = 4;

function jobKey(job: ObjectId): Buffer {
  return createHash('sha256').update(job.id).digest().subarray(0, 3);
}

function entryId(key: Buffer, addedAt: Date, suffix: Buffer): ObjectId {
  const bytes = Buffer.alloc(12);
  key.copy(bytes, 0);
  bytes.writeUIntBE(Math.max(0, Math.min(addedAt.getTime(), 2 ** 48 - 1)), 3, 6);
  suffix.copy(bytes, 9, 0, 3);
  return new ObjectId(bytes);
}

/** The entry `_id` of a task (`attempt` > 0: after a clash). */
export function taskOrderId(job: ObjectId, addedAt: Date, task: ObjectId, attempt = 0): ObjectId {
  return entryId(jobKey(job), addedAt, Buffer.from(task.id).subarray(attempt * 3, attempt * 3 + 3));
}

/** Every entry of `job` (and of jobs sharing its 3 hash bytes), as an `_id` range. */
export function taskOrderRange(job: ObjectId): { $gte: ObjectId; $lte: ObjectId } {
  const key = jobKey(job);
  return { $gte: entryId(key, new Date(0), Buffer.alloc(3, 0)), $lte: entryId(key, new Date(2 ** 48 - 1), Buffer.alloc(3, 0xff)) };
}

export function taskOrderCollection(db: Db) {
  return db.collection<TaskOrderEntry>(Collection.CrawlerTaskOrder);
}

/**
 * Writes the entries of stored tasks. Written after the tasks: a task whose entry is lost (a
 * crash in between, four clashes) is missing from its job's list until `job recount` rebuilds
 * the entries; it is stored, counted and fed all the same. Returns how many entries are missing.
 */
export async function addTaskOrder(db: Db, tasks: ReadonlyArray<{ task: ObjectId; job: ObjectId; addedAt: Date }>): Promise<number> {
  const order = taskOrderCollection(db);
  let pending = [...tasks];
  for (let attempt = 0; attempt < TRIES && pending.length > 0; attempt++) {
    const entries = pending.map(({ task, job, addedAt }) => ({ _id: taskOrderId(job, addedAt, task, attempt), task, job }));
    const outcome = await insertManyUnordered(order, entries);
    // A refused id is a clash — or this very entry, written before (a retried batch).
    const clashed = [...outcome.duplicate].map((index) => ({ item: pending[index]!, id: entries[index]!._id }));
    const existing = clashed.length === 0 ? [] : await order.find({ _id: { $in: clashed.map(({ id }) => id) } }).toArray();
    const taskOf = new Map(existing.map((entry) => [entry._id.toHexString(), entry.task]));
    pending = clashed.filter(({ item, id }) => !taskOf.get(id.toHexString())?.equals(item.task)).map(({ item }) => item);
    if (outcome.failed.size > 0) return pending.length + outcome.failed.size;
  }
  return pending.length;
}
