import type { Collection, Document, Filter, ObjectId, WithId } from 'mongodb';

/**
 * Companion documents (same `_id` as their seed document) of a page of seed documents, by id:
 * one `_id: {$in: […]}` query, answered from the `_id` index (on FerretDB thanks to the
 * stack's patch, docs/data-model.md).
 */
export async function findCompanions<T extends Document>(collection: Collection<T>, ids: readonly ObjectId[]): Promise<Map<string, WithId<T>>> {
  if (ids.length === 0) return new Map();
  const documents = await collection.find({ _id: { $in: [...ids] } } as Filter<T>).toArray();
  return new Map(documents.map((document) => [(document._id as ObjectId).toHexString(), document]));
}
