import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeHtml } from '../../domain/pages/decode-html';
import { FetchError, FetchErrorType } from '../../domain/pages/fetch-errors';
import { htmlToPlainText } from '../../domain/pages/html-text';
import { createPageFetcher, type PageFetcherOptions } from '../../domain/pages/page-fetcher';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';

const base: PageFetcherOptions = {
  timeoutSeconds: 2,
  maxBytes: 1024 * 1024,
  maxRedirects: 3,
  allowPrivateNetworks: true,
  userAgent: 'crawlflow-test',
};

async function fetchError(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FetchError, `a FetchError, got ${String(error)}`);
    return error;
  }
  assert.fail('the fetch should have failed');
}

describe('page fetcher (undici, against a real local HTTP server)', () => {
  let server: SpiderServer;
  const fetcher = createPageFetcher(base);
  before(async () => {
    server = await startSpiderServer();
  });
  after(async () => {
    await fetcher.close();
    await server.close();
  });

  it('fetches a page directly and extracts its pure text', async () => {
    const page = await fetcher.fetchPage(`${server.url}/article/7`);
    assert.equal(page.status, 200);
    assert.equal(page.via, 'direct');
    assert.equal(page.truncated, false);
    const text = htmlToPlainText(decodeHtml(page.body, page.contentType));
    assert.match(text, /Article 7/);
    assert.match(text, /央行宣布加息/);
    assert.doesNotMatch(text, /not text|color:red|<p>/);
  });

  it('posts the URL to the spider API when one is configured', async () => {
    const spider = createPageFetcher({ ...base, spiderApi: server.spiderUrl });
    try {
      const page = await spider.fetchPage('http://news.example/article/42');
      assert.equal(page.via, 'spider');
      assert.match(page.body.toString(), /Article 42/);
    } finally {
      await spider.close();
    }
  });

  it('follows a bounded number of redirects', async () => {
    const page = await fetcher.fetchPage(`${server.url}/redirect/2`);
    assert.match(page.finalUrl, /\/article\/redirected$/);
    const error = await fetchError(fetcher.fetchPage(`${server.url}/redirect/5`));
    assert.equal(error.type, FetchErrorType.TooManyRedirects);
    assert.equal(error.retryable, false);
  });

  it('classifies 404 as permanent, 503 as retryable, non-HTML as permanent', async () => {
    const missing = await fetchError(fetcher.fetchPage(`${server.url}/missing`));
    assert.deepEqual([missing.type, missing.retryable, missing.details.status], [FetchErrorType.HttpClientError, false, 404]);
    const busy = await fetchError(fetcher.fetchPage(`${server.url}/flaky/fetcher-test`));
    assert.deepEqual([busy.type, busy.retryable], [FetchErrorType.HttpServerError, true]);
    const pdf = await fetchError(fetcher.fetchPage(`${server.url}/pdf`));
    assert.deepEqual([pdf.type, pdf.retryable], [FetchErrorType.NotHtml, false]);
  });

  it('classifies a host name that does not resolve (ENOTFOUND) as permanent, guarded or not', async () => {
    const guarded = createPageFetcher({ ...base, allowPrivateNetworks: false });
    try {
      // `.invalid` never resolves (RFC 2606).
      for (const client of [fetcher, guarded]) {
        const error = await fetchError(client.fetchPage('http://no-such-host.crawlflow.invalid/'));
        assert.deepEqual([error.type, error.retryable], [FetchErrorType.HostNotFound, false]);
        assert.match(error.message, /host not found/);
      }
    } finally {
      await guarded.close();
    }
  });

  it('times out a page that does not answer in time (retryable)', async () => {
    const error = await fetchError(fetcher.fetchPage(`${server.url}/slow`));
    assert.deepEqual([error.type, error.retryable], [FetchErrorType.Timeout, true]);
  });

  it("starts a page's deadline when it has a connection, not while it waits for one", async () => {
    // 4 × 64 pages of 700 ms at once, on one origin's 64 connections: the last ones wait 2.1 s
    // for a connection, past the 2 s deadline; they must not time out for having waited.
    const started = Date.now();
    const pages = await Promise.allSettled(Array.from({ length: 256 }, (_, index) => fetcher.fetchPage(`${server.url}/delay/700/${index}`)));
    const failed = pages.filter((page) => page.status === 'rejected').map((page) => String((page as PromiseRejectedResult).reason));
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} of 256 failed`);
    assert.ok(Date.now() - started >= 4 * 700, 'at most 64 ran at once');
  });

  it('honours cancellation', async () => {
    const controller = new AbortController();
    const pending = fetcher.fetchPage(`${server.url}/slow`, controller.signal);
    setTimeout(() => controller.abort(), 100);
    const error = await fetchError(pending);
    assert.equal(error.type, FetchErrorType.Cancelled);
  });

  it('cuts a body past the size limit and says so', async () => {
    const small = createPageFetcher({ ...base, maxBytes: 100_000, timeoutSeconds: 20 });
    try {
      const page = await small.fetchPage(`${server.url}/huge`);
      assert.equal(page.body.length, 100_000);
      assert.equal(page.truncated, true);
    } finally {
      await small.close();
    }
  });

  it('refuses loopback, private and link-local addresses unless allowed (SSRF)', async () => {
    const guarded = createPageFetcher({ ...base, allowPrivateNetworks: false });
    try {
      for (const url of [`${server.url}/article/1`, 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/', 'http://[::1]/']) {
        const error = await fetchError(guarded.fetchPage(url));
        assert.equal(error.type, FetchErrorType.BlockedAddress, url);
        assert.equal(error.retryable, false);
      }
      // A host name that resolves to loopback is refused at connect time.
      const byName = await fetchError(guarded.fetchPage(`${server.url.replace('127.0.0.1', 'localhost')}/article/1`));
      assert.equal(byName.type, FetchErrorType.BlockedAddress);
      const invalid = await fetchError(guarded.fetchPage('ftp://example.com/file'));
      assert.equal(invalid.type, FetchErrorType.InvalidUrl);
    } finally {
      await guarded.close();
    }
  });

  it('decodes GBK pages', async () => {
    const page = await fetcher.fetchPage(`${server.url}/gbk`);
    assert.equal(htmlToPlainText(decodeHtml(page.body, page.contentType)), '金融新闻');
  });
});
