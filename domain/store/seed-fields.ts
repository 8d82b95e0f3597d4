/**
 * The seed's log models cap `failed_reason` at 10240 and `hostname` at 16 characters; crawlflow
 * cuts to fit (saying so) so the seed's models can validate and re-save what it writes.
 */
export const MAX_FAILED_REASON = 10240;
export const MAX_HOSTNAME = 16;

export function fitFailedReason(reason: string | null | undefined): string | null {
  if (reason == null) return null;
  if (reason.length <= MAX_FAILED_REASON) return reason;
  const marker = ` … (${reason.length} characters, cut)`;
  return reason.slice(0, MAX_FAILED_REASON - marker.length) + marker;
}

export function fitHostname(hostname: string | null | undefined): string | null {
  return hostname == null ? null : hostname.slice(0, MAX_HOSTNAME);
}

/** The seed's run-log status codes (`GrawlerGeneratorLog`, `CrawlerUriLog`): 0 is the unset default. */
export const RunLogStatus = { Unset: 0, Failed: 1, Succeeded: 2 } as const;
export type RunLogStatus = (typeof RunLogStatus)[keyof typeof RunLogStatus];
