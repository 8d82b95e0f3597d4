import { format, message, type Message } from '../../infra/i18n/i18n';
import type { ObjectId } from 'mongodb';
import { crawlerTaskId } from '../../store/crawler-tasks';
import { URI_RULES_VERSION } from '../uris/normalize';
import { prepareUri, type UriPolicy } from '../uris/prepare';
import { UriRejection } from '../uris/validate';
import type { LineOutcome } from './receipt';

/**
 * What the current URI rules make of a line that an older rules version handled, when that
 * differs from what was stored: another normalized URI (so another task key), or valid now and
 * invalid then, or the reverse. Stored tasks are never re-keyed; this only says so.
 */
export interface RulesChange {
  /** The rules version the line was handled under (ingest_run.rules_version). */
  storedRulesVersion: number;
  /** {@link URI_RULES_VERSION}. */
  rulesVersion: number;
  /** The line's outcome under the current rules, were it submitted again. */
  outcome: 'accepted' | 'invalid';
  /** accepted: the URI as the current rules normalize it, and the task it would key. */
  uri?: string;
  taskId?: string;
  /** invalid: why the current rules reject it. */
  code?: string;
  reason?: string;
  /** The change in words (English), and as a catalogue message. */
  note: string;
  noteMessage: Message;
}

/** A stored line as the receipt rebuilds it. */
export interface StoredLine {
  /** The whole input as stored (userinfo redacted). */
  input: string;
  /** True when the stored input was cut, so it cannot be checked again. */
  inputCut: boolean;
  outcome: LineOutcome;
  /** accepted: its task; duplicate: the task it duplicates. */
  taskId?: string;
  /** invalid: the stored reason code. */
  code?: string;
}

/** Rejections that come from the URI rules (not from the reader: too_long, csv_error, empty). */
const RULE_REJECTIONS: ReadonlySet<string> = new Set([
  UriRejection.Whitespace,
  UriRejection.Unparsable,
  UriRejection.SchemeNotAllowed,
  UriRejection.NoHost,
  UriRejection.BadHost,
  UriRejection.BadPort,
]);

/**
 * Checks one stored line against the current rules. Null when it was handled under the current
 * version, cannot be checked again (cut input, a reader's rejection), or comes out the same.
 */
export function recheckLine(line: StoredLine, context: { job: ObjectId; storedRulesVersion: number; policy: UriPolicy }): RulesChange | null {
  if (context.storedRulesVersion === URI_RULES_VERSION || line.inputCut) return null;
  if (line.outcome === 'invalid' && (line.code === undefined || !RULE_REJECTIONS.has(line.code))) return null;
  const prepared = prepareUri(line.input, context.policy);
  const versions = { storedRulesVersion: context.storedRulesVersion, rulesVersion: URI_RULES_VERSION };
  const version = String(URI_RULES_VERSION);
  const noted = (noteMessage: Message) => ({ note: format('en', noteMessage.key, noteMessage.params), noteMessage });
  if (!prepared.ok) {
    if (line.outcome === 'invalid') return null;
    return { ...versions, outcome: 'invalid', code: prepared.code, reason: prepared.reason, ...noted(message('receipt.rules.invalid', { version, reason: prepared.reasonMessage })) };
  }
  const taskId = crawlerTaskId(context.job, prepared.hash).toHexString();
  if (line.outcome === 'invalid') {
    return { ...versions, outcome: 'accepted', uri: prepared.normalized, taskId, ...noted(message('receipt.rules.valid', { version, uri: prepared.normalized })) };
  }
  if (line.taskId === undefined || line.taskId === taskId) return null;
  return { ...versions, outcome: 'accepted', uri: prepared.normalized, taskId, ...noted(message('receipt.rules.renormalized', { version, uri: prepared.normalized, task: taskId })) };
}
