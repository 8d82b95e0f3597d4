import type { Collection, Document, ObjectId, WithId } from 'mongodb';

/**
 * Companion documents (same `_id` as their seed document) of a page of seed documents, by id.
 * One `_id` lookup each, a few at a time, rather than `_id: {$in: […]}`: FerretDB 1.24 answers
 * `$in` by scanning the whole collection, a single-`_id` lookup from its index.
 */
export async function findCompanions<T extends Document>(collection: Collection<T>, ids: readonly ObjectId[]): Promise<Map<string, WithId<T>>> {
  const found = new Map<string, WithId<T>>();
  const concurrency = 16;
  for (let start = 0; start < ids.length; start += concurrency) {
    const slice = ids.slice(start, start + concurrency);
    const documents = await Promise.all(slice.map((id) => collection.findOne({ _id: id } as Parameters<Collection<T>['findOne']>[0])));
    documents.forEach((document, index) => {
      if (document) found.set(slice[index]!.toHexString(), document);
    });
  }
  return found;
}
