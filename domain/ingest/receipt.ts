import type { Message } from '../../infra/i18n/i18n';
import type { IngestCounts } from '../../store/ingest-runs';
import type { RulesChange } from './receipt-recheck';

export type LineOutcome = 'accepted' | 'duplicate' | 'invalid' | 'failed';

/** What happened to one line: the normalized URI, "duplicate of task X", or why it was rejected. */
export interface ReceiptLine {
  line: number;
  /** The input, cut to {@link RECEIPT_INPUT_CHARS} characters for display. */
  input: string;
  outcome: LineOutcome;
  /** accepted and duplicate: the normalized URI. */
  uri?: string;
  /** accepted: the new task; duplicate: the task it duplicates. */
  taskId?: string;
  /** invalid and failed: machine-readable reason. */
  code?: string;
  /** invalid, duplicate and failed: the reason in words ("duplicate of task …"); the web API says it in the reader's language. */
  reason?: string;
  /** The reason as a catalogue message (infra/i18n). */
  reasonMessage?: Message;
  /** A stored receipt of an ingest run under older URI rules: what the current rules make of the line, where that differs. */
  rulesChange?: RulesChange;
}

export const RECEIPT_INPUT_CHARS = 300;

/** The one answer a submission gets. */
export interface IngestReceipt {
  ingestId: string;
  job: { id: string; name: string };
  source: string;
  filename: string | null;
  format: 'list' | 'txt' | 'csv';
  encoding: string | null;
  bytes: number;
  rulesVersion: number;
  status: 'done' | 'failed';
  /** Why processing stopped early (status failed); the lines before it were handled. */
  error: string | null;
  /** The same as a catalogue message, when crawlflow itself stopped it. */
  errorMessage?: Message | null;
  counts: IngestCounts;
  /** The first lines, in order (all of them for small inputs); the rest are in the logs. */
  lines: ReceiptLine[];
  linesTruncated: boolean;
  /** Error- or failure-log entries that could not be written (their lines are still in the receipt). */
  logWriteFailures: number;
}

export interface IngestProgress {
  bytesRead: number;
  totalBytes: number | null;
  counts: IngestCounts;
}

export function emptyCounts(): IngestCounts {
  return { lines: 0, accepted: 0, duplicate: 0, invalid: 0, failed: 0, skipped: 0 };
}

export function summarize(receipt: Pick<IngestReceipt, 'counts'>): string {
  const { counts } = receipt;
  return `${counts.accepted} accepted, ${counts.duplicate} duplicate, ${counts.invalid} invalid, ${counts.failed} failed (${counts.lines} lines, ${counts.skipped} skipped)`;
}
