import type { Db, IndexDescription } from 'mongodb';
import { ALERT_INDEXES } from './alert-repository';
import { TASK_FEED_INDEXES } from './task-feed';
import { PAYLOAD_INDEXES } from './payload-store';
import { FAILED_MESSAGE_INDEXES } from './failed-messages';
import { STORE_INDEXES } from './store';

/**
 * Every index crawlflow's queries and de-duplication need, per collection. Each subject
 * module exports its own map and adds it here; `crawlflow setup` (and `crawlflow up`)
 * create them. Only index features that real MongoDB and FerretDB both support are used.
 */
export const COLLECTION_INDEXES: Record<string, IndexDescription[]> = {
  ...ALERT_INDEXES,
  ...STORE_INDEXES,
  ...PAYLOAD_INDEXES,
  ...FAILED_MESSAGE_INDEXES,
  ...TASK_FEED_INDEXES,
};

/**
 * Creates the indexes a collection lacks; returns the ones it created. Idempotent: `crawlflow up`
 * runs it at every start.
 *
 * Only missing indexes are sent: FerretDB 1.24 drops the connection (a server-side panic) on a
 * createIndexes command whose indexes all exist already, and real MongoDB gains nothing from
 * being asked again.
 */
export async function ensureIndexes(db: Db): Promise<string[]> {
  const created: string[] = [];
  for (const [name, indexes] of Object.entries(COLLECTION_INDEXES)) {
    const collection = db.collection(name);
    const existing = new Set(
      (await collection.indexes().catch((error: unknown) => {
        // A collection that does not exist yet has no indexes.
        if ((error as { code?: number }).code === 26) return [];
        throw error;
      })).map((index) => index.name),
    );
    const missing = indexes.filter((index) => !existing.has(index.name ?? ''));
    if (missing.length === 0) continue;
    created.push(...(await collection.createIndexes(missing)).map((index) => `${name}.${index}`));
  }
  return created;
}
