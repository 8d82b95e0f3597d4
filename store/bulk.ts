import { MongoBulkWriteError, type Collection, type Document, type OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKeyError } from './errors';

/** Per document of one unordered insertMany: which went in, which a unique index refused, which failed. */
export interface BulkInsertOutcome {
  inserted: Set<number>;
  duplicate: Set<number>;
  /** Index in the input → why that document was not saved. */
  failed: Map<number, string>;
}

/**
 * Inserts documents with one unordered `insertMany`, so one bad document never stops the
 * others, and sorts the outcome per document. A duplicate-key refusal (code 11000) is a
 * duplicate, not a failure. When the whole call fails (connection lost), every document counts
 * as failed: some may in fact have been written, which is safe because callers use
 * deterministic `_id`s and a retry then reports them as duplicates.
 */
export async function insertManyUnordered<T extends Document>(
  collection: Collection<T>,
  documents: ReadonlyArray<OptionalUnlessRequiredId<T>>,
): Promise<BulkInsertOutcome> {
  const outcome: BulkInsertOutcome = { inserted: new Set(), duplicate: new Set(), failed: new Map() };
  if (documents.length === 0) return outcome;
  try {
    await collection.insertMany(documents as OptionalUnlessRequiredId<T>[], { ordered: false });
    documents.forEach((_, index) => outcome.inserted.add(index));
    return outcome;
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) {
      const reason = error instanceof Error ? error.message : String(error);
      documents.forEach((_, index) => outcome.failed.set(index, reason));
      return outcome;
    }
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    for (const writeError of writeErrors) {
      if (isDuplicateKeyError(writeError)) outcome.duplicate.add(writeError.index);
      else outcome.failed.set(writeError.index, writeError.errmsg ?? `write error ${writeError.code}`);
    }
    // Unordered: every document without a write error was inserted.
    documents.forEach((_, index) => {
      if (!outcome.duplicate.has(index) && !outcome.failed.has(index)) outcome.inserted.add(index);
    });
    return outcome;
  }
}
