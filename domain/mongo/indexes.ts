import type { Db, IndexDescription } from 'mongodb';
import { ALERT_INDEXES } from '../alerts/alert-repository';
import { TASK_FEED_INDEXES } from '../generators/task-feed';
import { PAYLOAD_INDEXES } from '../payloads/payload-store';
import { FAILED_MESSAGE_INDEXES } from '../pipeline/failed-messages';
import { STORE_INDEXES } from '../store/store';

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

export async function ensureIndexes(db: Db): Promise<string[]> {
  const created: string[] = [];
  for (const [collection, indexes] of Object.entries(COLLECTION_INDEXES)) {
    if (indexes.length === 0) continue;
    created.push(...(await db.collection(collection).createIndexes(indexes)).map((name) => `${collection}.${name}`));
  }
  return created;
}
