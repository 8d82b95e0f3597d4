/**
 * How batch mode cuts a partition's records into windows (one batch workflow each). Pure:
 * the bridge feeds it counts, ages and sizes, and does the Kafka and Temporal work itself.
 */
import { encodedKeywordBytes, SEARCH_ATTRIBUTE_VALUE_MAX_BYTES } from '../common/search-attributes';

export interface WindowLimits {
  /** PIPELINE_BATCH_SIZE: most records in one window. */
  batchSize: number;
  /** PIPELINE_BATCH_WAIT_MS: longest a short window waits for more records. */
  batchWaitMs: number;
}

/** Take the next `take` records as a window, or hold the partition `holdMs` for more. */
export type WindowPlan = { take: number } | { holdMs: number };

/**
 * The longest a short window is held while its partition has a window running (should that
 * run's end never be heard of): past it, it starts anyway.
 */
export const MAX_HOLD_MS = 30_000;

/**
 * The next window from `available` records read from the partition's position: a full one
 * when there are enough. A short tail starts once it has waited `batchWaitMs` (`tailAgeMs`:
 * since the bridge first saw its first record) and no short window of its partition is
 * still running (`running`), so windows grow with the load instead of piling up on a slow server;
 * otherwise the partition is held for the time left (or until that run ends).
 */
export function planWindow(available: number, tailAgeMs: number, limits: WindowLimits, running = 0): WindowPlan {
  if (available <= 0) return { take: 0 };
  if (available >= limits.batchSize) return { take: limits.batchSize };
  if (tailAgeMs < limits.batchWaitMs) return { holdMs: limits.batchWaitMs - tailAgeMs };
  if (running === 0 || tailAgeMs >= MAX_HOLD_MS) return { take: available };
  return { holdMs: MAX_HOLD_MS - tailAgeMs };
}

/**
 * Limits that keep a window's start inside what Temporal accepts: its input (the envelopes,
 * echoed in the activities' inputs) far below the 2 MiB payload limit, and the message-id
 * search attribute within the per-value limit. Temporal measures a keyword list as one value,
 * its JSON `["m1","m2"]`: Σ (each id's encoded bytes + 1 for its comma or bracket) + 1 must
 * stay ≤ 2048, so about 70 ids of 25 characters or 50 UUIDs fit in one window (a window of
 * 256 bench messages was refused with `value size 6858 exceeds size limit 2048`).
 */
export const WINDOW_BUDGET = {
  inputBytes: 512 * 1024,
  messageIdBytes: SEARCH_ATTRIBUTE_VALUE_MAX_BYTES - 1,
} as const;

/** What one id costs in the window's `CrawlflowMessageIds` list: its JSON and a separator. */
export function messageIdListBytes(id: string): number {
  return encodedKeywordBytes(id) + 1;
}

/** What the bridge learned about one record of a candidate window. */
export type PreparedSize =
  | { kind: 'message'; inputBytes: number; messageIdBytes: number }
  /** Not a message: dead-lettered with the window, costs the workflow nothing. */
  | { kind: 'reject' }
  /** A dependency is away for this record: the window ends before it. */
  | { kind: 'wait' };

/**
 * How many of the prepared records make the window: they stop before the first that must
 * wait, and before the message that would push the window over a budget (the first message
 * always fits: one message alone is within the limits message mode keeps).
 */
export function cutWindow(records: PreparedSize[], budget: { inputBytes: number; messageIdBytes: number } = WINDOW_BUDGET): number {
  let inputBytes = 0;
  let messageIdBytes = 0;
  let messages = 0;
  for (const [index, record] of records.entries()) {
    if (record.kind === 'wait') return index;
    if (record.kind === 'reject') continue;
    inputBytes += record.inputBytes;
    messageIdBytes += record.messageIdBytes;
    if (messages > 0 && (inputBytes > budget.inputBytes || messageIdBytes > budget.messageIdBytes)) return index;
    messages++;
  }
  return records.length;
}

/**
 * The inline limit of page HTML and text in a window of `batchSize`: a share of the input
 * budget per message (4 KiB at 64), never above message mode's 32 KiB nor below 512 bytes.
 */
export function batchInlineLimitBytes(batchSize: number): number {
  return Math.max(512, Math.min(32 * 1024, Math.floor(WINDOW_BUDGET.inputBytes / 2 / batchSize)));
}
