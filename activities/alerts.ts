import type { Locale } from '../infra/i18n/i18n';
import { activityInfo } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type { AlertRepository, NewAlert } from '../store/alert-repository';
import type { Alerting } from '../domain/alerts/alerting';
import { formatDigestMail, formatRecoveryMail } from '../domain/alerts/digest-mail';
import type { CrawlflowMetrics } from '../infra/metrics/metrics';

export interface AlertActivityDeps {
  alerts: Pick<AlertRepository, 'pending' | 'markSent' | 'digestState' | 'saveDigestState'>;
  alerting: Pick<Alerting, 'raise'>;
  mailer: Pick<Transporter, 'sendMail'>;
  mail: { from: string; recipients: string[]; subjectPrefix: string; locale?: Locale };
  workflowUrl: (workflowId: string) => string;
  /** Most alerts mailed in one digest; the rest wait for the next. @default 200 */
  maxAlertsPerDigest?: number;
  /** Where the work is counted: the process's metrics (infra/metrics/metrics.ts), injected like every client. */
  metrics: Pick<CrawlflowMetrics, 'alertDigestsSent' | 'alertsSent'>;
}

/** Io-queue activities: raise an alert now, mail pending alerts as one digest per window. */
export function createAlertActivities(deps: AlertActivityDeps) {
  const { metrics } = deps;
  const mail = (subject: string, text: string) =>
    deps.mailer.sendMail({ from: deps.mail.from, to: deps.mail.recipients, subject, text });

  return {
    async recordAlert(alert: NewAlert): Promise<string> {
      return deps.alerting.raise(alert);
    },

    /**
     * Mails every pending alert as one digest, or a "recovered" mail for the first quiet
     * window after failures. Alerts stay pending until the relay accepted the mail: when
     * SMTP is down this fails, Temporal retries, and the next tick tries again.
     */
    async sendAlertDigest(): Promise<{ mailed: number; recovery: boolean }> {
      const info = activityInfo();
      const digestId = `${info.workflowExecution?.workflowId}/${info.workflowExecution?.runId}`;
      const alerts = await deps.alerts.pending(deps.maxAlertsPerDigest ?? 200);
      const state = await deps.alerts.digestState();
      if (alerts.length === 0) {
        if (!state.inTrouble) return { mailed: 0, recovery: false };
        const recovery = formatRecoveryMail({ subjectPrefix: deps.mail.subjectPrefix, since: state.lastSentAt, locale: deps.mail.locale ?? 'en' });
        await mail(recovery.subject, recovery.text);
        await deps.alerts.saveDigestState({ inTrouble: false, lastSentAt: new Date() });
        return { mailed: 0, recovery: true };
      }
      const digest = formatDigestMail(alerts, { subjectPrefix: deps.mail.subjectPrefix, workflowUrl: deps.workflowUrl, locale: deps.mail.locale ?? 'en' });
      await mail(digest.subject, digest.text);
      await deps.alerts.markSent(
        alerts.map((alert) => alert._id),
        digestId,
      );
      await deps.alerts.saveDigestState({ inTrouble: true, lastSentAt: new Date() });
      metrics.alertDigestsSent.inc();
      metrics.alertsSent.inc(alerts.length);
      return { mailed: alerts.length, recovery: false };
    },
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;
