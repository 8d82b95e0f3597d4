import type { Message } from '../infra/i18n/i18n';
import { ObjectId, type Db, type IndexDescription } from 'mongodb';
import { Collection } from './collections';

/**
 * Alerts waiting to be mailed. Anything that fails for good (a fetch, a publish, a generator
 * run) records one; the digest workflow mails all pending alerts as one message per interval,
 * like the seed's MailSender, so a burst of failures is one mail, not hundreds. The first
 * failure after a quiet period is mailed at once, and the first quiet window after failures
 * sends a "recovered" mail.
 */


export const AlertKind = {
  FetchFailed: 'fetch_failed',
  TagFailed: 'tag_failed',
  PublishFailed: 'publish_failed',
  MessageFailed: 'message_failed',
  DeadLetter: 'dead_letter',
  GeneratorFailed: 'generator_failed',
  GeneratorNoUris: 'generator_no_uris',
  /** A local stack service kept dying and `crawlflow up` stopped restarting it. */
  ServiceDown: 'service_down',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

export interface NewAlert {
  kind: AlertKind;
  /** One line a person reads first (English). */
  summary: string;
  /** The same as a catalogue message (infra/i18n), so the mail says it in ALERT_MAIL_LOCALE. */
  summaryMessage?: Message;
  /** Details: the error, the URL, the message id… (kept small: it goes into a mail). */
  detail?: Record<string, unknown>;
  workflowId?: string;
  job?: string;
}

export interface AlertDocument extends NewAlert {
  _id: ObjectId;
  status: 'pending' | 'sent';
  createdAt: Date;
  /** The digest that mailed this alert. */
  digestId?: string;
  sentAt?: Date;
}

/** What the digest remembers between runs: when it last mailed, and whether that was about failures. */
export interface DigestState {
  _id: 'digest';
  lastSentAt?: Date;
  /** The last mail reported failures; the next quiet window sends "recovered". */
  inTrouble: boolean;
  /** When an alert last asked for an immediate digest (first failure after a quiet period). */
  triggeredAt?: Date;
}


export const ALERT_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.Alert]: [
    { key: { status: 1, createdAt: 1 }, name: 'status_createdAt' },
    { key: { createdAt: -1 }, name: 'createdAt' },
  ],
};

export function createAlertRepository(db: Db) {
  const alerts = db.collection<AlertDocument>(Collection.Alert);
  const state = db.collection<DigestState>(Collection.AlertState);
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
     * The oldest alerts not yet mailed. They stay pending until a mail carrying them was
     * accepted, so an SMTP outage delays them but never loses them.
     */
    pending(limit: number): Promise<AlertDocument[]> {
      return alerts.find({ status: 'pending' }).sort({ createdAt: 1 }).limit(limit).toArray();
    },

    async markSent(ids: ObjectId[], digestId: string): Promise<number> {
      const result = await alerts.updateMany(
        { _id: { $in: ids }, status: 'pending' },
        { $set: { status: 'sent', sentAt: new Date(), digestId } },
      );
      return result.modifiedCount;
    },

    countPending(): Promise<number> {
      return alerts.countDocuments({ status: 'pending' });
    },

    /** The latest alerts, newest first (for `crawlflow status` and the web page). */
    recent(limit: number): Promise<AlertDocument[]> {
      return alerts.find({}).sort({ createdAt: -1 }).limit(limit).toArray();
    },

    async digestState(): Promise<DigestState> {
      return (await state.findOne({ _id: 'digest' })) ?? { _id: 'digest', inTrouble: false };
    },

    async saveDigestState(update: Partial<Omit<DigestState, '_id'>>): Promise<void> {
      await state.updateOne({ _id: 'digest' }, { $set: update }, { upsert: true });
    },

    /**
     * True for exactly one caller when the system was quiet (the last mail was not about
     * failures, and no immediate digest was asked for within `windowMs`): that caller
     * triggers the digest at once instead of waiting for the next tick.
     */
    async claimImmediateDigest(windowMs: number): Promise<boolean> {
      const now = new Date();
      await state.updateOne({ _id: 'digest' }, { $setOnInsert: { inTrouble: false } }, { upsert: true });
      const result = await state.updateOne(
        {
          _id: 'digest',
          inTrouble: false,
          $or: [{ triggeredAt: { $exists: false } }, { triggeredAt: { $lt: new Date(now.getTime() - windowMs) } }],
        },
        { $set: { triggeredAt: now } },
      );
      return result.modifiedCount === 1;
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
