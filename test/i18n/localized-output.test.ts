import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObjectId } from 'mongodb';
import type { AlertDocument } from '../../store/alert-repository';
import { formatDigestMail, formatRecoveryMail } from '../../domain/alerts/digest-mail';
import { ConfigError, loadConfig } from '../../infra/config/config';
import { message } from '../../infra/i18n/i18n';
import { IngestInputError, InputProblem } from '../../domain/ingest/errors';
import { validateUri } from '../../domain/uris/validate';
import { HttpProblem, toErrorReply } from '../../processes/web/errors';
import { receiptView } from '../../processes/web/views';
import { testLogger } from '../../support/stack';

const alert = (kind: AlertDocument['kind'], summary: string, summaryMessage?: AlertDocument['summaryMessage']): AlertDocument => ({
  _id: new ObjectId(),
  kind,
  summary,
  ...(summaryMessage ? { summaryMessage } : {}),
  status: 'pending',
  createdAt: new Date('2026-12-02T10:00:00Z'),
  workflowId: 'msg-m1',
  job: 'news',
});

describe('alert mails by ALERT_MAIL_LOCALE', () => {
  const alerts = [
    alert('fetch_failed', 'fetch failed (HttpClientError): 404', message('mail.alert.failure', { step: 'fetch', type: 'HttpClientError', error: '404' })),
    alert('fetch_failed', 'fetch failed (NotHtml): pdf', message('mail.alert.failure', { step: 'fetch', type: 'NotHtml', error: 'pdf' })),
    alert('generator_no_uris', 'an alert from before summaries had messages'),
  ];
  const options = { subjectPrefix: '[crawlflow] failures', workflowUrl: (id: string) => `http://ui/${id}` };

  it('is English by default, as before', () => {
    const mail = formatDigestMail(alerts, options);
    assert.equal(mail.subject, '[crawlflow] failures: 3 alerts (2 fetch_failed, 1 generator_no_uris)');
    assert.match(mail.text, /^crawlflow recorded 3 failure alert\(s\) since the last digest\.\n\n== fetch_failed \(2\)\n- 2026-12-02T10:00:00.000Z fetch failed \(HttpClientError\): 404\n {2}job: news\n {2}run: http:\/\/ui\/msg-m1/);
    assert.equal(formatDigestMail(alerts.slice(0, 1), options).subject, '[crawlflow] failures: 1 alert (1 fetch_failed)');
    assert.equal(formatRecoveryMail({ subjectPrefix: 'x' }).subject, 'x: recovered — no new failures');
  });

  it('is Chinese with ALERT_MAIL_LOCALE=zh-CN; an old alert keeps its words', () => {
    const config = loadConfig({ ALERT_MAIL_LOCALE: 'zh-CN' });
    assert.equal(config.alerts.mailLocale, 'zh-CN');
    const mail = formatDigestMail(alerts, { ...options, locale: config.alerts.mailLocale });
    assert.equal(mail.subject, '[crawlflow] failures：3 条告警（抓取失败 2，生成器没有新 URI 1）');
    assert.match(mail.text, /^自上次汇总以来，crawlflow 记录了 3 条失败告警。/);
    assert.match(mail.text, /== 抓取失败（2）\n- 2026-12-02T10:00:00.000Z fetch 失败（HttpClientError）：404\n {2}任务组：news\n {2}运行：http:\/\/ui\/msg-m1/);
    assert.match(mail.text, /an alert from before summaries had messages/);
    const recovery = formatRecoveryMail({ subjectPrefix: 'x', since: new Date('2026-12-02T10:00:00Z'), locale: 'zh-CN' });
    assert.equal(recovery.subject, 'x：已恢复 — 没有新的失败');
    assert.match(recovery.text, /（2026-12-02T10:00:00.000Z）以来/);
  });

  it('refuses a language it does not have, naming the variable', () => {
    assert.equal(loadConfig({ ALERT_MAIL_LOCALE: 'zh' }).alerts.mailLocale, 'zh-CN');
    assert.throws(() => loadConfig({ ALERT_MAIL_LOCALE: 'fr' }), (error: unknown) => error instanceof ConfigError && /ALERT_MAIL_LOCALE/.test(error.message) && /en, zh-CN/.test(error.message));
  });
});

describe('API errors and receipts in the reader’s locale', () => {
  const logger = testLogger(loadConfig({}));

  it('says an error in the locale asked for, English in the log', () => {
    const error = new IngestInputError(InputProblem.JobDisabled, message('errors.job_disabled', { job: '<b>news</b>' }));
    assert.equal(error.message, 'job "<b>news</b>" is disabled');
    assert.deepEqual(toErrorReply(error, logger, 'zh-CN'), { status: 409, body: { error: 'job_disabled', message: '任务组 "<b>news</b>" 已下线' } });
    assert.deepEqual(toErrorReply(new HttpProblem(404, 'unknown_job', message('errors.unknown_job', { job: 'x' })), logger, 'en').body, { error: 'unknown_job', message: 'no job named "x"' });
    assert.equal(toErrorReply(new Error('boom'), { ...logger, error: () => undefined } as never, 'zh-CN').body.message, '内部错误，请查看服务器日志');
  });

  it('says a receipt line’s reason in the reader’s locale and keeps the message beside it', () => {
    const rejected = validateUri('https://example.com/a\u00A0b', { allowedSchemes: ['http', 'https'] });
    assert.ok(!rejected.ok);
    assert.equal(rejected.reason, 'contains whitespace (a no-break space, U+00A0) at character 22: one URI per line, spaces percent-encoded as %20');
    const receipt = {
      lines: [{ line: 1, input: 'x', outcome: 'invalid' as const, code: rejected.code, reason: rejected.reason, reasonMessage: rejected.reasonMessage }],
      error: null,
    };
    const shown = receiptView(receipt as never, 'zh-CN');
    assert.equal(shown.lines[0]!.reason, '第 22 个字符是空白字符（不换行空格，U+00A0）：每行一个 URI，空格请写成 %20');
    assert.deepEqual(shown.lines[0]!.reasonMessage, rejected.reasonMessage);
  });
});
