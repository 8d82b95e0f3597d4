import { ObjectId, type Db, type Filter, type IndexDescription } from 'mongodb';
import type { FailureStep, Outcome } from '../../common/pipeline';
import type { MessageEnvelope } from '../../common/messages';

/**
 * Failed messages, kept so a person can see what failed and replay it. One record per
 * failure: a message that fails, is replayed and fails again has two.
 */
export const FAILED_MESSAGE_COLLECTION = 'failed_message';

export const FAILED_MESSAGE_INDEXES: Record<string, IndexDescription[]> = {
  [FAILED_MESSAGE_COLLECTION]: [
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

export function createFailedMessageRepository(db: Db) {
  const records = db.collection<FailedMessageDocument>(FAILED_MESSAGE_COLLECTION);

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

    find(query: FailedMessageQuery): Promise<FailedMessageDocument[]> {
      return records
        .find(filterFor(query))
        .sort({ failedAt: -1 })
        .limit(query.limit ?? 100)
        .toArray();
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

    countSince(since: Date): Promise<number> {
      return records.countDocuments({ failedAt: { $gte: since } });
    },
  };
}

export type FailedMessageRepository = ReturnType<typeof createFailedMessageRepository>;
