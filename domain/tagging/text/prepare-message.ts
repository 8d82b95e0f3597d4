import { UntaggableMessageError, type TaggableMessage } from '../api';

/** What a tagging thread receives for one message: bounded text plus the few values rules read. */
export interface PreparedMessage {
  /** Text of each scanned field, capped; absent when the field held no usable text. */
  texts: Record<string, string>;
  /** The message's top-level values that field conditions read. */
  values: Record<string, unknown>;
  /** Characters kept for scanning, over all fields. */
  scannedChars: number;
  truncated: boolean;
  /** What was wrong with the input but could be worked around. */
  warnings: string[];
}

export interface PreparePlan {
  /** Dotted paths of the fields whose text is scanned, in priority order for the cap. */
  textFields: readonly string[];
  /** Characters kept over all fields together; later fields get what earlier ones left. */
  maxChars: number;
  /** Top-level keys copied for field conditions. */
  valueKeys: readonly string[];
}

/** Reads a dotted path (`author.id`) from a message; undefined when any step is missing. */
export function readPath(message: unknown, path: string): unknown {
  let value: unknown = message;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

/**
 * Checks and trims one message on the caller's side before it crosses to a thread: it must
 * be a JSON object (else {@link UntaggableMessageError}); text fields of the wrong type are
 * skipped with a warning; bytes are decoded as UTF-8 (invalid sequences replaced, with a
 * warning); text past the cap is cut — so a 20 MB page is never copied to a thread whole.
 */
export function prepareMessage(message: unknown, index: number, plan: PreparePlan): PreparedMessage {
  if (message === null || typeof message !== 'object' || Array.isArray(message) || ArrayBuffer.isView(message)) {
    const kind = message === null ? 'null' : Array.isArray(message) ? 'an array' : typeof message;
    throw new UntaggableMessageError(`message ${index} is ${kind}, not a JSON object`, index);
  }
  const warnings: string[] = [];
  const texts: Record<string, string> = {};
  let budget = plan.maxChars;
  let truncated = false;
  for (const field of plan.textFields) {
    const raw = readPath(message, field);
    let text: string | undefined;
    if (typeof raw === 'string') text = raw;
    else if (raw instanceof Uint8Array) text = decodeBytes(raw, field, warnings);
    else if (raw !== undefined && raw !== null) {
      warnings.push(`field "${field}" is ${Array.isArray(raw) ? 'an array' : typeof raw}, not text: not scanned`);
    }
    if (text === undefined || text.length === 0) continue;
    if (text.length > budget) {
      truncated = true;
      let end = budget;
      // Never split a surrogate pair: a lone half would be scanned as an invalid character.
      if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--;
      text = text.slice(0, end);
    }
    budget -= text.length;
    if (text.length > 0) texts[field] = text;
  }
  if (Object.keys(texts).length === 0 && !truncated) warnings.push(`no text in ${plan.textFields.join(', ')}: only field rules apply`);
  const values: Record<string, unknown> = {};
  for (const key of plan.valueKeys) {
    const value = (message as TaggableMessage)[key];
    // A condition on a text field must not smuggle the whole text past the cap.
    if (typeof value === 'string' && value.length > plan.maxChars) values[key] = value.slice(0, plan.maxChars);
    else if (value !== undefined) values[key] = value;
  }
  return { texts, values, scannedChars: plan.maxChars - budget, truncated, warnings };
}

function decodeBytes(bytes: Uint8Array, field: string, warnings: string[]): string {
  try {
    return utf8.decode(bytes);
  } catch {
    warnings.push(`field "${field}" is not valid UTF-8: invalid bytes replaced by U+FFFD`);
    return utf8Lossy.decode(bytes);
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
