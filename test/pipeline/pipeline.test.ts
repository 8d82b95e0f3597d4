import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ObjectId } from 'mongodb';
import { Outcome } from '../../common/pipeline';
import { createFailedMessageRepository } from '../../store/failed-messages';
import { CrawlerTaskStatus } from '../../store/crawler-tasks';
import { createStore } from '../../store/store';
import { UriLogStatus } from '../../store/uri-logs';
import { uriHash } from '../../domain/uris/hash';
import { replayFailedMessages } from '../../starters/replay';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

// Kafka → bridge → message workflow (fetch via the spider API → tag → publish) → Kafka,
// on the real stack, with a real local HTTP server as the spider.
describe('message pipeline end to end', () => {
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  const run = uniqueName('run');

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    pipeline = await startPipelineHarness({ env: { SPIDER_API: spider.spiderUrl, SPIDER_TIMEOUT_SECONDS: '2' } });
  });
  after(async () => {
    await pipeline?.close();
    await spider?.close();
  });

  const failures = () => createFailedMessageRepository(pipeline.mongo.db);
  /** Output can arrive before the run has recorded its failures and closed: wait for the run. */
  const runEnded = (id: string) => pipeline.temporal.workflow.getHandle(`msg-${id}`).result();

  it('fetches, tags and publishes a link message', async () => {
    const id = `${run}-happy`;
    await pipeline.produce([{ id, type: 3, url: 'http://news.example/article/1', text: '股票 消息' }]);
    const { value, headers } = await pipeline.waitForOutput(id);
    assert.equal(value.id, id);
    assert.equal(value.text, '股票 消息', 'the input message is kept');
    assert.match(String(value.content), /央行宣布加息/);
    assert.match(String(value.contentHtml), /<h1>Article 1<\/h1>/);
    assert.equal(typeof value.webCrawlConsume, 'number');
    assert.ok(Array.isArray(value.tags) && value.tags.length > 0, 'tagged');
    assert.equal(value.crawlflow.workflowId, `msg-${id}`);
    assert.deepEqual((value.crawlflow.fetch as { status: string; via: string }).status, 'ok');
    // Three short paragraphs are no article: the full text, and the output says why.
    assert.deepEqual(value.crawlflow.extract, { method: 'full_text', title: 'Article 1', chars: String(value.content).length, fallback: 'too_short' });
    assert.equal(headers['crawlflow-workflow-id'], `msg-${id}`);
    assert.ok(headers['crawlflow-tagger-version']);
    await runEnded(id);
    const description = await pipeline.temporal.workflow.getHandle(`msg-${id}`).describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.deepEqual(description.searchAttributes.CrawlflowOutcome, [Outcome.Published]);
    assert.deepEqual(description.searchAttributes.CrawlflowUrlHost, ['news.example']);
  });

  it('tags and publishes a message that is not a link, without fetching', async () => {
    const id = `${run}-text`;
    const before = spider.hits.size;
    await pipeline.produce([{ id, type: 1, text: 'the stock market rallied' }]);
    const { value } = await pipeline.waitForOutput(id);
    assert.equal(value.content, '');
    assert.equal((value.crawlflow.fetch as { status: string }).status, 'skipped');
    assert.equal(spider.hits.size, before);
  });

  it('retries a spider that fails twice, then succeeds', async () => {
    const id = `${run}-flaky`;
    await pipeline.produce([{ id, type: 3, url: `http://news.example/flaky/${id}` }]);
    const { value } = await pipeline.waitForOutput(id);
    assert.match(String(value.content), new RegExp(`Article flaky-${id}`));
    assert.equal(spider.hits.get(`/flaky/${id}`), 3);
  });

  it('still tags and publishes a page that times out, with empty content, and records the failure', async () => {
    const id = `${run}-slow`;
    await pipeline.produce([{ id, type: 3, url: 'http://news.example/slow' }]);
    const { value } = await pipeline.waitForOutput(id, 90_000);
    assert.equal(value.content, '');
    assert.deepEqual(value.crawlflow.fetch, { status: 'failed', errorType: 'FetchTimeout', error: 'fetch timed out' });
    await runEnded(id);
    const [record] = await failures().find({ step: 'fetch' }).then((all) => all.filter((r) => r.workflowId === `msg-${id}`));
    assert.ok(record, 'a failed-message record');
    assert.equal(record.errorType, 'FetchTimeout');
    const description = await pipeline.temporal.workflow.getHandle(`msg-${id}`).describe();
    assert.deepEqual(description.searchAttributes.CrawlflowOutcome, [Outcome.FetchFailed]);
  });

  it('does not retry a 404, records it, and replays it once the page exists', async () => {
    const id = `${run}-toggle`;
    await pipeline.produce([{ id, type: 3, url: `http://news.example/toggle/${id}` }]);
    const first = await pipeline.waitForOutput(id);
    assert.equal((first.value.crawlflow.fetch as { errorType: string }).errorType, 'HttpClientError');
    assert.equal(spider.hits.get(`/toggle/${id}`), 1, 'a 404 is not retried');
    await runEnded(id);
    const [record] = (await failures().find({ step: 'fetch' })).filter((r) => r.workflowId === `msg-${id}`);
    assert.ok(record);

    spider.fixToggle(id);
    pipeline.outputs.delete(id);
    const items = await replayFailedMessages(
      { client: pipeline.temporal, config: pipeline.config, failedMessages: failures() },
      { ids: [record._id.toHexString()] },
    );
    assert.deepEqual(items.map((item) => item.result), ['started']);
    const replayed = await pipeline.waitForOutput(id);
    assert.match(String(replayed.value.content), new RegExp(`Article toggle-${id}`));
    await pipeline.temporal.workflow.getHandle(`msg-${id}`).result();
    const after = await failures().findById(record._id.toHexString());
    assert.equal(after?.status, 'replayed');
    assert.equal(after?.replays.length, 1);
    assert.equal(after?.replays[0]?.outcome, Outcome.Published);
  });

  it('cuts a 20 MB page to the size limits, and the published message fits the topic', async () => {
    const id = `${run}-huge`;
    await pipeline.produce([{ id, type: 3, url: 'http://news.example/huge' }]);
    const { value } = await pipeline.waitForOutput(id, 120_000);
    const fetch = value.crawlflow.fetch as { status: string; bodyTruncated: boolean };
    assert.equal(fetch.status, 'ok');
    assert.equal(fetch.bodyTruncated, true, 'the body was cut at FETCH_MAX_BYTES');
    const truncated = value.crawlflow.truncated as { contentHtml: { keptChars: number } };
    assert.equal(truncated.contentHtml.keptChars, 0);
    assert.ok(Buffer.byteLength(JSON.stringify(value)) <= pipeline.config.kafka.maxMessageBytes);
    assert.match(String(value.content), /finance market news/);
  });

  it('sends each kind of bad record to the dead-letter topic with its reason and bytes, and keeps going', async () => {
    const badUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
    const tooLarge = JSON.stringify({ id: 'big', text: 'x'.repeat(pipeline.config.kafka.maxMessageBytes) });
    await pipeline.produce(['{"broken": ', '[1,2,3]', '42', badUtf8, tooLarge, Buffer.alloc(0)]);
    const letters = await pipeline.waitForDeadLetters(6);
    const reasons = letters.map((letter) => letter.headers['crawlflow-dead-letter-reason']).sort();
    assert.deepEqual(reasons, ['empty', 'invalid_json', 'invalid_utf8', 'not_an_object', 'not_an_object', 'too_large']);
    const utf8Letter = letters.find((letter) => letter.headers['crawlflow-dead-letter-reason'] === 'invalid_utf8');
    assert.deepEqual(utf8Letter?.value, badUtf8, 'the original bytes');
    // The record is written right after the dead letter is acknowledged.
    const bridgeFailures = await eventually('6 bridge failures recorded', async () => {
      const found = await failures().find({ step: 'bridge' });
      return found.length >= 6 && found;
    });
    assert.equal(bridgeFailures.length, 6);
    // The bridge kept going: a good message after the bad ones is published.
    const id = `${run}-after-bad`;
    await pipeline.produce([{ id, type: 1, text: 'still alive' }]);
    await pipeline.waitForOutput(id);
  });

  it("moves a crawler task's status through the seed's codes and writes its URI log", async () => {
    const store = createStore(pipeline.mongo.db);
    const job = await store.jobs.create({ name: `${run}-job` });
    const uris = ['http://news.example/article/77', 'http://news.example/missing'];
    const inserted = await store.tasks.insertNew(
      { job: job.id, source: 'manual', rulesVersion: 1 },
      uris.map((uri, index) => ({ uri, uriHash: uriHash(uri), original: uri, line: index + 1 })),
    );
    const [ok, missing] = inserted.map((outcome) => (outcome.kind === 'accepted' ? outcome.taskId.toHexString() : assert.fail(outcome.kind)));
    await pipeline.produce(
      [ok, missing].map((taskId, index) => ({ id: `${run}-task-${index}`, type: 3, url: uris[index], job: job.name, taskId, source: 'crawler_task' })),
    );
    for (const index of [0, 1]) {
      await pipeline.waitForOutput(`${run}-task-${index}`);
      await runEnded(`${run}-task-${index}`);
    }
    const [okTask, missingTask] = await Promise.all([ok, missing].map((id) => store.tasks.get(new ObjectId(id))));
    assert.equal(okTask?.status, CrawlerTaskStatus.Analysed);
    assert.equal(missingTask?.status, CrawlerTaskStatus.DownloadFailed);
    const logs = await store.uriLogs.list({ job: job.id });
    assert.equal(logs.length, 2, 'one crawler_uri_log row per fetch');
    const okLog = logs.find((log) => log.status === UriLogStatus.Succeeded);
    const failedLog = logs.find((log) => log.status === UriLogStatus.Failed);
    assert.ok(okLog && okLog.contentBytes > 0 && okLog.hostname);
    assert.match(String(failedLog?.failedReason), /HttpClientError/);
  });

  it('runs a re-delivered message once: the same message id twice gives one run', async () => {
    const id = `${run}-dup`;
    await pipeline.produce([{ id, type: 1, text: 'first' }]);
    await pipeline.waitForOutput(id);
    await pipeline.produce([{ id, type: 1, text: 'again' }]);
    const marker = `${run}-dup-marker`;
    await pipeline.produce([{ id: marker, type: 1, text: 'after the duplicate' }]);
    await pipeline.waitForOutput(marker);
    assert.equal(pipeline.outputs.get(id)?.value.text, 'first');
    const runs = [];
    for await (const execution of pipeline.temporal.workflow.list({ query: `WorkflowId = 'msg-${id}'` })) runs.push(execution);
    assert.equal(runs.length, 1);
  });
});
