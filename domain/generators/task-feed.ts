import type { Db, IndexDescription, ObjectId } from 'mongodb';
import { insertManyUnordered } from '../store/bulk';
import { Collection } from '../store/collections';
import { CrawlerTaskStatus, type CrawlerTaskDocument } from '../store/crawler-tasks';
import { JobStatus, type JobDocument } from '../store/jobs';

/**
 * `crawler_task_feed`: one marker per crawler task sent to the pipeline's input topic (same
 * `_id` as the task). A feeder claims a task by inserting its marker (the unique `_id` lets
 * exactly one feeder win), sends it, then marks it sent. The seed's task model cannot carry
 * such a field, hence this collection.
 */
export const TASK_FEED_COLLECTION = 'crawler_task_feed';

export interface TaskFeedMarker {
  _id: ObjectId;
  job: ObjectId;
  state: 'claimed' | 'sent';
  /** The feeder process that claimed it. */
  owner: string;
  claimed_at: Date;
  sent_at: Date | null;
}

export const TASK_FEED_INDEXES: Record<string, IndexDescription[]> = {
  [TASK_FEED_COLLECTION]: [{ key: { state: 1, claimed_at: 1 }, name: 'state_claimed' }],
};

/** A task to send: what the link message needs. */
export interface FeedableTask {
  id: ObjectId;
  job: ObjectId;
  uri: string;
  addedAt: Date;
}

export interface FeedPosition {
  addedAt: Date;
  id: ObjectId;
}

export function createTaskFeedRepository(db: Db) {
  const markers = db.collection<TaskFeedMarker>(TASK_FEED_COLLECTION);
  const tasks = db.collection<CrawlerTaskDocument>(Collection.CrawlerTask);
  const jobs = db.collection<JobDocument>(Collection.Job);

  return {
    /**
     * New tasks added at or after `from` (and after `after`, the last one of the previous
     * page), oldest first. Reads crawler_task directly: it needs an ascending scan the task
     * repository does not offer.
     */
    async newTasks(from: Date, after: FeedPosition | null, limit: number): Promise<FeedableTask[]> {
      const position = after
        ? { $or: [{ add_datetime: { $gt: after.addedAt } }, { add_datetime: after.addedAt, _id: { $gt: after.id } }] }
        : {};
      const documents = await tasks
        .find({ status: CrawlerTaskStatus.New, add_datetime: { $gte: from }, ...position }, { projection: { job: 1, uri: 1, add_datetime: 1 } })
        .sort({ add_datetime: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return documents.map((document) => ({ id: document._id, job: document.job, uri: document.uri, addedAt: document.add_datetime }));
    },

    /** Which of these jobs are enabled (a disabled job's tasks wait until it is enabled again). */
    async enabledJobs(ids: readonly ObjectId[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const found = await jobs.find({ _id: { $in: [...ids] }, status: JobStatus.On }, { projection: { _id: 1 } }).toArray();
      return new Set(found.map((job) => job._id.toHexString()));
    },

    /**
     * Claims tasks for `owner`: new markers, plus claims older than `staleBefore` (their feeder
     * died before sending). Returns the ids now claimed by `owner`; tasks already sent or
     * freshly claimed by another feeder are left out.
     */
    async claim(candidates: readonly FeedableTask[], owner: string, staleBefore: Date): Promise<Set<string>> {
      if (candidates.length === 0) return new Set();
      const now = new Date();
      // Most candidates of an overlapping pass were sent already: look before inserting.
      const existing = await markers
        .find({ _id: { $in: candidates.map((task) => task.id) } }, { projection: { state: 1, claimed_at: 1 } })
        .toArray();
      const markerOf = new Map(existing.map((marker) => [marker._id.toHexString(), marker]));
      const fresh = candidates.filter((task) => !markerOf.has(task.id.toHexString()));
      const outcome = await insertManyUnordered(
        markers,
        fresh.map((task) => ({ _id: task.id, job: task.job, state: 'claimed' as const, owner, claimed_at: now, sent_at: null })),
      );
      if (outcome.failed.size > 0) throw new Error(`could not claim ${outcome.failed.size} tasks: ${[...outcome.failed.values()][0]}`);
      // A duplicate here is another feeder's claim a moment ago: it is theirs.
      const claimed = new Set([...outcome.inserted].map((index) => fresh[index]!.id.toHexString()));
      for (const marker of existing) {
        if (marker.state !== 'claimed' || marker.claimed_at >= staleBefore) continue;
        const taken = await markers.updateOne({ _id: marker._id, state: 'claimed', claimed_at: marker.claimed_at }, { $set: { owner, claimed_at: now } });
        if (taken.modifiedCount === 1) claimed.add(marker._id.toHexString());
      }
      return claimed;
    },

    async markSent(ids: readonly ObjectId[], owner: string): Promise<void> {
      if (ids.length === 0) return;
      await markers.updateMany({ _id: { $in: [...ids] }, owner, state: 'claimed' }, { $set: { state: 'sent', sent_at: new Date() } });
    },

    /** Gives claims back after a failed send, so the next pass sends them. */
    async release(ids: readonly ObjectId[], owner: string): Promise<void> {
      if (ids.length === 0) return;
      await markers.deleteMany({ _id: { $in: [...ids] }, owner, state: 'claimed' });
    },

    get(id: ObjectId): Promise<TaskFeedMarker | null> {
      return markers.findOne({ _id: id });
    },
  };
}

export type TaskFeedRepository = ReturnType<typeof createTaskFeedRepository>;
