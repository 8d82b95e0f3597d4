import { format, translate, type Locale } from '../../infra/i18n/i18n';
import type { AlertDocument } from '../../store/alert-repository';

export interface DigestMail {
  subject: string;
  text: string;
}

/**
 * One plain-text mail for a batch of alerts, in `locale` (ALERT_MAIL_LOCALE): counts per kind
 * first, then each alert with a link to its run in the Temporal Web UI. An alert's summary is
 * said in the mail's language when it carries a summary message; older ones keep their words.
 */
export function formatDigestMail(
  alerts: AlertDocument[],
  options: { subjectPrefix: string; workflowUrl: (workflowId: string) => string; locale?: Locale },
): DigestMail {
  const locale = options.locale ?? 'en';
  const byKind = new Map<string, AlertDocument[]>();
  for (const alert of alerts) byKind.set(alert.kind, [...(byKind.get(alert.kind) ?? []), alert]);
  const kind = (name: string) => format(locale, 'mail.kind', { kind: name });
  const counts = [...byKind.entries()]
    .map(([name, items]) => format(locale, 'mail.digest.kind_count', { count: items.length, kind: kind(name) }))
    .join(format(locale, 'mail.list_separator'));
  const sections = [...byKind.entries()].map(([name, items]) =>
    [
      format(locale, 'mail.digest.section', { kind: kind(name), count: items.length }),
      ...items.map((alert) =>
        [
          `- ${alert.createdAt.toISOString()} ${alert.summaryMessage ? translate(locale, alert.summaryMessage) : alert.summary}`,
          alert.job ? `  ${format(locale, 'mail.digest.job', { job: alert.job })}` : undefined,
          alert.workflowId ? `  ${format(locale, 'mail.digest.run', { url: options.workflowUrl(alert.workflowId) })}` : undefined,
          alert.detail ? `  ${format(locale, 'mail.digest.detail', { detail: JSON.stringify(alert.detail) })}` : undefined,
        ]
          .filter((line): line is string => line !== undefined)
          .join('\n'),
      ),
    ].join('\n'),
  );
  return {
    subject: format(locale, 'mail.digest.subject', { prefix: options.subjectPrefix, count: alerts.length, kinds: counts }),
    text: [format(locale, 'mail.digest.intro', { count: alerts.length }), '', ...sections, ''].join('\n'),
  };
}

/** The mail for the first quiet window after failures. */
export function formatRecoveryMail(options: { subjectPrefix: string; since?: Date; locale?: Locale }): DigestMail {
  const locale = options.locale ?? 'en';
  return {
    subject: format(locale, 'mail.recovery.subject', { prefix: options.subjectPrefix }),
    text: [format(locale, 'mail.recovery.text', { since: options.since ? options.since.toISOString() : '', known: options.since ? 'yes' : 'no' }), ''].join('\n'),
  };
}
