import type { AlertDocument } from './alert-repository';

export interface DigestMail {
  subject: string;
  text: string;
}

/**
 * One plain-text mail for a batch of alerts: counts per kind first, then each alert with a
 * link to its run in the Temporal Web UI.
 */
export function formatDigestMail(
  alerts: AlertDocument[],
  options: { subjectPrefix: string; workflowUrl: (workflowId: string) => string },
): DigestMail {
  const byKind = new Map<string, AlertDocument[]>();
  for (const alert of alerts) byKind.set(alert.kind, [...(byKind.get(alert.kind) ?? []), alert]);
  const counts = [...byKind.entries()].map(([kind, items]) => `${items.length} ${kind}`).join(', ');
  const sections = [...byKind.entries()].map(([kind, items]) =>
    [
      `== ${kind} (${items.length})`,
      ...items.map((alert) =>
        [
          `- ${alert.createdAt.toISOString()} ${alert.summary}`,
          alert.job ? `  job: ${alert.job}` : undefined,
          alert.workflowId ? `  run: ${options.workflowUrl(alert.workflowId)}` : undefined,
          alert.detail ? `  detail: ${JSON.stringify(alert.detail)}` : undefined,
        ]
          .filter((line): line is string => line !== undefined)
          .join('\n'),
      ),
    ].join('\n'),
  );
  return {
    subject: `${options.subjectPrefix}: ${alerts.length} alert${alerts.length === 1 ? '' : 's'} (${counts})`,
    text: [`crawlflow recorded ${alerts.length} failure alert(s) since the last digest.`, '', ...sections, ''].join('\n'),
  };
}

/** The mail for the first quiet window after failures. */
export function formatRecoveryMail(options: { subjectPrefix: string; since?: Date }): DigestMail {
  return {
    subject: `${options.subjectPrefix}: recovered — no new failures`,
    text: [
      `crawlflow recorded no new failures since the last alert digest${options.since ? ` (${options.since.toISOString()})` : ''}.`,
      '',
    ].join('\n'),
  };
}
