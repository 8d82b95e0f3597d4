import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAlertRepository } from '../../store/alert-repository';
import { alertDigestScheduleId } from '../../domain/alerts/digest-trigger';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { freePort, startMailCatcher } from '../../support/mail-catcher';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

/** True once a running digest of this pipeline has an attempt that failed (its mail was refused). */
async function digestAttemptFailed(pipeline: PipelineHarness): Promise<boolean> {
  const schedule = await pipeline.temporal.schedule.getHandle(alertDigestScheduleId(pipeline.config.temporal.prefix)).describe();
  for (const action of schedule.info.runningActions) {
    const { raw } = await pipeline.temporal.workflow.getHandle(action.workflow.workflowId).describe();
    if (raw.pendingActivities?.some((activity) => activity.lastFailure)) return true;
  }
  return false;
}

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
    // A digest tries the dead relay and fails; the alerts stay pending.
    await eventually('a digest attempt to fail against the dead relay', () => digestAttemptFailed(pipeline));
    assert.equal(await alerts.countPending(), 2, 'both alerts wait durably');

    const smtp = await startMailCatcher(smtpPort);
    catcher = smtp;
    const digest = await eventually(
      'the digest once SMTP is back',
      async () => (await smtp.mails()).find((mail) => mail.subject.includes('2 alerts')),
      { timeoutMs: 60_000 },
    );
    assert.match(digest.subject, /^\[crawlflow-test\] failures: 2 alerts \(2 fetch_failed\)$/);
    assert.deepEqual(digest.to.map((to) => to.address).sort(), ['lead@example.com', 'oncall@example.com']);
    assert.match(digest.text, /HttpClientError/);
    assert.match(digest.text, /NotHtml/);
    assert.match(digest.text, new RegExp(`msg-${run}-a`));
    assert.equal(await alerts.countPending(), 0);

    await eventually('a recovery mail after the first quiet window', async () => (await smtp.mails()).find((mail) => mail.subject.includes('recovered')));
    const digests = (await smtp.mails()).filter((mail) => mail.subject.includes('alert'));
    assert.equal(digests.length, 1, 'the two failures were one mail, not two');
  });
});
