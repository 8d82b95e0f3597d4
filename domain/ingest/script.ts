import { message } from '../../infra/i18n/i18n';
import { Cron } from 'croner';
import { GeneratorLanguage, GeneratorPriority, GeneratorStatus, GENERATOR_STATUS_NAMES, MAX_GENERATOR_CODE_BYTES } from '../../store/generators';
import { binaryKind } from './file-probe';
import { extensionOf, IngestInputError, InputProblem } from './errors';

/** Longest wall-time limit a generator may ask for: a day. */
export const MAX_GENERATOR_TIMEOUT_SECONDS = 24 * 60 * 60;

const EXTENSIONS: Record<string, GeneratorLanguage> = { py: 'python', sh: 'shell', bash: 'shell' };

/**
 * Checks an uploaded generator script: a .py or .sh file (or a stated language), UTF-8 text,
 * not binary, not empty, at most {@link MAX_GENERATOR_CODE_BYTES}; a `#!` line, when present,
 * must agree with the language. Returns the code and its language.
 */
export function checkScript(bytes: Buffer, filename: string | null, statedLanguage?: string): { code: string; language: GeneratorLanguage } {
  const extension = extensionOf(filename);
  let language: GeneratorLanguage | undefined;
  if (statedLanguage !== undefined && statedLanguage.trim() !== '') {
    language = parseLanguage(statedLanguage);
  } else {
    language = EXTENSIONS[extension];
    if (!language) {
      throw new IngestInputError(InputProblem.WrongFileType, message('errors.script_wrong_type', { got: filename ? 'yes' : 'no', filename: filename ?? '' }));
    }
  }
  if (bytes.length === 0) throw new IngestInputError(InputProblem.Empty, message('errors.script_empty'));
  if (bytes.length > MAX_GENERATOR_CODE_BYTES) {
    throw new IngestInputError(InputProblem.TooLarge, message('errors.script_too_large', { size: String(bytes.length), max: String(MAX_GENERATOR_CODE_BYTES) }));
  }
  const kind = binaryKind(bytes);
  if (kind) throw new IngestInputError(InputProblem.BinaryFile, message('errors.script_binary', { kind }));
  let code: string;
  try {
    code = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new IngestInputError(InputProblem.BinaryFile, message('errors.script_not_utf8'));
  }
  if (code.trim() === '') throw new IngestInputError(InputProblem.Empty, message('errors.script_blank'));
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(code);
  if (shebang) {
    const interpreter = (shebang[1]!.endsWith('/env') ? (shebang[2] ?? '') : shebang[1]!).split('/').pop() ?? '';
    const says: GeneratorLanguage | undefined = /^python/.test(interpreter) ? 'python' : /^(ba|da|z|k)?sh$/.test(interpreter) ? 'shell' : undefined;
    if (says === undefined) {
      throw new IngestInputError(InputProblem.WrongFileType, message('errors.script_interpreter', { interpreter }));
    }
    if (says !== language) {
      throw new IngestInputError(InputProblem.WrongFileType, message('errors.script_language_mismatch', { says, language }));
    }
  }
  return { code, language };
}

export function parseLanguage(value: string): GeneratorLanguage {
  const key = value.trim().toLowerCase();
  if (['python', 'python3', 'py'].includes(key)) return GeneratorLanguage.Python;
  if (['shell', 'sh', 'bash'].includes(key)) return GeneratorLanguage.Shell;
  throw new IngestInputError(InputProblem.BadSettings, message('errors.bad_language', { value: String(value) }));
}

/**
 * A cron expression Temporal Schedules accept and croner understands: five fields
 * (minute hour day-of-month month day-of-week) or @yearly/@monthly/@weekly/@daily/@hourly,
 * and it must fire some day. Empty means no schedule (run by hand).
 */
export function checkCron(value: string | null | undefined): string | null {
  const cron = (value ?? '').trim().replace(/\s+/g, ' ');
  if (cron === '') return null;
  if (cron.length > 128) throw new IngestInputError(InputProblem.BadCron, message('errors.cron_too_long'));
  const macro = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(cron);
  if (!macro && cron.split(' ').length !== 5) {
    throw new IngestInputError(InputProblem.BadCron, message('errors.cron_fields', { cron }));
  }
  let next: Date | null;
  try {
    // sloppyRanges: croner 10 refuses a numeric-start step ("5/5") by default; croner 9 and Temporal take it.
    next = new Cron(cron, { paused: true, sloppyRanges: true }).nextRun();
  } catch (error) {
    throw new IngestInputError(InputProblem.BadCron, message('errors.cron_invalid', { cron, detail: (error as Error).message.replace(/^CronPattern: /, '') }));
  }
  if (next === null) throw new IngestInputError(InputProblem.BadCron, message('errors.cron_never', { cron }));
  return cron;
}

export function parsePriority(value: string | null | undefined): GeneratorPriority {
  const key = (value ?? '').trim().toLowerCase().replace(/[\s_-]+/g, ' ');
  if (key === '') return GeneratorPriority.Medium;
  const found = Object.values(GeneratorPriority).find((priority) => priority === key || priority.replace(' ', '') === key);
  if (!found) throw new IngestInputError(InputProblem.BadSettings, message('errors.bad_priority', { value: String(value) }));
  return found;
}

export function parseGeneratorStatus(value: string | number | null | undefined): GeneratorStatus {
  if (value === null || value === undefined || String(value).trim() === '') return GeneratorStatus.Alpha;
  const key = String(value).trim().toLowerCase().replace(/[\s_-]+/g, ' ');
  const entries = Object.entries(GENERATOR_STATUS_NAMES) as Array<[string, string]>;
  const found = entries.find(([code, name]) => code === key || name === key || (name === 'test failed' && key === 'test fail'));
  if (!found) {
    throw new IngestInputError(InputProblem.BadSettings, message('errors.bad_generator_status', { value: String(value), choices: entries.map(([code, name]) => `${name} (${code})`).join(', ') }));
  }
  return Number(found[0]) as GeneratorStatus;
}

export function parseTimeout(value: string | number | null | undefined, fallback: number): number {
  if (value === null || value === undefined || String(value).trim() === '') return fallback;
  const seconds = Number(String(value).trim());
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_GENERATOR_TIMEOUT_SECONDS) {
    throw new IngestInputError(InputProblem.BadSettings, message('errors.bad_timeout', { value: String(value), max: String(MAX_GENERATOR_TIMEOUT_SECONDS) }));
  }
  return seconds;
}

export function parseFlag(value: string | boolean | null | undefined, name: string): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (typeof value === 'boolean') return value;
  const key = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(key)) return true;
  if (['false', '0', 'no', 'off'].includes(key)) return false;
  throw new IngestInputError(InputProblem.BadSettings, message('errors.bad_flag', { name, value }));
}
