import { ObjectId, type Db, type Filter, type IndexDescription } from 'mongodb';
import type { FailureStep, Outcome } from '../common/pipeline';
import type { MessageEnvelope } from '../common/messages';
import { newestFirst } from './newest-first';
import { idRange, LOWEST_OBJECT_ID, objectIdFrom } from './object-id-range';
import { Collection } from './collections';


export const FAILED_MESSAGE_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.FailedMessage]: [
    { key: { failedAt: -1 }, name: 'failedAt' },
    { key: { status: 1, failedAt: -1 }, name: 'status_failedAt' },
    { key: { step: 1, failedAt: -1 }, name: 'step_failedAt' },
    { key: { workflowId: 1 }, name: 'workflowId' },
  ],
};

export interface Replay {
  at: Date;
  workflowId: string;
  runId?: string;
  outcome?: Outcome | 'failed' | 'start_failed';
  error?: string;
}

export interface FailedMessageDocument {
  _id: ObjectId;
  /** The message's own workflow id: a replay runs it under this id. */
  workflowId: string;
  runId?: string;
  /** Batch mode: the window run that carried the message (`runId` is that run's). */
  batchWorkflowId?: string;
  step: FailureStep;
  errorType: string;
  error: string;
  envelope?: MessageEnvelope;
  /** Dead-lettered records: the raw bytes (base64) and why they were refused. */
  raw?: { base64: string; bytes: number; truncated: boolean; topic: string; partition: number; offset: string };
  status: 'failed' | 'replaying' | 'replayed';
  failedAt: Date;
  /** The failed-message record this run was itself a replay of. */
  replayOf?: ObjectId;
  replays: Replay[];
}

export type NewFailedMessage = Omit<FailedMessageDocument, '_id' | 'status' | 'failedAt' | 'replays'>;

export interface FailedMessageQuery {
  ids?: string[];
  step?: FailureStep;
  since?: Date;
  until?: Date;
  status?: FailedMessageDocument['status'];
  limit?: number;
}

/** A page of failed messages, newest first, paged by `_id` (see {@link createFailedMessageRepository} `page`). */
export interface FailedMessagePageQuery {
  ids?: readonly ObjectId[];
  /** One step or several (e.g. every step but `bridge`). */
  steps?: readonly FailureStep[];
  errorType?: string;
  /** The message's job: `envelope.summary.job` (a crawler task's job id, hex). */
  job?: string;
  status?: FailedMessageDocument['status'];
  since?: Date;
  until?: Date;
  /** Records older than this one: the `next` of the previous page. */
  before?: ObjectId;
  /** @default 50 */
  limit?: number;
}

export function pageFilter(query: FailedMessagePageQuery): Filter<FailedMessageDocument> {
  const filter: Filter<FailedMessageDocument> = {};
  // A record's `_id` is made the moment it is recorded (with `failedAt`), so the time range is
  // an `_id` range too, read in index order up to `limit`; `failedAt` keeps it exact to the ms.
  const range = idRange(query);
  // Always an ObjectId-bounded `_id`: that is what makes the sorted find stream from the index.
  filter._id = { $gt: LOWEST_OBJECT_ID, ...range, ...(query.ids ? { $in: [...query.ids] } : {}) };
  if (query.steps && query.steps.length === 1) filter.step = query.steps[0];
  else if (query.steps && query.steps.length > 1) filter.step = { $in: [...query.steps] };
  if (query.errorType) filter.errorType = query.errorType;
  if (query.job) filter['envelope.summary.job'] = query.job;
  if (query.status) filter.status = query.status;
  if (query.since || query.until) {
    filter.failedAt = { ...(query.since ? { $gte: query.since } : {}), ...(query.until ? { $lte: query.until } : {}) };
  }
  return filter;
}

