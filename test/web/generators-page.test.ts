import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ObjectId } from 'mongodb';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createIngestService } from '../../domain/ingest/service';
import { ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { createGeneratorConsole } from '../../starters/generator-console';
import { syncAllGeneratorSchedules, syncGeneratorSchedule } from '../../starters/generator-schedules';
import { buildWebServer } from '../../processes/web/server';
import { startGeneratorHarness, type GeneratorHarness } from '../../support/generator-harness';
import { eventually } from '../../support/eventually';
import { requireStack } from '../../support/stack';
import { screenshotFolder } from '../../support/screenshots';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'generators-page-token';
/** Screenshots of the generators section (support/screenshots.ts says where). */
const IMG = screenshotFolder('generators');
/** A name and output that would run script if the page ever parsed them as HTML. */
const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">\u202egen';
const SCRIPT = [
  'import sys',
  'print("https://example.com/page-test")',
  'print("<script>window.__pwned=2</script>")',
  'print("javascript:window.__pwned=3")',
  'sys.stderr.write("<img src=y onerror=\\"window.__pwned=4\\"> warning\\n")',
].join('\n');
const FAILING = 'import sys\nsys.stderr.write("<b>broken</b> \\u202e on purpose\\n")\nsys.exit(4)\n';

describe('the generators section of the page in headless Chromium (real Temporal, sandbox and store)', () => {
  let h: GeneratorHarness;
  let app: FastifyInstance;
  let browser: BrowserContext;
  let page: Page;
  let base: string;
  const profile = mkdtempSync(join(tmpdir(), 'crawlflow-chromium-gen-'));
  const files = mkdtempSync(join(tmpdir(), 'crawlflow-gen-files-'));
  const pwned = () => page.evaluate('window.__pwned');
  const notice = (text: RegExp) => page.locator('#generator-notice').filter({ hasText: text }).waitFor({ timeout: 60_000 });

  before(async () => {
    await requireStack();
    h = await startGeneratorHarness();
    await ensureIndexes(h.mongo.db);
    const scheduleDeps = { client: h.temporal, config: h.config, store: h.store, logger: h.logger };
    const ingest = createIngestService({ store: h.store, config: h.config, logger: h.logger, onGeneratorCreated: async (generator) => void (await syncGeneratorSchedule(scheduleDeps, generator.id)) });
    const generators = createGeneratorConsole({ temporal: async () => h.temporal, config: h.config, store: h.store, logger: h.logger });
    app = await buildWebServer({ config: h.config, store: h.store, ingest, logger: h.logger, token: TOKEN, generators });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, headless: true, viewport: { width: 1280, height: 1600 }, locale: 'en-US' });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('dialog', (dialog) => void dialog.accept());
    writeFileSync(join(files, 'gen.py'), SCRIPT);
    writeFileSync(join(files, 'broken.py'), FAILING);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await h.mongo.db.collection(Collection.CrawlerTaskGenerator).deleteMany({});
    await syncAllGeneratorSchedules({ client: h.temporal, config: h.config, store: h.store, logger: h.logger });
    await h.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  it('offers a test before the first scheduled run of a new upload; the report shows every line as text', async () => {
    await page.goto(`${base}/#token=${TOKEN}`);
    await page.locator('#job-status').filter({ hasText: 'on' }).waitFor();
    await page.setInputFiles('#script', join(files, 'gen.py'));
    await page.fill('#script-form input[name=cron]', '0 3 1 1 *');
    await page.fill('#script-form input[name=name]', HOSTILE_NAME);
    await page.click('#upload-script');
    await page.locator('#test-offer').filter({ hasText: /Test it before its first scheduled run \(.+\)\?/ }).waitFor();
    await page.click('#test-offer-button');
    await page.locator('#test-report .verdict').filter({ hasText: 'PASSED' }).waitFor({ timeout: 60_000 });
    assert.match(await page.textContent('#test-report .verdict') ?? '', /PASSED: 3 printed, 1 new, 0 duplicate, 2 invalid — revision 1/);
    const rows = await page.locator('#test-lines tbody tr').allTextContents();
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /^1newhttps:\/\/example\.com\/page-testhttps:\/\/example\.com\/page-test$/);
    assert.match(rows[1]!, /^2invalid<script>window\.__pwned=2<\/script>/);
    assert.match(rows[2]!, /^3invalidjavascript:window\.__pwned=3/);
    assert.match(await page.textContent('#test-report pre.stderr') ?? '', /<img src=y onerror="window\.__pwned=4"> warning/);
    assert.match(await page.textContent('#test-report') ?? '', /Nothing was stored\. Status now: alpha\./);
    assert.equal(await page.locator('#generators-console img, #generators-console script').count(), 0, 'no markup from the data became elements');
    assert.equal(await page.locator('#test-report a[href^="javascript"]').count(), 0);
    assert.equal(await pwned(), undefined);
    assert.match(await page.locator('#generators tbody tr').first().textContent() ?? '', new RegExp(`^${escape(HOSTILE_NAME.replace('\u202e', '⟦U+202E⟧'))}python0 3 1 1 \\*medium`));
    assert.equal(await h.mongo.db.collection(Collection.CrawlerTask).countDocuments({}), 0, 'the test stored no task');
    await page.locator('#generators-section').screenshot({ path: join(IMG, 'generators-test-en.png') });
  });

  it('edits settings and promotes, pauses with a reason and resumes, runs now, replaces the code, filters failed runs, deletes', async () => {
    await page.fill('#generator-edit input[name=cron]', '15 4 2 2 *');
    await page.selectOption('#generator-edit select[name=priority]', 'low');
    await page.selectOption('#generator-edit select[name=status]', 'beta');
    await page.click('#generator-edit button[type=submit]');
    await notice(/Saved; the schedule follows\./);
    const row = page.locator('#generators tbody tr').first();
    assert.match(await row.textContent() ?? '', /15 4 2 2 \*lowbeta1scheduled, next /);

    await page.selectOption('#generator-edit select[name=status]', 'test failed');
    await page.click('#generator-edit button[type=submit]');
    await page.locator('#generator-notice.error').filter({ hasText: 'set by a failed test run' }).waitFor();

    await page.fill('#pause-reason', 'vendor <b>outage</b>');
    await page.click('#generator-pause');
    await notice(/Schedule paused\./);
    assert.match(await row.textContent() ?? '', /paused by an operator: vendor <b>outage<\/b>/);
    await page.click('#generator-resume');
    await notice(/Schedule resumed\./);

    await page.click('#generator-run');
    await notice(/Run started:/);
    const generatorId = await row.getAttribute('data-generator');
    assert.ok(generatorId);
    const runLogs = async (count: number) =>
      eventually(`${count} run logs`, async () => (await h.mongo.db.collection(Collection.CrawlerGeneratorLog).countDocuments({})) >= count, { timeoutMs: 60_000 });
    await runLogs(1);

    await page.setInputFiles('#generator-code input[type=file]', join(files, 'broken.py'));
    await page.click('#generator-code button[type=submit]');
    await notice(/Revision 2 is now the code/);
    await page.click('#generator-run');
    await notice(/Run started:/);
    await runLogs(2);
    await page.check('#runs-failed-only');
    await page.locator('#generator-runs tbody tr').filter({ hasText: 'failed' }).waitFor();
    const failedRows = await page.locator('#generator-runs tbody tr').allTextContents();
    assert.equal(failedRows.length, 1);
    assert.match(failedRows[0]!, /by hand2failed\d+ ms0 \/ 0 \/ 0 \/ 0exit/);
    assert.match(await page.textContent('#generator-runs pre.stderr') ?? '', /<b>broken<\/b> ⟦U\+202E⟧ on purpose/);
    assert.match(await page.locator('#generator-runs a').first().getAttribute('href') ?? '', /^http:\/\/.*\/workflows\/.*-manual-\d+\//);
    await page.uncheck('#runs-failed-only');
    await eventually('both runs listed', async () => (await page.locator('#generator-runs tbody tr').count()) === 2);
    assert.equal(await pwned(), undefined);
    await page.locator('#generators-section').screenshot({ path: join(IMG, 'generators-runs-en.png') });

    // 中文: the same section after the language switch.
    await page.selectOption('#locale-select', 'zh-CN');
    await page.locator('#generators thead').filter({ hasText: '调度' }).waitFor();
    await page.locator('#generators tbody tr').first().locator('button.manage').filter({ hasText: '管理' }).waitFor();
    assert.match(await row.textContent() ?? '', /已调度，下次 /);
    await page.click('#generator-test');
    await page.locator('#test-report .verdict').filter({ hasText: '失败' }).waitFor({ timeout: 60_000 });
    assert.match(await page.textContent('#test-report') ?? '', /未存储任何内容。当前状态：测试失败。/);
    assert.match(await row.textContent() ?? '', /测试失败/);
    assert.match(await row.textContent() ?? '', /已暂停（crawlflow）/);
    assert.equal(await page.locator('#generator-runs tbody tr').count(), 2, 'the runs stay listed after an action');
    assert.match(await page.textContent('#generator-runs tbody') ?? '', /手动/);
    await page.locator('#generators-section').screenshot({ path: join(IMG, 'generators-test-zh-CN.png') });

    await page.click('#generator-delete');
    await page.locator('#generator-notice').filter({ hasText: '已删除' }).waitFor();
    assert.equal(await h.store.generators.get(new ObjectId(generatorId)), null);
    assert.equal(await h.mongo.db.collection(Collection.CrawlerGeneratorLog).countDocuments({}), 2, 'its run logs stay');
    await page.locator('#generators tbody').filter({ hasText: '此任务没有生成器' }).waitFor();
    await page.selectOption('#locale-select', 'en');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
