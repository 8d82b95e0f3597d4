import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Admin } from 'kafkajs';
import { ObjectId } from 'mongodb';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { FailureStep } from '../../common/pipeline';
import { createIngestService } from '../../domain/ingest/service';
import { createOverview, type OverviewSource } from '../../domain/monitoring/overview';
import { createFailedMessageRepository, type FailedMessageDocument } from '../../store/failed-messages';
import { createStore, type Store } from '../../store/store';
import { replayRecords } from '../../starters/replay';
import { buildWebServer } from '../../processes/web/server';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'failures-page-token';
/** Where the screenshots go (docs/img when refreshing the docs). */
const SHOTS = process.env.CRAWLFLOW_SCREENSHOT_DIR ?? tmpdir();
const HOSTILE = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><a href="javascript:window.__pwned=3">click</a>\u202Eexe.txt\u0000`;

/** The failures console in real Chromium, both languages, on the real pipeline. */
describe('the failures console in headless Chromium (real pipeline, en and zh-CN)', () => {
  const run = uniqueName('wfp');
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  let store: Store;
  let overview: OverviewSource;
  let admin: Admin;
  let app: FastifyInstance;
  let browser: BrowserContext;
  let page: Page;
  let base: string;
  let taskId: string;
  const profile = mkdtempSync(join(tmpdir(), 'crawlflow-chromium-'));

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    pipeline = await startPipelineHarness({ env: { SPIDER_API: spider.spiderUrl, SPIDER_TIMEOUT_SECONDS: '2', TEMPORAL_UI_URL: 'http://127.0.0.1:8233' } });
    const { config, logger, temporal, mongo } = pipeline;
    store = createStore(mongo.db);
    const failedMessages = createFailedMessageRepository(mongo.db);
    admin = pipeline.kafka.admin();
    await admin.connect();
    overview = createOverview({ config, db: mongo.db, kafkaAdmin: async () => admin, temporal: async () => temporal }, { sampleEveryMs: 1000, cacheMs: 500 });
    await overview.start();
    app = await buildWebServer({
      config,
      store,
      ingest: createIngestService({ store, config, logger }),
      logger,
      token: TOKEN,
      overview,
      failures: { failedMessages, replay: (records: readonly FailedMessageDocument[]) => replayRecords({ client: temporal, config, failedMessages }, records) },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;

    // A failed download of a crawler task, a failed link message, hostile bytes on the topic.
    const job = await store.jobs.create({ name: `${run}-job` });
    const uri = `http://news.example/toggle/${run}-task`;
    const receipt = await createIngestService({ store, config, logger }).submitUris({ job: job.name, uris: [uri] });
    taskId = receipt.lines[0]!.taskId!;
    await pipeline.produce([
      { id: taskId, type: 3, url: uri, job: job.id.toHexString(), taskId, source: 'crawler_task' },
      { id: `${run}-msg`, type: 3, url: `http://news.example/toggle/${run}-msg` },
      Buffer.from(HOSTILE, 'utf8'),
    ]);
    await pipeline.waitForOutputs(2);
    await pipeline.waitForDeadLetters(1);
    for (const id of [taskId, `${run}-msg`]) await temporal.workflow.getHandle(`msg-${id}`).result();
    // A failure whose reason and message carry markup, as a hostile upstream could make them.
    await mongo.db.collection(FAILED_MESSAGE).insertOne({
      _id: new ObjectId(),
      workflowId: `msg-${run}-hostile`,
      step: FailureStep.Publish,
      errorType: '<img src=x onerror="window.__pwned=4">',
      error: HOSTILE,
      envelope: { summary: { messageId: '<b>id</b>', url: 'javascript:window.__pwned=5', source: 'kafka' }, body: { inline: '{}' }, origin: { kind: 'kafka', topic: 't', partition: 0, offset: '0' } },
      status: 'replayed',
      failedAt: new Date(),
      replays: [],
    });

    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, headless: true, viewport: { width: 1280, height: 1600 } });
    page = browser.pages()[0] ?? (await browser.newPage());
  });
  after(async () => {
    overview?.stop();
    await browser?.close();
    await app?.close();
    await admin?.disconnect();
    await pipeline?.mongo.db.dropDatabase();
    await pipeline?.close();
    await spider?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  const FAILED_MESSAGE = 'failed_message';
  // Expressions evaluated in the page (strings: this file is compiled without the DOM's types).
  const pwned = () => page.evaluate<number>('window.__pwned ?? 0');
  const injected = () => page.evaluate<number>(`document.querySelectorAll('main script, main img, #failures a[href^="javascript"], #dead-letters a').length`);

  it('shows the overview with its chart, the failures and the dead letters, hostile content as text', async () => {
    await page.goto(`${base}/#token=${TOKEN}`);
    await page.evaluate(`localStorage.setItem('crawlflow-locale', 'en')`);
    await page.reload();
    await page.locator('#overview-chart canvas').first().waitFor();
    await page.locator('#overview-tiles .tile').filter({ hasText: 'Failures (last 60 min)' }).filter({ hasText: /\d+ failures/ }).waitFor({ timeout: 30_000 });
    await page.locator('#overview-tiles').filter({ hasText: /Messages per minute\s*in [\d.]+, out [\d.]+/ }).waitFor({ timeout: 30_000 });
    await page.locator('#overview-queues tr[data-queue=io] td:nth-child(2)').filter({ hasText: /^[1-9]\d*$/ }).waitFor();
    assert.match(await page.textContent('#overview-queues tr[data-queue=sandbox]') ?? '', /no worker/);

    await page.locator('#failures tbody tr[data-failure]').nth(2).waitFor();
    const text = await page.textContent('#failures tbody') ?? '';
    assert.ok(text.includes('<script>window.__pwned = 1</script>'), 'the reason is shown as it is');
    assert.ok(text.includes('<img src=x onerror="window.__pwned=4">'));
    assert.ok(text.includes('javascript:window.__pwned=5'), 'a javascript: URL is text, not a link');
    await page.locator('#dead-letters tbody pre.bytes').first().waitFor();
    const preview = await page.textContent('#dead-letters tbody pre.bytes') ?? '';
    assert.ok(preview.includes('<script>window.__pwned = 1</script>') && preview.includes('⟨U+202E⟩exe.txt⟨U+0000⟩'), preview);
    assert.match(await page.textContent('#dead-letters tbody') ?? '', /invalid_json.*2 invisible or control characters/s);
    assert.equal(await injected(), 0, 'no element came from the data');
    assert.equal(await pwned(), 0, 'nothing from the data ran');
    await page.locator('#overview-section').screenshot({ path: join(SHOTS, 'console-overview-en.png') });
    await page.locator('#failures-section').screenshot({ path: join(SHOTS, 'console-failures-en.png') });
    await page.locator('#dead-letters-section').screenshot({ path: join(SHOTS, 'console-dead-letters-en.png') });
  });

  it('replays the selected failure and shows its outcome when it ends; "all matching" confirms the count', async () => {
    spider.fixToggle(`${run}-msg`);
    const row = page.locator(`#failures tr[data-failure]`).filter({ hasText: `${run}-msg` });
    await row.locator('input[type=checkbox]').check();
    await page.locator('#failures-replay-selected').filter({ hasText: 'Replay selected (1)' }).click();
    await page.locator('#failures-result').filter({ hasText: '1 replay started of 1 matching' }).waitFor();
    await page.locator(`#failures tr[data-failure]`).filter({ hasText: `${run}-msg` }).locator('.replays').filter({ hasText: 'published' }).waitFor({ timeout: 60_000 });

    // Only the task's failure is left waiting; the page's own dialog names the count.
    await page.selectOption('#failures-step', 'fetch');
    await page.click('#failures-filter button[type=submit]');
    await page.click('#failures-replay-all');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#confirm-text'), 'Replay 1 failed message matching this filter?');
    await page.click('#confirm-cancel');
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    assert.equal(await pwned(), 0);
  });

  it("tells a task's story and retries its download", async () => {
    await page.selectOption('#job-select', `${run}-job`);
    await page.locator('#tasks tbody button.story').first().click();
    await page.locator('#task-story').filter({ hasText: 'download failed' }).waitFor();
    assert.deepEqual(await page.locator('#task-events tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event'))).then((events) => events.slice(0, 2)), ['stored', 'fetch_failed']);
    await page.locator('#task-story-section').screenshot({ path: join(SHOTS, 'console-task-en.png') });
    spider.fixToggle(`${run}-task`);
    await page.click('#task-retry');
    await page.locator('#task-note').filter({ hasText: 'Retry: started' }).waitFor();
    await page.locator('#task-events tr[data-event=replayed]').filter({ hasText: 'published' }).waitFor({ timeout: 60_000 });
    await page.locator('#task-story').filter({ hasText: 'analysed' }).waitFor({ timeout: 30_000 });
  });

  it('speaks Chinese after the switch, hostile content still text', async () => {
    await page.selectOption('#locale-select', 'zh-CN');
    await page.locator('#failures-section h2').filter({ hasText: '失败的消息' }).waitFor();
    await page.locator('#overview-section h2').filter({ hasText: '总览' }).waitFor();
    await page.locator('#overview-tiles').filter({ hasText: '每分钟消息数' }).waitFor();
    await page.locator('#failures tbody').filter({ hasText: '抓取' }).waitFor();
    await page.locator('#task-story').filter({ hasText: '分析成功' }).waitFor();
    await page.locator('#dead-letters tbody').filter({ hasText: /2 个不可见或控制字符/ }).waitFor();
    await page.selectOption('#failures-step', '');
    await page.click('#failures-filter button[type=submit]');
    // The unfiltered list (all steps) has the hostile publish failure again, as text.
    await page.locator('#failures tbody tr[data-failure]').filter({ hasText: '<script>window.__pwned = 1</script>' }).filter({ hasText: '发布' }).waitFor();
    await page.locator('#failures tbody').filter({ hasText: '已重放' }).waitFor();
    await page.click('#failures-replay-all');
    await page.locator('#failures-result').filter({ hasText: '没有符合此筛选条件、等待重放的失败消息。' }).waitFor();
    assert.equal(await injected(), 0);
    assert.equal(await pwned(), 0);
    await page.locator('#overview-section').screenshot({ path: join(SHOTS, 'console-overview-zh.png') });
    await page.locator('#failures-section').screenshot({ path: join(SHOTS, 'console-failures-zh.png') });
    await page.locator('#dead-letters-section').screenshot({ path: join(SHOTS, 'console-dead-letters-zh.png') });
    await page.locator('#task-story-section').screenshot({ path: join(SHOTS, 'console-task-zh.png') });
  });
});
