import { message, type Message } from '../infra/i18n/i18n';

/** A record would break one of the seed's field constraints (max_length, choices) or crawlflow's. */
export class RecordValidationError extends Error {
  override readonly name = 'RecordValidationError';
  constructor(
    readonly field: string,
    readonly problem: string,
    /** The same, to say in the reader's language (the web API does). */
    readonly detail?: Message,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** A unique index refused the record: the name (or key) is taken. */
export class DuplicateRecordError extends Error {
  override readonly name = 'DuplicateRecordError';
  constructor(
    readonly collection: string,
    readonly key: string,
    readonly detail?: Message,
  ) {
    super(`${collection}: ${key} already exists`);
  }
}

/** Enforces a seed `StringField(max_length=…)` so the seed's models can re-save what crawlflow writes. */
export function checkMaxLength(field: string, value: string | null | undefined, maxLength: number): void {
  if (value != null && value.length > maxLength) {
    throw new RecordValidationError(field, `at most ${maxLength} characters (got ${value.length})`, message('errors.field_too_long', { field, max: String(maxLength), length: String(value.length) }));
  }
}

export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
