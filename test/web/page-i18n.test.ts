import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createIngestService } from '../../domain/ingest/service';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import { GeneratorLogStatus } from '../../store/generator-logs';
import { createStore, type Store } from '../../store/store';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { createGeneratorConsole } from '../../starters/generator-console';
import { buildWebServer } from '../../processes/web/server';
import { requireStack, testConfig, testLogger } from '../../support/stack';
import { screenshotFolder } from '../../support/screenshots';

// Debian's chromium, driven by playwright-core: no browser download. fonts-noto-cjk renders the Chinese.
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'i18n-page-test-token';
/** Screenshots of each screen (support/screenshots.ts says where). */
const SHOTS = screenshotFolder('console');

/** Hostile inputs: each must reach the page as text, never as markup, a link or reordered text. */
const HOSTILE = {
  scriptUri: 'https://example.com/<script>window.__pwned=1</script>',
  imgUri: 'https://example.com/"><img/src=x/onerror=window.__pwned=2>',
  javascriptUri: 'javascript:window.__pwned=3',
  bidiUri: 'https://example.com/\u202Egnp.exe',
  job: '<img src=x onerror="window.__pwned=4">',
  info: '<script>window.__pwned=5</script> \u202Eevil',
  scriptName: '<script>window.__pwned=6</script>.sh',
  stderr: '<img src=x onerror="window.__pwned=7"> javascript:alert(1)',
};

