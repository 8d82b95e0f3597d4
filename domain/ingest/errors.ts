import { format, type Message } from '../../infra/i18n/i18n';

/**
 * Input outside the rules (the seed's 输入数据不在要求范围内，直接报错): raised before anything
 * is written, so a rejected input leaves nothing half-written. `code` says which rule.
 */
export const InputProblem = {
  UnknownJob: 'unknown_job',
  JobDisabled: 'job_disabled',
  WrongFileType: 'wrong_file_type',
  BinaryFile: 'binary_file',
  Empty: 'empty_input',
  TooLarge: 'too_large',
  BadEncoding: 'bad_encoding',
  BadColumn: 'bad_column',
  BadCron: 'bad_cron',
  BadSettings: 'bad_settings',
  BadConfig: 'bad_config',
} as const;
export type InputProblem = (typeof InputProblem)[keyof typeof InputProblem];

/** `text` as a {@link Message} is said in the reader's locale by the web API; `message` is English. */
export class IngestInputError extends Error {
  override readonly name = 'IngestInputError';
  readonly detail: Message | undefined;
  constructor(
    readonly code: InputProblem,
    text: Message | string,
  ) {
    super(typeof text === 'string' ? text : format('en', text.key, text.params));
    this.detail = typeof text === 'string' ? undefined : text;
  }
}

/** Saving failed (the database refused or was unreachable); the failure log has the input. */
export class IngestSaveError extends Error {
  override readonly name = 'IngestSaveError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/**
 * A file name as people may see it: no directories, no control characters, at most 255
 * characters. Uploaded names are never used as paths.
 */
export function cleanFilename(name: string | null | undefined): string | null {
  if (name == null) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const cleaned = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().slice(0, 255);
  return cleaned === '' ? null : cleaned;
}

/** The lower-case extension of a (cleaned) file name, without the dot; '' when it has none. */
export function extensionOf(name: string | null): string {
  const match = name ? /\.([A-Za-z0-9]+)$/.exec(name) : null;
  return match ? match[1]!.toLowerCase() : '';
}
