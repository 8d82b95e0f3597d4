import type { Collection, Document, Filter, ObjectId, WithId } from 'mongodb';
import { HIGHEST_OBJECT_ID, idRange } from './object-id-range';

export interface NewestFirstQuery<T> {
  /** Conditions besides `_id` (applied to each document read). */
  filter?: Filter<T>;
  limit: number;
  /** Only documents whose `_id` was made at or after this time, to the second. */
  since?: Date;
  /** Only documents whose `_id` was made up to this time, to the second. */
  until?: Date;
  /** Page on: documents older than this one. */
  before?: ObjectId;
}

/**
 * The newest `limit` documents of a log-like collection whose `_id` is a fresh ObjectId made as
 * it is written (so the `_id` order is the write order, to the second across processes): a find
 * sorted by `_id` descending over an ObjectId range, which MongoDB and the stack's patched
 * FerretDB both serve from the `_id` index, reading documents newest first and stopping at the
 * limit. Sorting by a date field instead made FerretDB read and sort every document. The cost is
 * the number of documents newer than the last one returned — flat for an unfiltered view, and
 * for a filter that matches often among recent documents (docs/data-model.md).
 */
export function newestFirst<T extends Document>(collection: Collection<T>, query: NewestFirstQuery<T>): Promise<WithId<T>[]> {
  const range: { $gte?: ObjectId; $lte?: ObjectId; $lt?: ObjectId } = idRange(query);
  // Without an upper bound, still an ObjectId range: that is what lets FerretDB stream by `_id`.
  if (!range.$lt) range.$lte = HIGHEST_OBJECT_ID;
  const filter = { ...(query.filter ?? {}), _id: range } as Filter<T>;
  return collection.find(filter).sort({ _id: -1 }).limit(query.limit).toArray();
}
