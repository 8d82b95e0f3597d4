import { ObjectId } from 'mongodb';

/**
 * `_id` ranges over ObjectIds made as documents are written: an ObjectId starts with the second
 * it was made, so "written between two times" is an `_id` range, which MongoDB and the stack's
 * patched FerretDB serve from the `_id` index (docs/data-model.md).
 */

/** The smallest ObjectId: `_id > LOWEST_OBJECT_ID` is every ObjectId, as an index range. */
export const LOWEST_OBJECT_ID = new ObjectId('000000000000000000000000');

/** The largest ObjectId: `_id <= HIGHEST_OBJECT_ID` is every ObjectId, as an index range. */
export const HIGHEST_OBJECT_ID = new ObjectId('ffffffffffffffffffffffff');

/** The smallest ObjectId made at or after `time` (an ObjectId starts with its second). */
export function objectIdFrom(time: Date): ObjectId {
  return ObjectId.createFromTime(Math.max(0, Math.floor(time.getTime() / 1000)));
}

/** The smallest ObjectId made after the second of `time`: `_id < objectIdAfter(t)` holds every id made up to `t`. */
export function objectIdAfter(time: Date): ObjectId {
  return ObjectId.createFromTime(Math.max(0, Math.floor(time.getTime() / 1000) + 1));
}

export interface IdRangeQuery {
  /** Ids made at or after this time, to the second. */
  since?: Date;
  /** Ids made up to this time, to the second. */
  until?: Date;
  /** Ids older than this one (paging on). */
  before?: ObjectId;
}

/** The `_id` bounds of `since` / `until` / `before`: the tighter upper bound wins. */
export function idRange(query: IdRangeQuery): { $gte?: ObjectId; $lt?: ObjectId } {
  const range: { $gte?: ObjectId; $lt?: ObjectId } = {};
  if (query.since) range.$gte = objectIdFrom(query.since);
  const upper = [query.before, query.until && objectIdAfter(query.until)].filter((id): id is ObjectId => id !== undefined);
  if (upper.length > 0) range.$lt = upper.reduce((low, id) => (Buffer.compare(id.id, low.id) < 0 ? id : low));
  return range;
}
