import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ObjectId } from 'mongodb';
import { createFetchActivities } from '../../activities/fetch';
import { createTaskProgressWriter } from '../../activities/task-progress';
import type { FetchResult, TaskProgress } from '../../common/pipeline';
import { createLogger } from '../../infra/logging/logger';
import { FetchError, FetchErrorType } from '../../domain/pages/fetch-errors';
import type { PageFetcher, RawPage } from '../../domain/pages/page-fetcher';
import { CrawlerTaskStatus } from '../../store/crawler-tasks';
import { metrics } from '../../infra/metrics/metrics';

const logger = createLogger({ level: 'silent', format: 'json' }, { component: 'test' });
const payloads = { put: async (text: string) => ({ inline: text }) };
const page = (url: string): RawPage => ({ url, status: 200, finalUrl: url, via: 'spider' as const, body: Buffer.from('<html><body><p>page text</p></body></html>'), contentType: 'text/html', truncated: false });

/** A fetcher whose pages each answer when `release` is called: shows what runs at once. */
function gatedFetcher(fail: Set<string> = new Set()) {
  const waiting = new Map<string, () => void>();
  const fetcher: Pick<PageFetcher, 'fetchPage'> = {
    fetchPage: (url) =>
      new Promise((resolve, reject) => {
        waiting.set(url, () => (fail.has(url) ? reject(new FetchError(FetchErrorType.Timeout, 'fetch timed out', { url })) : resolve(page(url))));
        if (waiting.size === 3) for (const release of waiting.values()) release();
        // Fetched one after the other, the first would wait forever: fail it instead.
        setTimeout(() => reject(new Error('the fetches did not run at once')), 5_000).unref();
      }),
  } as Pick<PageFetcher, 'fetchPage'>;
  return { fetcher, waiting };
}

describe('fetch activity', () => {
  it('fetches a batch at once, and on the last attempt returns a transient failure as an item instead of failing the others', async () => {
    const urls = ['http://a.test/1', 'http://a.test/2', 'http://a.test/3'];
    const steps: TaskProgress[] = [];
    const { fetcher } = gatedFetcher(new Set(['http://a.test/2']));
    const { fetchPages } = createFetchActivities({ metrics, fetcher, payloads, logger, taskProgress: { write: async (list) => (steps.push(...list), []) } });
    // The gate opens only once all three requests wait at the same time.
    const results: FetchResult[] = await new MockActivityEnvironment({ attempt: 3 }).run(() => fetchPages(urls.map((url) => ({ url })), { maxAttempts: 3 }));
    assert.deepEqual(results.map((result) => result.ok), [true, false, true]);
    assert.equal(results[1]?.ok === false ? results[1].errorType : undefined, FetchErrorType.Timeout);
    assert.equal(steps.length, 0, 'no crawler task, no steps');

    const retried = createFetchActivities({ metrics, fetcher: gatedFetcher(new Set(['http://a.test/2'])).fetcher, payloads, logger, taskProgress: { write: async () => [] } });
    await assert.rejects(
      new MockActivityEnvironment({ attempt: 1 }).run(() => retried.fetchPages(urls.map((url) => ({ url })), { maxAttempts: 3 })),
      /fetch timed out/,
      'before the last attempt a transient failure is retried',
    );
  });

  it('writes a crawler task\'s steps, and returns the ones MongoDB refused instead of failing the fetch', async () => {
    const taskId = new ObjectId().toHexString();
    const statuses: number[] = [];
    const down = Object.assign(new Error('connection <monitor> to 127.0.0.1:27017 closed'), { name: 'MongoNetworkError' });
    const writer = createTaskProgressWriter({
      tasks: {
        get: async () => ({ job: new ObjectId(), generator: null }) as never,
        setStatus: async (_id, status) => {
          if (status === CrawlerTaskStatus.InProgress) throw down;
          statuses.push(status);
          return true;
        },
      },
      uriLogs: { record: async () => new ObjectId() },
    });
    const { fetchPages } = createFetchActivities({ metrics, fetcher: { fetchPage: async (url) => page(url) } as Pick<PageFetcher, 'fetchPage'>, payloads, logger, taskProgress: writer });
    const [result]: FetchResult[] = await new MockActivityEnvironment().run(() => fetchPages([{ url: 'http://a.test/task', taskId }]));
    assert.equal(result?.ok, true, 'the page is fetched all the same');
    assert.deepEqual(statuses, [CrawlerTaskStatus.Downloaded]);
    assert.deepEqual(result?.taskProgressFailures, [{ errorType: 'MongoNetworkError', message: `crawler task ${taskId}: step "started" not recorded: connection <monitor> to 127.0.0.1:27017 closed` }]);
  });
});
