import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { IngestInputError, IngestSaveError, InputProblem } from '../domain/ingest/errors';
import type { Logger } from '../domain/logging/logger';
import { DuplicateRecordError, RecordValidationError } from '../domain/store/errors';

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

/** A problem with the request itself, named. */
export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: string;
  message: string;
}

/** Every error becomes `{ error, message }` with a 4xx that names the problem, or a logged 5xx. */
export function toErrorReply(error: unknown, logger: Logger): { status: number; body: ErrorBody } {
  if (error instanceof IngestInputError) return { status: STATUS_OF[error.code], body: { error: error.code, message: error.message } };
  if (error instanceof HttpProblem) return { status: error.statusCode, body: { error: error.code, message: error.message } };
  if (error instanceof RecordValidationError) return { status: 400, body: { error: 'invalid', message: error.message } };
  if (error instanceof DuplicateRecordError) return { status: 409, body: { error: 'exists', message: error.message } };
  if (error instanceof IngestSaveError) {
    logger.error({ err: error }, 'a submission could not be saved');
    return { status: 500, body: { error: 'save_failed', message: error.message } };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code = fastifyError.code === 'FST_REQ_FILE_TOO_LARGE' || fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'bad_request';
    return { status: fastifyError.statusCode, body: { error: code, message: fastifyError.message ?? 'bad request' } };
  }
  logger.error({ err: error }, 'request failed');
  return { status: 500, body: { error: 'internal', message: 'internal error; see the server log' } };
}

export function errorHandler(logger: Logger) {
  return async (error: unknown, _request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorReply(error, logger);
    await reply.code(status).send(body);
  };
}
