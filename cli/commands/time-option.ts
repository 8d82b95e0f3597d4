import { UsageError } from '../context';

/** A `--since`/`--until` value: any time `Date` reads (ISO 8601 is meant). */
export function parseTime(value: string, option: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${option} is not a time: ${value} (ISO 8601, e.g. 2026-11-23T10:00:00Z)`);
  return date;
}
