import type { ObjectId } from 'mongodb';

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

/** The seed log fields as stored (a document written by the seed's own tools may lack some). */
export interface SeedRunLogDocument {
  _id: ObjectId;
  job: ObjectId;
  status: RunLogStatus;
  failed_reason?: string | null;
  content_bytes?: number;
  spend_msecs?: number;
  hostname?: string | null;
  add_datetime: Date;
}

/** A run or fetch log as crawlflow reads it back: the shared seed fields, with their defaults. */
export function runLogFields(document: SeedRunLogDocument) {
  return {
    id: document._id,
    job: document.job,
    status: document.status,
    failedReason: document.failed_reason ?? null,
    contentBytes: document.content_bytes ?? 0,
    spendMsecs: document.spend_msecs ?? 0,
    hostname: document.hostname ?? null,
    addedAt: document.add_datetime,
  };
}

