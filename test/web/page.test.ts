import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createIngestService } from '../../domain/ingest/service';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { createStore } from '../../store/store';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { createGeneratorConsole } from '../../starters/generator-console';
import { buildWebServer } from '../../processes/web/server';
import { FIXTURES } from '../ingest/support';
import { requireStack, testConfig, testLogger } from '../../support/stack';

// Debian's chromium, driven by playwright-core: no browser download.
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'page-test-token';
const SCREENSHOT = process.env.CRAWLFLOW_SCREENSHOT ?? join(tmpdir(), 'crawlflow-web-page.png');

describe('the web page in headless Chromium', () => {
  const config = testConfig({ TEMPORAL_UI_URL: 'http://127.0.0.1:8233' });
  let mongo: MongoHandle;
  let app: FastifyInstance;
  let temporal: Awaited<ReturnType<typeof connectTemporalClient>> | undefined;
  let browser: BrowserContext;
  let page: Page;
  let base: string;
  const profile = mkdtempSync(join(tmpdir(), 'crawlflow-chromium-'));

  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
    await ensureIndexes(mongo.db);
    const store = createStore(mongo.db);
    await store.jobs.create({ name: 'news', info: 'news sites', customer: 'acme' });
    const logger = testLogger(config);
    temporal = await connectTemporalClient(config.temporal);
    const client = temporal;
    const generators = createGeneratorConsole({ temporal: async () => client, config, store, logger });
    app = await buildWebServer({ config, store, ingest: createIngestService({ store, config, logger }), logger, token: TOKEN, generators });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
    // A fresh profile (--user-data-dir) per run: playwright takes it as the persistent context's directory.
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, headless: true, viewport: { width: 1280, height: 1400 } });
    page = browser.pages()[0] ?? (await browser.newPage());
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    if (temporal) await closeTemporalClient(temporal);
    await mongo.db.dropDatabase();
    await mongo.client.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('asks for the token once, then shows the job', async () => {
    await page.goto(base);
    await page.locator('#token-dialog').waitFor({ state: 'visible' });
    await page.fill('#token-input', 'wrong');
    await page.click('#token-form button[type=submit]');
    await page.locator('#token-error').filter({ hasText: 'access token' }).waitFor();
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator('#job-status').filter({ hasText: 'on' }).waitFor();
    assert.equal(await page.inputValue('#job-select'), 'news');
    assert.match(await page.textContent('#job-info') ?? '', /news sites · customer: acme/);
    await page.reload();
    await page.locator('#job-status').filter({ hasText: 'on' }).waitFor();
    assert.equal(await page.locator('#token-dialog').isVisible(), false, 'the token is remembered');
  });

  it('takes pasted URIs and shows the receipt, line by line', async () => {
    await page.fill('#uris', ['https://example.com/a', 'HTTPS://EXAMPLE.com:443/a', 'not a uri', 'https://例子.测试/'].join('\n'));
    await page.click('#submit-uris');
    await page.locator('#receipt .count.accepted').filter({ hasText: '2 accepted' }).waitFor();
    const rows = await page.locator('#receipt tbody tr').allTextContents();
    assert.equal(rows.length, 4);
    assert.match(rows[1]!, /^2duplicatehttps:\/\/example\.com\/aduplicate of task [0-9a-f]{24}$/);
    assert.match(rows[2]!, /^3invalidnot a uricontains whitespace/);
    assert.match(rows[3]!, /xn--fsqu00a\.xn--0zwm56d/);
    await page.locator('#receipt-section').screenshot({ path: SCREENSHOT.replace(/\.png$/, '-receipt.png') });
  });

  it('uploads a CSV with progress and a generator script', async () => {
    await page.setInputFiles('#file', join(FIXTURES, 'uris.csv'));
    await page.fill('#file-form input[name=column]', 'url');
    await page.click('#upload-file');
    await page.locator('#file-progress-text').filter({ hasText: 'done' }).waitFor();
    await page.locator('#receipt').filter({ hasText: 'uris.csv' }).waitFor();
    assert.match(await page.textContent('#receipt .count.accepted') ?? '', /2 accepted/);

    await page.setInputFiles('#script', join(FIXTURES, 'generator.sh'));
    await page.fill('#script-form input[name=cron]', '0 3 * * *');
    await page.selectOption('#script-form select[name=priority]', 'high');
    await page.click('#upload-script');
    await page.locator('#receipt').filter({ hasText: 'Stored generator' }).waitFor();
    assert.match(await page.textContent('#receipt') ?? '', /generator \(shell, cron 0 3 \* \* \*, priority high, status alpha\)/);
    await page.locator('#generators tbody').filter({ hasText: 'generator' }).waitFor();
    assert.equal(await mongo.db.collection(Collection.CrawlerTaskGenerator).countDocuments({ cron: '0 3 * * *' }), 1);
  });

  it('lists the tasks by status with links to their runs, and the error log', async () => {
    await page.locator('#tasks tbody').filter({ hasText: 'https://example.com/b?x=1' }).waitFor();
    const chips = await page.locator('#status-filter .chip').allTextContents();
    assert.ok(chips.includes('all 4') && chips.includes('new 4'), chips.join(' | '));
    const href = await page.locator('#tasks tbody tr a').first().getAttribute('href');
    assert.match(href ?? '', /^http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/msg-[0-9a-f]{24}$/);
    await page.locator('#logs tbody').filter({ hasText: 'duplicate of task' }).waitFor();
    assert.match(await page.textContent('#logs tbody') ?? '', /scheme "javascript" is not allowed/);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
