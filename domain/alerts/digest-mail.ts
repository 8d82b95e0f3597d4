import type { AlertDocument } from './alert-repository';

export interface DigestMail {
  subject: string;
  text: string;
}

/** One plain-text mail for a batch of alerts, grouped by kind, with links to the runs. */
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
