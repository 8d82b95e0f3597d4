import type { Store } from '../../store/store';
import type { IngestRunDocument } from '../../store/ingest-runs';
import { URI_RULES_VERSION } from '../uris/normalize';
import type { UriPolicy } from '../uris/prepare';
import type { ReceiptLine } from './receipt';
import { recheckLine } from './receipt-recheck';

/** Stored input shown per line (the full input stays in the store). */
const SHOWN_INPUT_CHARS = 2000;

export interface StoredReceipt {
  /** Each line's outcome as stored (no `uri`: the task has it), with its `rulesChange` if any. */
  lines: ReceiptLine[];
  /** The last line returned when the page is full (ask again with `after` = this), else null. */
  next: number | null;
  rules: {
    /** The version the ingest ran under. */
    stored: number;
    current: number;
    /** Lines of this page whose outcome or normalization differs under the current rules. */
    changed: number;
  };
}

/**
 * The full receipt of one ingest, a page at a time, rebuilt from what was stored (tasks'
 * sources, the error and failure logs). An ingest run under an older URI rules version has each
 * line checked again with the job's rules as they are now: a line the current rules would
 * normalize to another URI, or accept or reject otherwise, carries a {@link RulesChange}.
 */
export async function rebuildReceipt(
  store: Store,
  run: IngestRunDocument,
  page: { after: number; limit: number; policy: UriPolicy },
): Promise<StoredReceipt> {
  const ingest = run._id;
  const { after, limit } = page;
  const [accepted, errors, failures] = await Promise.all([
    store.tasks.sourcesOfIngest(ingest, after, limit),
    store.logs.listErrors({ ingest, afterLine: after, limit }),
    store.logs.listFailures({ ingest, afterLine: after, limit }),
  ]);
  type Rebuilt = ReceiptLine & { full: string; inputCut: boolean };
  const rebuilt: Rebuilt[] = [
    ...accepted.map((source): Rebuilt => ({ line: source.line ?? 0, full: source.uri_original, inputCut: false, input: '', outcome: 'accepted', taskId: source._id.toHexString() })),
    ...errors.map((entry): Rebuilt => ({
      line: entry.line ?? 0,
      full: entry.input,
      inputCut: entry.input_length > entry.input.length,
      input: '',
      outcome: entry.reason_code === 'duplicate' ? 'duplicate' : 'invalid',
      ...(entry.reason_code === 'duplicate' ? {} : { code: entry.reason_code }),
      reason: entry.reason,
      ...(entry.reason_message ? { reasonMessage: entry.reason_message } : {}),
      ...(entry.duplicate_of ? { taskId: entry.duplicate_of.toHexString() } : {}),
    })),
    ...failures.map((entry): Rebuilt => ({ line: entry.line ?? 0, full: entry.input, inputCut: entry.input_length > entry.input.length, input: '', outcome: 'failed', code: entry.reason_code, reason: entry.reason, ...(entry.reason_message ? { reasonMessage: entry.reason_message } : {}) })),
  ]
    .sort((a, b) => a.line - b.line)
    .slice(0, limit);

  const context = { job: run.job, storedRulesVersion: run.rules_version, policy: page.policy };
  let changed = 0;
  const lines = rebuilt.map(({ full, inputCut, ...line }): ReceiptLine => {
    const rulesChange = recheckLine({ input: full, inputCut, outcome: line.outcome, ...(line.taskId ? { taskId: line.taskId } : {}), ...(line.code ? { code: line.code } : {}) }, context);
    if (rulesChange) changed++;
    return { ...line, input: full.slice(0, SHOWN_INPUT_CHARS), ...(rulesChange ? { rulesChange } : {}) };
  });
  return {
    lines,
    next: lines.length === limit ? lines.at(-1)!.line : null,
    rules: { stored: run.rules_version, current: URI_RULES_VERSION, changed },
  };
}