describe('the web page in Chinese and English (headless Chromium)', () => {
  const config = testConfig({ TEMPORAL_UI_URL: 'http://127.0.0.1:8233' });
  let mongo: MongoHandle;
  let store: Store;
  let app: FastifyInstance;
  let base: string;
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];

  /** A fresh browser whose Accept-Language is `locale`, signed in, on the hostile job. */
  async function open(locale: string): Promise<Page> {
    const profile = mkdtempSync(join(tmpdir(), 'crawlflow-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, headless: true, locale, viewport: { width: 1280, height: 1500 } });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (dialog) => assert.fail(`a dialog opened: ${dialog.message()}`));
    page.on('pageerror', (error) => assert.fail(`a script error on the page: ${error.message}`));
    return page;
  }
  async function signIn(page: Page): Promise<void> {
    await page.goto(base);
    await page.locator('#token-dialog').waitFor({ state: 'visible' });
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator('#job-status').filter({ hasText: /\S/ }).waitFor();
  }
  async function shot(page: Page, name: string, selector?: string): Promise<void> {
    const path = join(SHOTS, `${name}.png`);
    if (selector) await page.locator(selector).screenshot({ path });
    else await page.screenshot({ path, fullPage: true });
  }
  /** Nothing hostile ran, and no element or link came from the data. */
  async function assertInert(page: Page): Promise<void> {
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined, 'hostile content executed');
    assert.equal(await page.locator('main img, main script').count(), 0, 'no element was made from data');
    for (const href of await page.locator('a[href]').evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''))) {
      assert.match(href, /^(https?:\/\/|#$)/, `a link to ${href}`);
    }
  }

  let temporal: Awaited<ReturnType<typeof connectTemporalClient>> | undefined;
  before(async () => {
    await requireStack();
    mkdirSync(SHOTS, { recursive: true });
    mongo = await connectMongo(config.mongo);
    await ensureIndexes(mongo.db);
    store = createStore(mongo.db);
    const job = await store.jobs.create({ name: HOSTILE.job, info: HOSTILE.info, customer: 'acme' });
    const logger = testLogger(config);
    const ingest = createIngestService({ store, config, logger });
    temporal = await connectTemporalClient(config.temporal);
    const client = temporal;
    const generators = createGeneratorConsole({ temporal: async () => client, config, store, logger });
    app = await buildWebServer({ config, store, ingest, logger, token: TOKEN, generators });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
    // A generator with a hostile name and a failed run whose reason is hostile stderr.
    const { generator } = await ingest.submitScript({ job: HOSTILE.job, bytes: Buffer.from('#!/bin/sh\necho https://example.com/g\n'), filename: 'hostile.sh', name: HOSTILE.scriptName, cron: '0 3 * * *' });
    await store.generatorLogs.record({
      job: job.id,
      generator: generator.id,
      status: GeneratorLogStatus.Failed,
      failedReason: HOSTILE.stderr,
      contentBytes: 10,
      spendMsecs: 12,
      hostname: 'h',
      urisNew: 0,
      urisDuplicate: 0,
      urisInvalid: 0,
      workflowId: 'javascript:alert(1)',
      runId: null,
    });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await app?.close();
    if (temporal) await closeTemporalClient(temporal);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  });

  it('speaks Chinese to a browser that asks for it, with the seed’s status names, and keeps hostile content as text', async () => {
    const page = await open('zh-CN');
    await page.goto(base);
    await page.locator('#token-dialog h2').filter({ hasText: '访问令牌' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.match((await page.textContent('#token-help')) ?? '', /WEB_TOKEN/);
    assert.equal(await page.locator('#token-help code').count(), 2, 'the message’s own tags become elements');
    await shot(page, 'console-token-zh-CN', '#token-dialog');
    await page.fill('#token-input', 'wrong');
    await page.click('#token-form button[type=submit]');
    await page.locator('#token-error').filter({ hasText: '需要有效的访问令牌' }).waitFor();
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator('#job-status').filter({ hasText: '启用' }).waitFor();
    assert.equal(await page.inputValue('#job-select'), HOSTILE.job);
    assert.equal(await page.textContent('#job-toggle'), '下线任务组');
    const info = (await page.textContent('#job-info')) ?? '';
    assert.ok(info.startsWith('<script>window.__pwned=5</script> ⟦U+202E⟧evil'), info);
    assert.match(info, /客户：acme/);

    await page.fill('#uris', ['https://example.com/a', 'https://example.com/a', HOSTILE.scriptUri, HOSTILE.imgUri, HOSTILE.javascriptUri, HOSTILE.bidiUri, 'not a uri'].join('\n'));
    await page.click('#submit-uris');
    await page.locator('#receipt .count.accepted').filter({ hasText: '已接受' }).waitFor();
    const counts = await page.locator('#receipt .count').allTextContents();
    assert.deepEqual(counts.slice(0, 4), ['3 已接受', '1 重复', '3 无效', '0 失败']);
    assert.equal(counts[4], '7 行');
    const rows = await page.locator('#receipt tbody tr').allTextContents();
    assert.match(rows[1]!, /^2重复https:\/\/example\.com\/a与任务 [0-9a-f]{24} 重复$/);
    assert.match(rows[2]!, /已接受https:\/\/example\.com\/%3Cscript%3Ewindow\.__pwned=1%3C\/script%3E任务/);
    assert.match(rows[4]!, /无效javascript:window\.__pwned=3不允许的协议 "javascript"（允许：http, https）/);
    assert.match(rows[5]!, /无效https:\/\/example\.com\/⟦U\+202E⟧gnp\.exe第 21 个字符是不可见的格式字符（U\+202E）/);
    assert.match(rows[6]!, /无效not a uri第 4 个字符是空白字符（空格）/);
    await assertInert(page);
    await shot(page, 'console-receipt-zh-CN', '#receipt-section');

    await page.locator('#status-filter .chip').filter({ hasText: '新增 3' }).waitFor();
    assert.deepEqual(await page.locator('#status-filter .chip').allTextContents(), ['全部 3', '新增 3', '进行中 0', '下载失败 0', '下载成功 0', '分析失败 0', '分析成功 0']);
    assert.match((await page.textContent('#tasks tbody')) ?? '', /新增/);
    await shot(page, 'console-tasks-zh-CN', '#tasks-section');

    await page.locator('#generators tbody').filter({ hasText: HOSTILE.scriptName }).waitFor();
    const generator = (await page.textContent('#generators tbody')) ?? '';
    assert.match(generator, /shell0 3 \* \* \*中alpha/);
    assert.match(generator, /失败，新增 0/);
    await shot(page, 'console-generators-zh-CN', '#generators-section');

    await page.locator('#logs tbody').filter({ hasText: '不允许的协议' }).waitFor();
    const log = (await page.textContent('#logs tbody')) ?? '';
    assert.match(log, /手工输入/);
    assert.match(log, /与任务 [0-9a-f]{24} 重复/);
    assert.match(log, /⟦U\+202E⟧/);
    await assertInert(page);
    await shot(page, 'console-logs-zh-CN', '#logs-section');
    await shot(page, 'console-page-zh-CN');
  });

  it('switches to English on the page, redraws what is shown (the receipt’s reasons too), and remembers the choice', async () => {
    const page = await open('zh-CN');
    await signIn(page);
    await page.fill('#uris', [HOSTILE.javascriptUri, 'https://example.com/b'].join('\n'));
    await page.click('#submit-uris');
    await page.locator('#receipt tbody').filter({ hasText: '不允许的协议' }).waitFor();
    await page.selectOption('#locale-select', 'en');
    await page.locator('#receipt tbody').filter({ hasText: 'scheme "javascript" is not allowed (allowed: http, https)' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.locator('#job-status').filter({ hasText: 'on' }).waitFor();
    assert.equal(await page.textContent('#tasks-section h2'), 'Tasks');
    assert.deepEqual((await page.locator('#receipt .count').allTextContents()).slice(0, 2), ['1 accepted', '0 duplicate']);
    await page.locator('#logs tbody').filter({ hasText: 'scheme "javascript" is not allowed' }).waitFor();
    await page.reload();
    await page.locator('#job-status').filter({ hasText: 'on' }).waitFor();
    assert.equal(await page.inputValue('#locale-select'), 'en', 'the choice is remembered over the browser’s language');
    assert.equal(await page.textContent('#logs-section h2'), 'Logs');
    // A wrong request answered by the server in the page's language.
    await page.selectOption('#locale-select', 'zh-CN');
    await page.locator('#tasks-section h2').filter({ hasText: '爬虫任务' }).waitFor();
    await page.fill('#uris', ' ');
    await page.click('#submit-uris');
    await page.locator('#submit-error').filter({ hasText: '没有提交 URI' }).waitFor();
    await assertInert(page);
  });

  it('speaks English to an English browser, every screen', async () => {
    const page = await open('en-US');
    await page.goto(base);
    await page.locator('#token-dialog h2').filter({ hasText: 'Access token' }).waitFor();
    await shot(page, 'console-token-en', '#token-dialog');
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator('#job-status').filter({ hasText: 'on' }).waitFor();
    assert.equal(await page.inputValue('#locale-select'), 'en');
    assert.equal(await page.locator('#script-priority option:checked').textContent(), 'medium');
    await page.fill('#uris', ['https://example.com/c', HOSTILE.bidiUri].join('\n'));
    await page.click('#submit-uris');
    await page.locator('#receipt .count.accepted').filter({ hasText: '1 accepted' }).waitFor();
    const rows = await page.locator('#receipt tbody tr').allTextContents();
    assert.match(rows[1]!, /invalidhttps:\/\/example\.com\/⟦U\+202E⟧gnp\.execontains an invisible formatting character \(U\+202E\) at character 21/);
    await shot(page, 'console-receipt-en', '#receipt-section');
    await page.locator('#status-filter .chip').filter({ hasText: /^new \d+$/ }).waitFor();
    await shot(page, 'console-tasks-en', '#tasks-section');
    await page.locator('#generators tbody').filter({ hasText: 'failed, 0 new' }).waitFor();
    await shot(page, 'console-generators-en', '#generators-section');
    await page.locator('#logs tbody').filter({ hasText: 'typed by hand' }).waitFor();
    await shot(page, 'console-logs-en', '#logs-section');
    await assertInert(page);
    await shot(page, 'console-page-en');
  });
});
