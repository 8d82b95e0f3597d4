import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObjectId } from 'mongodb';
import { listSource } from '../../domain/ingest/line-sources';
import type { ReceiptLine } from '../../domain/ingest/receipt';
import { createUriTaskWriter, UriStoreUnavailableError, type UriTaskWriterOptions } from '../../domain/ingest/uri-task-writer';
import { TaskSource, type NewCrawlerTask, type TaskInsertOutcome } from '../../store/crawler-tasks';
import type { ErrorLogEntry, FailureLogEntry } from '../../store/ingest-logs';
import { LogSource } from '../../store/ingest-logs';
import { testConfig, testLogger } from '../../support/stack';

// The writer's policies, on a database that can be made to refuse every write: what each caller
// (ingest: receipts; generator runs: a retried activity) relies on when things go wrong. The
// happy paths run against the real store in ingest.test.ts and test/generators/.

const logger = testLogger(testConfig());
const job = new ObjectId();

function fakeStore(save: (task: NewCrawlerTask) => TaskInsertOutcome) {
  const errors: ErrorLogEntry[] = [];
  const failures: FailureLogEntry[] = [];
  const writes: number[] = [];
  return {
    errors,
    failures,
    writes,
    tasks: {
      insertNew: (_context: unknown, batch: readonly NewCrawlerTask[]) => {
        writes.push(batch.length);
        return Promise.resolve(batch.map(save));
      },
    },
    logs: {
      recordErrors: (entries: readonly ErrorLogEntry[]) => Promise.resolve(errors.push(...entries) && 0),
      recordFailures: (entries: readonly FailureLogEntry[]) => Promise.resolve(failures.push(...entries) && 0),
    },
  };
}

function writerOver(store: ReturnType<typeof fakeStore>, options: Partial<UriTaskWriterOptions> = {}) {
  return createUriTaskWriter({
    tasks: store.tasks,
    logs: store.logs,
    logger,
    tasksOf: { job, source: TaskSource.Generator },
    logContext: { job, source: LogSource.Generator },
    policy: { allowedSchemes: ['http', 'https'] },
    ...options,
  });
}

async function addAll(writer: ReturnType<typeof createUriTaskWriter>, texts: readonly string[]): Promise<void> {
  for await (const line of listSource(texts).lines) await writer.add(line);
}

const accept = (): TaskInsertOutcome => ({ kind: 'accepted', taskId: new ObjectId() });
const refuse = (): TaskInsertOutcome => ({ kind: 'failed', reason: 'connection refused' });

describe('the URI task writer', () => {
  it('gives up after maxFailedBatches batches in a row store nothing, and says where', async () => {
    const store = fakeStore(refuse);
    const writer = writerOver(store, { batchSize: 2, maxFailedBatches: 3 });
    const uris = Array.from({ length: 20 }, (_, index) => `http://down.example/${index}`);
    await assert.rejects(addAll(writer, uris).then(() => writer.finish()), (error: unknown) => {
      assert.ok(error instanceof UriStoreUnavailableError);
      assert.deepEqual([error.line, error.batches, error.reason], [6, 3, 'connection refused']);
      assert.equal(error.receiptMessage.key, 'receipt.stopped');
      return true;
    });
    await writer.stop();
    assert.deepEqual(store.writes, [2, 2, 2], 'no batch is written after it gave up');
    assert.equal(writer.counts().failed, 6);
    assert.equal(store.failures.length, 6, 'every failed URI is in the failure log');
  });

  it('keeps going while some URIs of each batch are stored', async () => {
    let index = 0;
    const store = fakeStore(() => (index++ % 2 === 0 ? refuse() : accept()));
    const writer = writerOver(store, { batchSize: 2, maxFailedBatches: 1 });
    await addAll(writer, Array.from({ length: 10 }, (_, line) => `http://half.example/${line}`));
    await writer.finish();
    assert.deepEqual([writer.counts().accepted, writer.counts().failed], [5, 5]);
  });

  it('logs duplicates and invalid lines as the caller asks, and counts them all', async () => {
    const taskId = new ObjectId();
    const texts = ['http://d.example/', 'garbage1', 'garbage2', 'garbage3', ''];
    const everything = fakeStore(() => ({ kind: 'duplicate', taskId }));
    const ingest = writerOver(everything);
    await addAll(ingest, texts);
    await ingest.finish();
    assert.deepEqual(everything.errors.map((entry) => entry.reasonCode), ['duplicate', 'invalid_url', 'invalid_url', 'invalid_url']);
    assert.equal(everything.errors[0]?.duplicateOf, taskId);

    const sampled = fakeStore(() => ({ kind: 'duplicate', taskId }));
    const generator = writerOver(sampled, { logDuplicates: false, maxLoggedInvalid: 2 });
    await addAll(generator, texts);
    await generator.finish();
    assert.deepEqual(sampled.errors.map((entry) => entry.line), [2, 3]);
    assert.deepEqual(generator.counts(), { lines: 5, accepted: 0, duplicate: 1, invalid: 3, failed: 0, skipped: 1 });
  });

  it('writes one batch while the next is read, never two at once, and reports lines in order', async () => {
    let inFlight = 0;
    let most = 0;
    const store = fakeStore(accept);
    const seen: ReceiptLine[] = [];
    const slow = async (context: unknown, batch: readonly NewCrawlerTask[]) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return store.tasks.insertNew(context, batch);
    };
    const writer = writerOver({ ...store, tasks: { insertNew: slow } }, { batchSize: 3, onLine: (line) => seen.push(line) });
    await addAll(writer, Array.from({ length: 20 }, (_, index) => (index % 4 === 3 ? 'bad' : `http://order.example/${index}`)));
    await writer.finish();
    assert.equal(most, 1);
    assert.deepEqual(seen.map((line) => line.line), Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it('flush stores a partial batch now: a script that pauses has its URIs stored before it goes on', async () => {
    const store = fakeStore(accept);
    const writer = writerOver(store);
    await addAll(writer, ['http://p.example/1', 'http://p.example/2']);
    await writer.flush();
    await addAll(writer, ['http://p.example/3']);
    await writer.finish();
    assert.deepEqual(store.writes, [2, 1]);
  });
});
