import { Cron } from 'croner';

/** Shorthands both croner and Temporal understand. */
const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
// Digits, names (MON, JAN), and * , / - only: croner's L, W, # and ? mean nothing to Temporal.
const FIELD = /^[0-9A-Za-z*,/-]+$/;
const FIELD_NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'];

export type CronCheck = { ok: true; cron: string } | { ok: false; reason: string };

/**
 * Checks a generator's cron: the classic five fields (minute hour day-of-month month
 * day-of-week, UTC) or a shorthand such as `@daily`. That is the subset Temporal schedules
 * and crontab read alike; a sixth field means seconds to some tools and years to Temporal, so
 * it is refused rather than guessed. Returns the cron with its spacing normalized.
 */
export function checkGeneratorCron(input: string): CronCheck {
  const cron = input.trim().replace(/\s+/g, ' ');
  if (cron === '') return { ok: false, reason: 'the cron is empty' };
  if (cron.length > 128) return { ok: false, reason: `the cron is ${cron.length} characters; at most 128` };
  if (cron.startsWith('@')) {
    return MACROS.has(cron.toLowerCase())
      ? { ok: true, cron: cron.toLowerCase() }
      : { ok: false, reason: `unknown cron shorthand "${cron}": use ${[...MACROS].join(', ')} or five fields` };
  }
  const fields = cron.split(' ');
  if (fields.length !== 5) {
    return { ok: false, reason: `a cron has five fields (minute hour day-of-month month day-of-week); "${cron}" has ${fields.length}` };
  }
  const odd = fields.findIndex((field) => !FIELD.test(field));
  if (odd !== -1) {
    return { ok: false, reason: `the ${FIELD_NAMES[odd]} field "${fields[odd]}" may hold only numbers, names, *, ",", "/" and "-"` };
  }
  try {
    // sloppyRanges: croner 10 refuses a numeric-start step ("5/5") by default; croner 9 and Temporal take it.
    new Cron(cron, { paused: true, timezone: 'UTC', sloppyRanges: true }).stop();
  } catch (error) {
    return { ok: false, reason: `invalid cron "${cron}": ${(error as Error).message.replace(/^CronPattern: /, '')}` };
  }
  return { ok: true, cron };
}
