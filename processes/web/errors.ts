import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GeneratorActionError, GeneratorProblem } from '../../domain/generators/errors';
import { IngestInputError, IngestSaveError, InputProblem } from '../../domain/ingest/errors';
import { format, translate, type Locale, type Message } from '../../infra/i18n/i18n';
import type { Logger } from '../../infra/logging/logger';
import { DuplicateRecordError, RecordValidationError } from '../../store/errors';

/** HTTP status of each input rule a submission can break. */
const STATUS_OF: Record<InputProblem, number> = {
  [InputProblem.UnknownJob]: 404,
  [InputProblem.JobDisabled]: 409,
  [InputProblem.WrongFileType]: 415,
  [InputProblem.BinaryFile]: 415,
  [InputProblem.Empty]: 400,
  [InputProblem.TooLarge]: 413,
  [InputProblem.BadEncoding]: 400,
  [InputProblem.BadColumn]: 400,
  [InputProblem.BadCron]: 400,
  [InputProblem.BadSettings]: 400,
  [InputProblem.BadConfig]: 400,
};

/**
 * A problem with the request itself, named. Give the words as a {@link Message}
 * (`message('errors.unknown_job', { job })`): the reply says them in the reader's locale, and
 * `error.message` (for logs) in English.
 */
export class HttpProblem extends Error {
  readonly detail: Message | undefined;
  constructor(
    readonly statusCode: number,
    readonly code: string,
    text: Message | string,
    /** The request field at fault (`body.cron`, `query.limit`…), when one is. */
    readonly field?: string,
  ) {
    super(translate('en', text));
    this.detail = typeof text === 'string' ? undefined : text;
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  /** The field at fault, when the error names one. */
  field?: string;
}

/** HTTP status of each refused generator action. */
const GENERATOR_STATUS_OF: Record<GeneratorProblem, number> = {
  [GeneratorProblem.UnknownGenerator]: 404,
  [GeneratorProblem.BadSetting]: 400,
  [GeneratorProblem.StatusRefused]: 409,
  [GeneratorProblem.NoSchedule]: 409,
  [GeneratorProblem.ScheduleState]: 409,
};

/** The words of an error that carries a {@link Message} (`detail`), in `locale`; else its message. */
function said(error: Error & { detail?: Message | undefined }, locale: Locale): string {
  return error.detail ? translate(locale, error.detail) : error.message;
}

/**
 * Every error becomes `{ error, message }` with a 4xx that names the problem, or a logged 5xx;
 * the message in `locale` where the error carries one as a {@link Message}.
 */
export function toErrorReply(error: unknown, logger: Logger, locale: Locale = 'en'): { status: number; body: ErrorBody } {
  if (error instanceof IngestInputError) return { status: STATUS_OF[error.code], body: { error: error.code, message: said(error, locale) } };
  if (error instanceof HttpProblem) {
    return { status: error.statusCode, body: { error: error.code, message: said(error, locale), ...(error.field ? { field: error.field } : {}) } };
  }
  if (error instanceof GeneratorActionError) {
    return { status: GENERATOR_STATUS_OF[error.problem], body: { error: error.problem, message: said(error, locale), ...(error.field ? { field: error.field } : {}) } };
  }
  if (error instanceof RecordValidationError) return { status: 400, body: { error: 'invalid', message: said(error, locale) } };
  if (error instanceof DuplicateRecordError) return { status: 409, body: { error: 'exists', message: said(error, locale) } };
  if (error instanceof IngestSaveError) {
    logger.error({ err: error }, 'a submission could not be saved');
    return { status: 500, body: { error: 'save_failed', message: error.message } };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code = fastifyError.code === 'FST_REQ_FILE_TOO_LARGE' || fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'bad_request';
    const detail = fastifyError.message ?? '';
    return { status: fastifyError.statusCode, body: { error: code, message: format(locale, code === 'too_large' ? 'errors.too_large_body' : 'errors.bad_request', { detail }) } };
  }
  logger.error({ err: error }, 'request failed');
  return { status: 500, body: { error: 'internal', message: format(locale, 'errors.internal') } };
}

export function errorHandler(logger: Logger) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorReply(error, logger, request.locale);
    await reply.code(status).send(body);
  };
}
