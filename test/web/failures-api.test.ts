import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ObjectId } from 'mongodb';
import { createIngestService } from '../../domain/ingest/service';
import { createFailedMessageRepository, type FailedMessageDocument } from '../../store/failed-messages';
import { CrawlerTaskStatus } from '../../store/crawler-tasks';
import { createStore, type Store } from '../../store/store';
import { replayRecords } from '../../starters/replay';
import { buildWebServer } from '../../processes/web/server';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

/**
 * The failures API on the real pipeline: real failed fetches, real dead letters, real replays
 * through Temporal, read and started through the HTTP API (fastify inject).
 */
describe('failures, dead letters and task stories over HTTP (real pipeline)', () => {
  const TOKEN = 'failures-token-1';
  const auth = { authorization: `Bearer ${TOKEN}` };
  const run = uniqueName('wf');
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  let store: Store;
  let app: FastifyInstance;

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    pipeline = await startPipelineHarness({ env: { SPIDER_API: spider.spiderUrl, SPIDER_TIMEOUT_SECONDS: '2', TEMPORAL_UI_URL: 'http://temporal.test:8233' } });
    const { config, logger, temporal, mongo } = pipeline;
    store = createStore(mongo.db);
    const failedMessages = createFailedMessageRepository(mongo.db);
    app = await buildWebServer({
      config,
      store,
      ingest: createIngestService({ store, config, logger }),
      logger,
      token: TOKEN,
      failures: { failedMessages, replay: (records: readonly FailedMessageDocument[]) => replayRecords({ client: temporal, config, failedMessages }, records) },
    });
  });
  after(async () => {
    await app?.close();
    await pipeline?.mongo.db.dropDatabase();
    await pipeline?.close();
    await spider?.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url, headers: auth });
  const post = (url: string, payload: object, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url, payload, headers: { ...auth, ...headers } });
  const ok = <T>(response: { statusCode: number; body: string; json: () => unknown }): T => {
    assert.ok(response.statusCode === 200 || response.statusCode === 201, `${response.statusCode}: ${response.body.slice(0, 400)}`);
    return response.json() as T;
  };
  function problem(response: { statusCode: number; json: () => unknown }, status: number, message: RegExp, field?: string): void {
    const body = response.json() as { error: string; message: string; field?: string };
    assert.equal(response.statusCode, status, JSON.stringify(body));
    assert.match(body.message, message);
    if (field !== undefined) assert.deepEqual([body.error, body.field], ['bad_request', field], JSON.stringify(body));
  }
  type Failure = { id: string; workflowId: string; step: string; errorType: string; status: string; replayable: boolean; replays: Array<{ outcome: string | null }>; links: { run: string }; summary: { url: string } };
  const runEnded = (workflowId: string) => pipeline.temporal.workflow.getHandle(workflowId).result().catch(() => undefined);

  it('lists failed fetches by step, error type and time, pages by cursor, and names a bad field', async () => {
    const ids = [`${run}-a`, `${run}-b`, `${run}-c`];
    await pipeline.produce(ids.map((id) => ({ id, type: 3, url: `http://news.example/toggle/${id}` })));
    for (const id of ids) await pipeline.waitForOutput(id);
    for (const id of ids) await runEnded(`msg-${id}`);
    const all = await eventually('three failures', async () => {
      const { failures } = ok<{ failures: Failure[] }>(await get('/api/failures?step=fetch&errorType=HttpClientError'));
      return failures.length === 3 ? failures : undefined;
    });
    assert.deepEqual(new Set(all.map((failure) => failure.workflowId)), new Set(ids.map((id) => `msg-${id}`)));
    assert.ok(all.every((failure) => failure.replayable && failure.status === 'failed'));
    assert.match(all[0]!.links.run, /^http:\/\/temporal\.test:8233\/namespaces\/default\/workflows\/msg-/);
    assert.match(all[0]!.summary.url, /toggle/);

    // Paging by cursor: one at a time, newest first, the same three.
    const seen: string[] = [];
    let next: string | null = '';
    while (next !== null) {
      const page: { failures: Failure[]; next: string | null } = ok(await get(`/api/failures?step=fetch&limit=1${next ? `&before=${next}` : ''}`));
      seen.push(...page.failures.map((failure) => failure.id));
      next = page.next;
    }
    assert.deepEqual(seen, all.map((failure) => failure.id));

    assert.equal(ok<{ failures: Failure[] }>(await get('/api/failures?errorType=NoSuchError')).failures.length, 0);
    assert.equal(ok<{ failures: Failure[] }>(await get(`/api/failures?until=${encodeURIComponent('2020-01-01T00:00:00Z')}`)).failures.length, 0);
    assert.equal(ok<{ failures: Failure[] }>(await get(`/api/failures?since=${encodeURIComponent(new Date(Date.now() - 600_000).toISOString())}`)).failures.length, 3);
    assert.deepEqual(ok(await get('/api/failures/count?step=fetch')), { count: 3, atLeast: false, cap: 500 });

    problem(await get('/api/failures?step=fly'), 400, /^query\.step: one of "fetch", "tag"/, 'query.step');
    problem(await get('/api/failures?limit=100000'), 400, /^query\.limit: at most 500$/, 'query.limit');
    problem(await get('/api/failures?since=yesterday'), 400, /^query\.since "yesterday": not a time/, 'query.since');
    problem(await get('/api/failures?since=2026-11-23T10:00:00Z&until=2026-11-22T10:00:00Z'), 400, /^query\.until: earlier than "since"$/, 'query.until');
    problem(await get('/api/failures?before=xyz'), 400, /^query\.before "xyz": not an id/, 'query.before');
    problem(await get('/api/failures?colour=red'), 400, /^query\.colour: unknown field$/, 'query.colour');
    problem(await get('/api/dead-letters?limit=x'), 400, /^query\.limit: expected a number$/, 'query.limit');
    problem(await get('/api/failures?job=nobody'), 404, /no job named "nobody"/);
    problem(await app.inject({ method: 'GET', url: '/api/failures' }), 401, /access token/);
    problem(await app.inject({ method: 'GET', url: `/api/failures/${new ObjectId().toHexString()}`, headers: { ...auth, 'accept-language': 'zh-CN' } }), 404, /^没有失败消息 [0-9a-f]{24}$/);
    problem(await post('/api/failures/replay', {}), 400, /^body: send either "ids" .* or "filter" \(every failed one matching it; \{\} for all\)$/, 'body');
    problem(await post('/api/failures/replay', { ids: ['nope'] }), 400, /^body\.ids\.0 "nope": not an id/, 'body.ids.0');
    problem(await post('/api/failures/replay', { ids: 'nope' }), 400, /^body\.ids: expected a list$/, 'body.ids');
    problem(await post('/api/failures/replay', { ids: [] }), 400, /^body\.ids: at least one item$/, 'body.ids');
    problem(await post('/api/failures/replay', { filter: { step: 'bridge' } }), 400, /^body\.filter\.step: one of/, 'body.filter.step');
    problem(await post('/api/failures/replay', { filter: { step: 'bridge' } }, { 'accept-language': 'zh-CN' }), 400, /^body\.filter\.step：应为 .* 之一$/, 'body.filter.step');
    problem(await post('/api/failures/replay', { ids: [new ObjectId().toHexString()] }), 404, /no failed message/);
  });

  it('replays one, then every failed one matching a filter, and shows each outcome when it ends', async () => {
    const { failures } = ok<{ failures: Failure[] }>(await get('/api/failures?step=fetch'));
    const [first, ...rest] = failures;
    for (const failure of failures) spider.fixToggle(failure.workflowId.slice('msg-'.length));

    const one = ok<{ matched: number; started: number; items: Array<{ result: string; links: { run: string } }> }>(await post('/api/failures/replay', { ids: [first!.id] }));
    assert.equal(one.matched, 1);
    assert.equal(one.started, 1);
    assert.match(one.items[0]!.links.run, /workflows\/msg-/);
    const again = ok<{ items: Array<{ result: string; reason: string }> }>(await post('/api/failures/replay', { ids: [first!.id] }));
    assert.deepEqual(again.items.map((item) => item.result), ['not_replayable'], 'a failure whose replay runs is not started twice');

    // "All matching": the count the page confirms, then the replay names the same count.
    const count = ok<{ count: number }>(await get('/api/failures/count?step=fetch&status=failed'));
    assert.equal(count.count, rest.length);
    const all = ok<{ matched: number; started: number }>(await post('/api/failures/replay', { filter: { step: 'fetch' } }));
    assert.equal(all.matched, rest.length);
    assert.equal(all.started, rest.length);

    for (const failure of failures) {
      const ended = await eventually(`replay of ${failure.id} ends`, async () => {
        const { failure: now } = ok<{ failure: Failure }>(await get(`/api/failures/${failure.id}`));
        return now.replays[0]?.outcome ? now : undefined;
      });
      assert.equal(ended.replays[0]?.outcome, 'published');
      assert.equal(ended.status, 'replayed');
      assert.equal(ended.replayable, false);
    }
    assert.equal(ok<{ count: number }>(await get('/api/failures/count?step=fetch&status=failed')).count, 0);
  });

  it('shows dead-lettered records with reason, source position and their hostile bytes as escaped text', async () => {
    const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a>\u202Egnp.exe\u0000\u200B`;
    await pipeline.produce([Buffer.from(hostile, 'utf8'), Buffer.from([0xff, 0xfe, 0x3c, 0x62, 0x3e])]);
    await pipeline.waitForDeadLetters(2);
    type Letter = { id: string; reason: string; detail: string; source: { topic: string; partition: number; offset: string }; preview: { text: string; hex: string; notUtf8: boolean; escaped: number } };
    const letters = await eventually('two dead letters', async () => {
      const { deadLetters } = ok<{ deadLetters: Letter[] }>(await get('/api/dead-letters'));
      return deadLetters.length === 2 ? deadLetters : undefined;
    });
    const text = letters.find((letter) => letter.preview.text.includes('<script>'));
    assert.ok(text, JSON.stringify(letters));
    assert.equal(text.reason, 'invalid_json');
    assert.equal(text.source.topic, pipeline.config.kafka.inputTopic);
    assert.match(text.source.offset, /^\d+$/);
    assert.ok(text.preview.text.includes('⟨U+202E⟩gnp.exe⟨U+0000⟩⟨U+200B⟩'), text.preview.text);
    assert.ok(!['\u202E', '\u0000', '\u200B'].some((char) => text.preview.text.includes(char)), 'no control or bidi character left');
    assert.equal(text.preview.escaped, 3);
    assert.match(text.preview.hex, /^3c 73 63 72/);
    const binary = letters.find((letter) => letter !== text)!;
    assert.equal(binary.preview.notUtf8, true);
    assert.equal(binary.preview.hex, 'ff fe 3c 62 3e');
    assert.deepEqual(ok<{ deadLetter: Letter }>(await get(`/api/dead-letters/${text.id}`)).deadLetter.preview, text.preview);
    // Not among the failed messages, and not replayable.
    assert.ok(!ok<{ failures: Failure[] }>(await get('/api/failures')).failures.some((failure) => failure.id === text.id));
    const refused = ok<{ items: Array<{ result: string; reason: string }> }>(await post('/api/failures/replay', { ids: [text.id] }));
    assert.equal(refused.items[0]?.result, 'not_replayable');
    assert.match(refused.items[0]!.reason, /dead-lettered record/);
    problem(await get(`/api/dead-letters/${new ObjectId().toHexString()}`), 404, /no dead-lettered record/);
  });

  it("tells a crawler task's story and retries a failed download through the pipeline", async () => {
    const job = ok<{ job: { id: string } }>(await post('/api/jobs', { name: `${run}-job` })).job;
    const key = `${run}-task`;
    const uri = `http://news.example/toggle/${key}`;
    const receipt = (await post(`/api/jobs/${run}-job/uris`, { uris: [uri] })).json() as { lines: Array<{ taskId: string }> };
    const taskId = receipt.lines[0]!.taskId;
    assert.ok(taskId);
    problem(await post(`/api/tasks/${taskId}/retry`, {}), 409, /not "download failed"/);
    // What the feeder sends for a new task.
    await pipeline.produce([{ id: taskId, type: 3, url: uri, job: job.id, taskId, source: 'crawler_task' }]);
    await pipeline.waitForOutput(taskId);
    await runEnded(`msg-${taskId}`);

    type Story = { task: { status: string; jobName: string }; events: Array<{ event: string; status: string | null; detail: string | null }>; fetches: Array<{ status: string; failedReason: string }>; retryable: boolean };
    const story = await eventually('download failed', async () => {
      const now = ok<Story>(await get(`/api/tasks/${taskId}`));
      return now.task.status === 'download failed' && now.retryable ? now : undefined;
    });
    assert.equal(story.task.jobName, `${run}-job`);
    assert.deepEqual(story.events.map((event) => event.event).slice(0, 2), ['stored', 'fetch_failed']);
    assert.equal(story.events[0]!.status, 'new');
    assert.match(story.fetches[0]!.failedReason, /404/);

    spider.fixToggle(key);
    const retried = ok<{ item: { result: string } }>(await post(`/api/tasks/${taskId}/retry`, {}));
    assert.equal(retried.item.result, 'started');
    const done = await eventually('analysed after the retry', async () => {
      const task = await store.tasks.get(new ObjectId(taskId));
      return task?.status === CrawlerTaskStatus.Analysed ? task : undefined;
    });
    assert.equal(done.status, CrawlerTaskStatus.Analysed);
    const end = await eventually('the retry in the story', async () => {
      const now = ok<Story>(await get(`/api/tasks/${taskId}`));
      return now.events.some((event) => event.event === 'replayed' && event.detail === 'published') ? now : undefined;
    });
    assert.deepEqual(end.fetches.map((fetch) => fetch.status).sort(), ['failed', 'succeeded']);
    assert.equal(end.retryable, false);
    problem(await get(`/api/tasks/${new ObjectId().toHexString()}`), 404, /no crawler task/);
    problem(await get('/api/tasks/123'), 400, /^params\.id "123": not an id/, 'params.id');
  });
});
