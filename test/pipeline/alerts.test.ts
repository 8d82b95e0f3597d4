import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAlertRepository } from '../../domain/alerts/alert-repository';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness';
import { freePort, startMailCatcher, type CaughtMail } from '../support/mail-catcher';
import { startSpiderServer, type SpiderServer } from '../support/spider-server';
import { requireStack, uniqueName } from '../support/stack';

describe('alert digests', () => {
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  let smtpPort: number;
  let catcher: Awaited<ReturnType<typeof startMailCatcher>> | undefined;

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    smtpPort = await freePort();
    pipeline = await startPipelineHarness({
      env: {
        SPIDER_API: spider.spiderUrl,
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        ALERT_DIGEST_INTERVAL_SECONDS: '2',
        ALERT_RECIPIENTS: 'oncall@example.com,lead@example.com',
        ALERT_SUBJECT: '[crawlflow-test] failures',
      },
    });
  });
  after(async () => {
    await catcher?.stop();
    await pipeline?.close();
    await spider?.close();
  });

  it('keeps alerts while SMTP is down, mails them as one digest when it is back, then mails recovery', async () => {
    const run = uniqueName('alerts');
    const alerts = createAlertRepository(pipeline.mongo.db);
    // SMTP is down: nothing listens on the configured port.
    await pipeline.produce([
      { id: `${run}-a`, type: 3, url: 'http://news.example/missing' },
      { id: `${run}-b`, type: 3, url: 'http://news.example/pdf' },
    ]);
    await pipeline.waitForOutput(`${run}-a`);
    await pipeline.waitForOutput(`${run}-b`);
    await pipeline.temporal.workflow.getHandle(`msg-${run}-a`).result();
    await pipeline.temporal.workflow.getHandle(`msg-${run}-b`).result();
    // Several digest ticks fail against the dead relay; the alerts stay pending.
    await sleep(5_000);
    assert.equal(await alerts.countPending(), 2, 'both alerts wait durably');

    catcher = await startMailCatcher(smtpPort);
    let digest: CaughtMail | undefined;
    for (let waited = 0; !digest && waited < 60_000; waited += 500) {
      digest = (await catcher.mails()).find((mail) => mail.subject.includes('2 alerts'));
      if (!digest) await sleep(500);
    }
    assert.ok(digest, 'the digest arrived once SMTP was back');
    assert.match(digest.subject, /^\[crawlflow-test\] failures: 2 alerts \(2 fetch_failed\)$/);
    assert.deepEqual(digest.to.map((to) => to.address).sort(), ['lead@example.com', 'oncall@example.com']);
    assert.match(digest.text, /HttpClientError/);
    assert.match(digest.text, /NotHtml/);
    assert.match(digest.text, new RegExp(`msg-${run}-a`));
    assert.equal(await alerts.countPending(), 0);

    let recovery: CaughtMail | undefined;
    for (let waited = 0; !recovery && waited < 30_000; waited += 500) {
      recovery = (await catcher.mails()).find((mail) => mail.subject.includes('recovered'));
      if (!recovery) await sleep(500);
    }
    assert.ok(recovery, 'a recovery mail follows the first quiet window');
    const digests = (await catcher.mails()).filter((mail) => mail.subject.includes('alert'));
    assert.equal(digests.length, 1, 'the two failures were one mail, not two');
  });
});
