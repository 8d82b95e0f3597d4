import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { Binary, type Db, type IndexDescription } from 'mongodb';
import { ErrorType } from '../common/error-types';
import type { StoredText } from '../common/messages';
import { Collection } from './collections';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);


export const PAYLOAD_INDEXES: Record<string, IndexDescription[]> = {
  [Collection.Payload]: [
    { key: { createdAt: 1 }, name: 'createdAt' },
    { key: { usedAt: 1 }, name: 'usedAt' },
  ],
};

interface PayloadDocument {
  _id: string;
  data: Binary;
  bytes: number;
  createdAt: Date;
  /** When it was last stored or read (at most a day stale); documents from before it have only `createdAt`. */
  usedAt?: Date;
}

/**
 * A read refreshes `usedAt` only when it is older than this: retention counts in days, so a
 * claim check read a thousand times costs one write a day, not a thousand.
 */
export const USED_AT_REFRESH_MS = 24 * 3600 * 1000;

/** The payloads neither stored nor read since `cutoff`. */
function unusedSince(cutoff: Date) {
  return { $or: [{ usedAt: { $lt: cutoff } }, { usedAt: { $exists: false }, createdAt: { $lt: cutoff } }] };
}

/** A claim check pointed at a payload that is not in the store (pruned or never written). */
export class MissingPayloadError extends Error {
  // Temporal takes the name as the failure type: the message workflow does not retry it.
  override readonly name = ErrorType.MissingPayload;
  constructor(readonly ref: string) {
    super(`payload ${ref} is not in MongoDB collection "${Collection.Payload}"`);
  }
}

export interface PayloadStoreOptions {
  /**
   * Texts up to this many UTF-8 bytes travel inline in Temporal history; larger ones are
   * stored gzipped in MongoDB and passed by reference, far below Temporal's 2 MiB payload limit.
   * @default 32768
   */
  inlineLimitBytes?: number;
}

/** Claim-check storage for page HTML, page text and large messages. */
export function createPayloadStore(db: Db, options: PayloadStoreOptions = {}) {
  const payloads = db.collection<PayloadDocument>(Collection.Payload);
  const inlineLimit = options.inlineLimitBytes ?? 32 * 1024;
  return {
    /** `inlineLimitBytes` overrides the store's limit for this text (batch mode keeps windows small). */
    async put(text: string, options: PayloadStoreOptions = {}): Promise<StoredText> {
      const raw = Buffer.from(text, 'utf8');
      if (raw.length <= (options.inlineLimitBytes ?? inlineLimit)) return { inline: text };
      // Content-addressed: the same page stored twice (a retry, a replay) is one document.
      const ref = createHash('sha256').update(raw).digest('hex');
      const data = new Binary(await gzipAsync(raw));
      const now = new Date();
      // Stored again (a retry, a replay, the same page elsewhere): in use again.
      await payloads.updateOne({ _id: ref }, { $setOnInsert: { data, bytes: raw.length, createdAt: now }, $set: { usedAt: now } }, { upsert: true });
      return { ref, bytes: raw.length };
    },

    async get(stored: StoredText): Promise<string> {
      if ('inline' in stored) return stored.inline;
      const document = await payloads.findOne({ _id: stored.ref });
      if (!document) throw new MissingPayloadError(stored.ref);
      const now = Date.now();
      if ((document.usedAt ?? document.createdAt).getTime() < now - USED_AT_REFRESH_MS) {
        // Bookkeeping only: a refresh that fails leaves the read good (the next read tries again).
        await payloads.updateOne({ _id: stored.ref }, { $set: { usedAt: new Date(now) } }).catch(() => undefined);
      }
      return (await gunzipAsync(document.data.buffer)).toString('utf8');
    },

    /**
     * Deletes up to `batchSize` payloads neither stored nor read since `cutoff`; returns how
     * many. The delete checks the age again, so a payload used between the find and the delete
     * stays. FerretDB 1.24 has no TTL indexes: the payload-prune schedule calls this.
     */
    async pruneBatch(cutoff: Date, batchSize: number): Promise<number> {
      const filter = unusedSince(cutoff);
      const ids = (await payloads.find(filter, { projection: { _id: 1 }, limit: batchSize }).toArray()).map((document) => document._id);
      if (ids.length === 0) return 0;
      const { deletedCount } = await payloads.deleteMany({ _id: { $in: ids }, ...filter });
      return deletedCount;
    },
  };
}

export type PayloadStore = ReturnType<typeof createPayloadStore>;
