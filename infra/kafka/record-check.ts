import type { InputMessage } from '../../common/messages';

/** Why a record cannot become a run: each goes to the dead-letter topic with this reason. */
export const RejectReason = {
  Empty: 'empty',
  TooLarge: 'too_large',
  InvalidUtf8: 'invalid_utf8',
  InvalidJson: 'invalid_json',
  NotAnObject: 'not_an_object',
  /** A message Temporal will never start (a workflow id too long, a request it refuses): the detail is the server's reason. */
  StartRefused: 'start_refused',
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export type RecordCheck =
  | { ok: true; message: InputMessage; text: string }
  | { ok: false; reason: RejectReason; detail: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A Kafka record value is a message when it is a JSON object in valid UTF-8 within the size limit. */
export function checkRecord(value: Buffer | null, maxBytes: number): RecordCheck {
  if (value === null || value.length === 0) return { ok: false, reason: RejectReason.Empty, detail: 'the record has no value' };
  if (value.length > maxBytes) {
    return { ok: false, reason: RejectReason.TooLarge, detail: `${value.length} bytes; the limit is ${maxBytes} (KAFKA_MAX_MESSAGE_BYTES)` };
  }
  let text: string;
  try {
    text = strictUtf8.decode(value);
  } catch {
    return { ok: false, reason: RejectReason.InvalidUtf8, detail: `not valid UTF-8 (first bytes ${value.subarray(0, 16).toString('hex')})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return { ok: false, reason: RejectReason.InvalidJson, detail: `not JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`;
    return { ok: false, reason: RejectReason.NotAnObject, detail: `JSON ${kind}, not an object` };
  }
  return { ok: true, message: parsed as InputMessage, text };
}
