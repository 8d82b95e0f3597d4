import { ObjectId, type Db, type IndexDescription } from 'mongodb';

/**
 * Alerts waiting to be mailed. Anything that fails for good (a fetch, a publish, a generator
 * run) records one; the digest workflow mails all pending alerts as one message per interval,
 * like the seed's MailSender, so a burst of failures is one mail, not hundreds.
 */

export const ALERT_COLLECTION = 'alert';

export const AlertKind = {
  FetchFailed: 'fetch_failed',
  TagFailed: 'tag_failed',
  PublishFailed: 'publish_failed',
  MessageFailed: 'message_failed',
  DeadLetter: 'dead_letter',
  GeneratorFailed: 'generator_failed',
  GeneratorNoUris: 'generator_no_uris',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

export interface NewAlert {
  kind: AlertKind;
  /** One line a person reads first. */
  summary: string;
  /** Details: the error, the URL, the message id… (kept small: it goes into a mail). */
  detail?: Record<string, unknown>;
  workflowId?: string;
  job?: string;
}

export interface AlertDocument extends NewAlert {
  _id: ObjectId;
  status: 'pending' | 'claimed' | 'sent';
  createdAt: Date;
  /** The digest that claimed (and then mailed) this alert. */
  digestId?: string;
  sentAt?: Date;
}

export const ALERT_INDEXES: Record<string, IndexDescription[]> = {
  [ALERT_COLLECTION]: [
    { key: { status: 1, createdAt: 1 }, name: 'status_createdAt' },
    { key: { digestId: 1 }, name: 'digestId' },
  ],
};

export function createAlertRepository(db: Db) {
  const alerts = db.collection<AlertDocument>(ALERT_COLLECTION);
  return {
    async record(alert: NewAlert): Promise<ObjectId> {
      const detail = alert.detail ? truncateDetail(alert.detail) : undefined;
      const { insertedId } = await alerts.insertOne({
        _id: new ObjectId(),
        ...alert,
        ...(detail ? { detail } : {}),
        status: 'pending',
        createdAt: new Date(),
      });
      return insertedId;
    },

    /**
     * Claims up to `limit` pending alerts for one digest (and re-returns those it already
     * claimed, so a retried digest mails the same alerts again rather than losing them).
     */
    async claimForDigest(digestId: string, limit: number): Promise<AlertDocument[]> {
      const pending = await alerts.find({ status: 'pending' }, { projection: { _id: 1 } }).sort({ createdAt: 1 }).limit(limit).toArray();
      if (pending.length > 0) {
        await alerts.updateMany(
          { _id: { $in: pending.map((alert) => alert._id) }, status: 'pending' },
          { $set: { status: 'claimed', digestId } },
        );
      }
      return alerts.find({ digestId, status: 'claimed' }).sort({ createdAt: 1 }).toArray();
    },

    async markSent(digestId: string): Promise<number> {
      const result = await alerts.updateMany({ digestId, status: 'claimed' }, { $set: { status: 'sent', sentAt: new Date() } });
      return result.modifiedCount;
    },

    countPending(): Promise<number> {
      return alerts.countDocuments({ status: { $in: ['pending', 'claimed'] } });
    },

    recent(limit: number): Promise<AlertDocument[]> {
      return alerts.find({}).sort({ createdAt: -1 }).limit(limit).toArray();
    },
  };
}

export type AlertRepository = ReturnType<typeof createAlertRepository>;

const MAX_DETAIL_STRING = 2000;

/** Long strings (HTML, stack traces) are cut so one alert cannot bloat a digest mail. */
function truncateDetail(detail: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(detail).map(([key, value]) => [
      key,
      typeof value === 'string' && value.length > MAX_DETAIL_STRING ? `${value.slice(0, MAX_DETAIL_STRING)}… (${value.length} chars)` : value,
    ]),
  );
}