export function createFailedMessageRepository(db: Db) {
  const records = db.collection<FailedMessageDocument>(Collection.FailedMessage);

  function filterFor(query: FailedMessageQuery): Filter<FailedMessageDocument> {
    const filter: Filter<FailedMessageDocument> = {};
    if (query.ids) filter._id = { $in: query.ids.map((id) => new ObjectId(id)) };
    if (query.step) filter.step = query.step;
    if (query.status) filter.status = query.status;
    if (query.since || query.until) {
      filter.failedAt = { ...(query.since ? { $gte: query.since } : {}), ...(query.until ? { $lte: query.until } : {}) };
    }
    return filter;
  }

  return {
    async record(failure: NewFailedMessage): Promise<ObjectId> {
      const { insertedId } = await records.insertOne({
        _id: new ObjectId(),
        ...failure,
        status: 'failed',
        failedAt: new Date(),
        replays: [],
      });
      return insertedId;
    },

    /**
     * Newest first. A record's `_id` is made as it is written, just before its `failedAt`: the
     * `_id` order is the failure order (to the second across processes), and the time bounds are
     * also `_id` bounds, so MongoDB and the stack's patched FerretDB read only the records
     * returned (and those newer that the other conditions skip) — not all of them.
     */
    find(query: FailedMessageQuery): Promise<FailedMessageDocument[]> {
      const limit = query.limit ?? 100;
      if (query.ids) return records.find(filterFor(query)).sort({ failedAt: -1 }).limit(limit).toArray();
      return newestFirst(records, {
        filter: filterFor(query),
        limit,
        // _id is made before failedAt, up to a second earlier in its seconds.
        ...(query.since ? { since: new Date(query.since.getTime() - 1000) } : {}),
        ...(query.until ? { until: query.until } : {}),
      });
    },

    findById(id: string): Promise<FailedMessageDocument | null> {
      return records.findOne({ _id: new ObjectId(id) });
    },

    async addReplay(id: ObjectId, replay: Replay): Promise<void> {
      await records.updateOne({ _id: id }, { $push: { replays: replay }, $set: { status: 'replaying' } });
    },

    /** Records how the latest replay of a failure ended. */
    async finishReplay(id: ObjectId, workflowId: string, outcome: Replay['outcome'], error?: string): Promise<void> {
      const record = await records.findOne({ _id: id });
      if (!record) return;
      const replays = record.replays.map((replay) =>
        replay.workflowId === workflowId && replay.outcome === undefined ? { ...replay, outcome, ...(error ? { error } : {}) } : replay,
      );
      await records.updateOne({ _id: id }, { $set: { replays, status: outcome === 'published' ? 'replayed' : 'failed' } });
    },

    /**
     * Newest first, by `_id` (never skip or count): the page and the cursor of the next one,
     * null at the end.
     */
    async page(query: FailedMessagePageQuery): Promise<{ records: FailedMessageDocument[]; next: string | null }> {
      const limit = query.limit ?? 50;
      const found = await records
        .find(pageFilter(query))
        .sort({ _id: -1 })
        .limit(limit + 1)
        .toArray();
      const page = found.slice(0, limit);
      return { records: page, next: found.length > limit ? (page.at(-1)?._id.toHexString() ?? null) : null };
    },

    /** How many match, counting at most `cap` (reads ids only, in `_id` order): `atLeast` when there are more. */
    async countUpTo(query: Omit<FailedMessagePageQuery, 'before' | 'limit'>, cap: number): Promise<{ count: number; atLeast: boolean }> {
      const ids = await records
        .find(pageFilter(query), { projection: { _id: 1 } })
        .sort({ _id: -1 })
        .limit(cap + 1)
        .toArray();
      return { count: Math.min(ids.length, cap), atLeast: ids.length > cap };
    },

    /** Every record of one message workflow id (a crawler task's `msg-<task id>`), newest first. */
    byWorkflowId(workflowId: string, limit = 50): Promise<FailedMessageDocument[]> {
      return records.find({ workflowId }).sort({ _id: -1 }).limit(limit).toArray();
    },

    countSince(since: Date): Promise<number> {
      // The _id bound makes it a range of the _id index: the cost is the failures since, not all.
      return records.countDocuments({ _id: { $gte: objectIdFrom(new Date(since.getTime() - 1000)) }, failedAt: { $gte: since } });
    },
  };
}

export type FailedMessageRepository = ReturnType<typeof createFailedMessageRepository>;
