import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ObjectId, type Collection, type Document } from 'mongodb';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ferretdbBuildVersion, runningFerretdbVersion } from '../../stack/services';
import { requireStack, testConfig } from '../../support/stack';

const config = testConfig();

interface Explained {
  plan: string;
  filterPushdown: boolean;
  sortPushdown: boolean;
}

/** FerretDB's explain: SQLite's own EXPLAIN QUERY PLAN of the statement the query runs. */
async function explain(handle: MongoHandle, collection: string, filter: Document, sort?: Document): Promise<Explained> {
  const reply = await handle.db.command({ explain: { find: collection, filter, ...(sort ? { sort } : {}) } });
  return {
    plan: JSON.stringify(reply.queryPlanner?.Plan ?? reply.queryPlanner),
    filterPushdown: reply.filterPushdown === true,
    sortPushdown: reply.sortPushdown === true,
  };
}

function byId(a: { _id: unknown }, b: { _id: unknown }): number {
  return Buffer.compare((a._id as ObjectId).id, (b._id as ObjectId).id);
}

describe("the stack's FerretDB answers _id queries from the _id index (crawlflow's build-time patch)", () => {
  let mongo: MongoHandle;
  let docs: Collection<{ _id: ObjectId | string | number | Date; n: number; even: boolean; touched?: boolean }>;
  const objectIds = Array.from({ length: 300 }, () => new ObjectId());
  // Ids of other types in the same collection: a pushed-down condition must never drop or add a match.
  const others: Array<string | number | Date> = ['a', 'b b', 'k"q', 'zz\u2028', 7, 3.5, new Date(0)];

  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
    docs = mongo.db.collection('pushdown');
    await docs.insertMany([
      ...objectIds.map((_id, n) => ({ _id, n, even: n % 2 === 0 })),
      ...others.map((_id, n) => ({ _id, n: -1 - n, even: false })),
    ]);
  });

  after(async () => {
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
  });

  it('runs the patched build', async () => {
    assert.equal(await runningFerretdbVersion(config.mongo.uri), ferretdbBuildVersion());
  });

  it('uses the index for an _id equality, alone or beside other conditions', async () => {
    for (const filter of [{ _id: objectIds[3]! }, { _id: 'a' }, { _id: objectIds[4]!, even: true }, { _id: { $eq: objectIds[5]! } }]) {
      const explained = await explain(mongo, 'pushdown', filter);
      assert.match(explained.plan, /SEARCH \S+ USING INDEX \S+__id_ \(<expr>=\?\)/, JSON.stringify(filter));
      assert.equal(explained.filterPushdown, true);
    }
    assert.equal((await docs.findOne({ _id: objectIds[4]!, even: true }))?.n, 4);
    assert.equal(await docs.findOne({ _id: objectIds[5]!, even: true }), null);
    assert.equal((await docs.findOne({ _id: 'k"q' }))?.n, -3);
  });

  it('uses the index for _id $in, with the other conditions still applied', async () => {
    const filter = { _id: { $in: [objectIds[1]!, objectIds[2]!, 'b b', new ObjectId()] }, even: false };
    assert.match((await explain(mongo, 'pushdown', filter)).plan, /USING INDEX \S+__id_ \(<expr>=\?\)/);
    const found = await docs.find(filter).toArray();
    assert.deepEqual(found.map((doc) => doc.n).sort(), [-2, 1]);
  });

  it('serves an ObjectId range sorted by _id from the index, streaming, with exactly the right documents', async () => {
    const sorted = [...objectIds].sort((a, b) => Buffer.compare(a.id, b.id));
    const filter = { _id: { $gt: sorted[99]! } };
    const explained = await explain(mongo, 'pushdown', filter, { _id: 1 });
    assert.match(explained.plan, /USING INDEX \S+__id_ \(<expr>>\?\)/);
    assert.equal(explained.sortPushdown, true);

    const ascending = await docs.find(filter).sort({ _id: 1 }).limit(20).toArray();
    assert.deepEqual(ascending.map((doc) => doc._id), sorted.slice(100, 120));
    const descending = await docs.find({ _id: { $lte: sorted[200]! } }).sort({ _id: -1 }).limit(20).toArray();
    assert.deepEqual(descending.map((doc) => doc._id), sorted.slice(181, 201).reverse());
    const bounded = await docs.find({ _id: { $gte: sorted[10]!, $lt: sorted[30]! }, even: true }).sort({ _id: 1 }).toArray();
    const expected = sorted.slice(10, 30).filter((id) => objectIds.indexOf(id) % 2 === 0);
    assert.deepEqual(bounded.map((doc) => doc._id), expected);
    // Type bracketing: an ObjectId bound matches ObjectIds only, whatever their JSON text sorts beside.
    assert.equal(await docs.countDocuments({ _id: { $gte: new ObjectId('000000000000000000000000') } }), objectIds.length);
    assert.equal(await docs.countDocuments({ _id: { $lt: new ObjectId('ffffffffffffffffffffffff') } }), objectIds.length);
  });

  it('leaves what it cannot answer exactly to FerretDB, with the same results', async () => {
    // A string range is not pushed down (JSON escapes do not sort as the strings do).
    assert.equal((await explain(mongo, 'pushdown', { _id: { $gt: 'a' } }, { _id: 1 })).sortPushdown, false);
    const strings = await docs.find({ _id: { $gt: 'a' } }).sort({ _id: 1 }).toArray();
    assert.deepEqual(strings.map((doc) => doc._id), ['b b', 'k"q', 'zz\u2028']);
    // Unsorted ranges and sorts on other fields still come back complete and in order.
    const all = await docs.find({ _id: { $gt: new ObjectId('000000000000000000000000') } }).toArray();
    assert.deepEqual([...all].sort(byId).map((doc) => doc._id), [...objectIds].sort((a, b) => Buffer.compare(a.id, b.id)));
    const byN = await docs.find({ _id: { $gt: new ObjectId('000000000000000000000000') } }).sort({ n: -1 }).limit(3).toArray();
    assert.deepEqual(byN.map((doc) => doc.n), [299, 298, 297]);
  });

  it('updates and deletes by _id through the index', async () => {
    const updated = await docs.updateMany({ _id: { $in: objectIds.slice(0, 10) }, even: true }, { $set: { touched: true } });
    assert.equal(updated.modifiedCount, 5);
    assert.equal((await docs.updateOne({ _id: objectIds[11]! }, { $set: { touched: true } })).modifiedCount, 1);
    assert.equal((await docs.deleteMany({ _id: { $in: objectIds.slice(0, 3) } })).deletedCount, 3);
    assert.equal(await docs.countDocuments({ touched: true }), 4);
  });
});
