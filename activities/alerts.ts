import { activityInfo } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type { AlertRepository, NewAlert } from '../domain/alerts/alert-repository';
import { formatDigestMail } from '../domain/alerts/digest-mail';

export interface AlertActivityDeps {
  alerts: AlertRepository;
  mailer: Pick<Transporter, 'sendMail'>;
  mail: { from: string; recipients: string[]; subjectPrefix: string };
  workflowUrl: (workflowId: string) => string;
  /** Most alerts mailed in one digest; the rest wait for the next. @default 200 */
  maxAlertsPerDigest?: number;
}

/** Io-queue activities: record an alert now, mail pending alerts as one digest later. */
export function createAlertActivities(deps: AlertActivityDeps) {
  return {
    async recordAlert(alert: NewAlert): Promise<string> {
      return (await deps.alerts.record(alert)).toHexString();
    },

    /** Mails every pending alert as one digest; returns how many were mailed. */
    async sendAlertDigest(): Promise<{ mailed: number; digestId?: string }> {
      // The run and activity id name the digest: a retried attempt re-sends the same alerts.
      const info = activityInfo();
      const digestId = `${info.workflowExecution?.workflowId}/${info.workflowExecution?.runId}/${info.activityId}`;
      const alerts = await deps.alerts.claimForDigest(digestId, deps.maxAlertsPerDigest ?? 200);
      if (alerts.length === 0) return { mailed: 0 };
      const mail = formatDigestMail(alerts, { subjectPrefix: deps.mail.subjectPrefix, workflowUrl: deps.workflowUrl });
      await deps.mailer.sendMail({ from: deps.mail.from, to: deps.mail.recipients, subject: mail.subject, text: mail.text });
      await deps.alerts.markSent(digestId);
      return { mailed: alerts.length, digestId };
    },
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;
