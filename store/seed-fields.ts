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

/** What a run or a fetch measured, for the seed's log models. */
export interface RunLogMeasures {
  status: RunLogStatus;
  failedReason?: string | null;
  contentBytes?: number;
  spendMsecs?: number;
  hostname?: string | null;
}

/** The seed log fields shared by `crawler_generator_log` and `crawler_uri_log`, cut to fit. */
export function seedRunLogFields(measures: RunLogMeasures) {
  return {
    status: measures.status,
    failed_reason: fitFailedReason(measures.failedReason),
    content_bytes: Math.round(measures.contentBytes ?? 0),
    spend_msecs: Math.round(measures.spendMsecs ?? 0),
    hostname: fitHostname(measures.hostname),
    add_datetime: new Date(),
  };
}
