import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { Binary, type Db, type IndexDescription } from 'mongodb';
import { ErrorType } from '../../common/error-types';
import type { StoredText } from '../../common/messages';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export const PAYLOAD_COLLECTION = 'payload';

export const PAYLOAD_INDEXES: Record<string, IndexDescription[]> = {
  [PAYLOAD_COLLECTION]: [{ key: { createdAt: 1 }, name: 'createdAt' }],
};

interface PayloadDocument {
  _id: string;
  data: Binary;
  bytes: number;
  createdAt: Date;
}

/** A claim check pointed at a payload that is not in the store (pruned or never written). */
export class MissingPayloadError extends Error {
  // Temporal takes the name as the failure type: the message workflow does not retry it.
  override readonly name = ErrorType.MissingPayload;
  constructor(readonly ref: string) {
    super(`payload ${ref} is not in MongoDB collection "${PAYLOAD_COLLECTION}"`);
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
  const payloads = db.collection<PayloadDocument>(PAYLOAD_COLLECTION);
  const inlineLimit = options.inlineLimitBytes ?? 32 * 1024;
  return {
    /** `inlineLimitBytes` overrides the store's limit for this text (batch mode keeps windows small). */
    async put(text: string, options: PayloadStoreOptions = {}): Promise<StoredText> {
      const raw = Buffer.from(text, 'utf8');
      if (raw.length <= (options.inlineLimitBytes ?? inlineLimit)) return { inline: text };
      // Content-addressed: the same page stored twice (a retry, a replay) is one document.
      const ref = createHash('sha256').update(raw).digest('hex');
      const data = new Binary(await gzipAsync(raw));
      await payloads.updateOne(
        { _id: ref },
        { $setOnInsert: { data, bytes: raw.length, createdAt: new Date() } },
        { upsert: true },
      );
      return { ref, bytes: raw.length };
    },

    async get(stored: StoredText): Promise<string> {
      if ('inline' in stored) return stored.inline;
      const document = await payloads.findOne({ _id: stored.ref });
      if (!document) throw new MissingPayloadError(stored.ref);
      return (await gunzipAsync(document.data.buffer)).toString('utf8');
    },
  };
}

export type PayloadStore = ReturnType<typeof createPayloadStore>;
