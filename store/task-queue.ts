import { ObjectId, type Collection as MongoCollection, type Db } from 'mongodb';
import { insertManyUnordered } from './bulk';
import { Collection } from './collections';

/**
 * `crawler_task_queue`: one entry per crawler task crawlflow stored as new and has not yet
 * sent to the pipeline, keyed by a fresh ObjectId — so the `_id` order is the order tasks were
 * stored in, and the feeder reads the next page as an `_id` range from the `_id` index
 * (`{_id: {$gt: last}}` sorted by `_id`, limited): the cost of a page does not grow with the
 * tasks stored, on FerretDB (patched, see docs/data-model.md) as on MongoDB. The feeder
 * deletes an entry once its task was sent, so the queue holds only the backlog.
 */
export interface TaskQueueEntry {
  _id: ObjectId;
  task: ObjectId;
  job: ObjectId;
}


export function taskQueue(db: Db): MongoCollection<TaskQueueEntry> {
  return db.collection<TaskQueueEntry>(Collection.CrawlerTaskQueue);
}

/**
 * Queues new tasks for the feeder. Written after the tasks: a crash in between (or a failed
 * write) leaves a task unqueued, which the feeder's sweep of `crawler_task` finds (as it finds tasks written by the
 * seed's own tools).
 */
export async function enqueueTasks(db: Db, tasks: ReadonlyArray<{ task: ObjectId; job: ObjectId }>): Promise<void> {
  if (tasks.length === 0) return;
  // A failed entry is not an error of the ingest: its task is stored, and the sweep sends it.
  await insertManyUnordered(
    taskQueue(db),
    tasks.map(({ task, job }) => ({ _id: new ObjectId(), task, job })),
  );
}

