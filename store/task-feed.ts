import type { Db, IndexDescription, ObjectId } from 'mongodb';
import { insertManyUnordered } from './bulk';
import { Collection } from './collections';
import { CrawlerTaskStatus, type CrawlerTaskDocument } from './crawler-tasks';
import { taskQueue } from './task-queue';
import { JobStatus, type JobDocument } from './jobs';


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
  [Collection.CrawlerTaskFeed]: [{ key: { state: 1, claimed_at: 1 }, name: 'state_claimed' }],
};

/** A task to send: what the link message needs. */
export interface FeedableTask {
  id: ObjectId;
  job: ObjectId;
  uri: string;
  addedAt: Date;
  /** Its `crawler_task_queue` entry, when it was read from the queue (not found by the sweep). */
  queued: ObjectId | null;
}

/** One page read from the queue or the sweep: the tasks to send and where the next page starts. */
export interface FeedPage {
  tasks: FeedableTask[];
  /** Entries (queue) or tasks (sweep) read: fewer than the limit means the end was reached. */
  read: number;
  /** The `_id` the next page starts after (null when nothing was read). */
  last: ObjectId | null;
}

export function createTaskFeedRepository(db: Db) {
  const markers = db.collection<TaskFeedMarker>(Collection.CrawlerTaskFeed);
  const tasks = db.collection<CrawlerTaskDocument>(Collection.CrawlerTask);
  const jobs = db.collection<JobDocument>(Collection.Job);
  const queue = taskQueue(db);
  const projection = { job: 1, uri: 1, add_datetime: 1, status: 1 } as const;
  const feedable = (document: Pick<CrawlerTaskDocument, '_id' | 'job' | 'uri' | 'add_datetime'>, queued: ObjectId | null): FeedableTask => ({
    id: document._id,
    job: document.job,
    uri: document.uri,
    addedAt: document.add_datetime,
    queued,
  });

  return {
    /**
     * The next queued tasks after queue entry `after`, oldest first: an `_id` range of the
     * queue, then the tasks by `_id` — both answered from `_id` indexes, so a page costs the
     * same however many tasks are stored. Entries whose task is no longer new (the pipeline
     * took it) or gone are dropped here.
     */
    async newTasks(after: ObjectId, limit: number): Promise<FeedPage> {
      const entries = await queue.find({ _id: { $gt: after } }).sort({ _id: 1 }).limit(limit).toArray();
      if (entries.length === 0) return { tasks: [], read: 0, last: null };
      const found = await tasks.find({ _id: { $in: entries.map((entry) => entry.task) } }, { projection }).toArray();
      const byId = new Map(found.map((document) => [document._id.toHexString(), document]));
      const page: FeedableTask[] = [];
      const stale: ObjectId[] = [];
      for (const entry of entries) {
        const document = byId.get(entry.task.toHexString());
        if (document?.status === CrawlerTaskStatus.New) page.push(feedable(document, entry._id));
        else stale.push(entry._id);
      }
      await this.dequeue(stale);
      return { tasks: page, read: entries.length, last: entries.at(-1)!._id };
    },

    /**
     * The next `limit` crawler tasks after task `after` in `_id` order, the new ones of them:
     * a sweep over every task, a bounded `_id` range at a time, for tasks that have no queue
     * entry (written by the seed's own tools, or queued by a writer that crashed).
     */
    async sweep(after: ObjectId, limit: number): Promise<FeedPage> {
      const found = await tasks.find({ _id: { $gt: after } }, { projection }).sort({ _id: 1 }).limit(limit).toArray();
      return {
        tasks: found.filter((document) => document.status === CrawlerTaskStatus.New).map((document) => feedable(document, null)),
        read: found.length,
        last: found.at(-1)?._id ?? null,
      };
    },

    /** Removes queue entries (their tasks were sent, or need no sending). */
    async dequeue(ids: readonly ObjectId[]): Promise<void> {
      if (ids.length === 0) return;
      await queue.deleteMany({ _id: { $in: [...ids] } });
    },

    /** Which of these jobs are enabled (a disabled job's tasks wait until it is enabled again). */
    async enabledJobs(ids: readonly ObjectId[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const found = await jobs.find({ _id: { $in: [...ids] }, status: JobStatus.On }, { projection: { _id: 1 } }).toArray();
      return new Set(found.map((job) => job._id.toHexString()));
    },

    /**
     * Claims tasks for `owner`: new markers, plus claims older than `staleBefore` (their feeder
     * died before sending). Returns the ids now claimed by `owner` (tasks freshly claimed by
     * another feeder are left out) and those sent already.
     */
    async claim(candidates: readonly FeedableTask[], owner: string, staleBefore: Date): Promise<{ claimed: Set<string>; sent: Set<string> }> {
      if (candidates.length === 0) return { claimed: new Set(), sent: new Set() };
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
      const sent = new Set(existing.filter((marker) => marker.state === 'sent').map((marker) => marker._id.toHexString()));
      return { claimed, sent };
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
