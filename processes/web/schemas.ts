import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import { ObjectId } from 'mongodb';
import { z } from 'zod';
import { CATALOGUES, message, type Message, type MessageKey } from '../../infra/i18n/i18n';
import { HttpProblem } from './errors';

/**
 * Route schemas are zod schemas, given as a route's `schema: { params, querystring, body }`:
 * {@link validateBySchema} (the server's validator compiler) checks each part before the handler
 * runs and hands the handler the parsed value (ids as ObjectIds, limits as numbers, defaults
 * filled); {@link ZodTypeProvider} types `request.body` & co from the same schemas.
 * zod rather than fastify's built-in Ajv: Ajv's fastify defaults coerce every part (a body's
 * `"30"` would pass as 30) and drop unknown fields rather than refuse them, and JSON Schema
 * cannot say "a time" or "ids or a filter" — zod says both, in one place, with the types.
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/**
 * A refused part is a 400 `bad_request` naming its first wrong field (`body.ids`, `query.limit`,
 * `params.id`, an unknown `body.crom`) in `field` and, in the reader's language, in the message.
 */
export const validateBySchema: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data: unknown) => {
    const result = schema.safeParse(data ?? {}, { reportInput: true });
    return result.success ? { value: result.data } : { error: requestProblem(result.error.issues[0]!, httpPart === 'querystring' ? 'query' : (httpPart ?? 'body')) };
  };

function requestProblem(issue: z.core.$ZodIssue, part: string): HttpProblem {
  const path = [part, ...issue.path.map(String), ...(issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [issue.keys[0]] : [])];
  const field = path.join('.');
  return new HttpProblem(400, 'bad_request', describe(issue, field), field);
}

function describe(issue: z.core.$ZodIssue, field: string): Message {
  const value = typeof issue.input === 'string' || typeof issue.input === 'number' ? String(issue.input) : '';
  // A schema's own words are a catalogue key (see `refuse` and `keyed` below).
  if (Object.hasOwn(CATALOGUES.en, issue.message)) {
    return message(issue.message as MessageKey, { field, value, ...(issue.code === 'custom' ? (issue.params as Record<string, string> | undefined) : {}) });
  }
  // With `reportInput`, only an absent field has no input (JSON has no undefined).
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return message('errors.request.missing', { field });
  switch (issue.code) {
    case 'invalid_type':
      return message('errors.request.type', { field, expected: issue.expected });
    case 'invalid_value':
      return message('errors.request.choice', { field, choices: issue.values.map((choice) => JSON.stringify(choice)).join(', ') });
    case 'unrecognized_keys':
      return message('errors.request.unknown_field', { field });
    case 'too_small':
      return message('errors.request.too_small', { field, origin: issue.origin, minimum: Number(issue.minimum) });
    case 'too_big':
      return message('errors.request.too_big', { field, origin: issue.origin, maximum: Number(issue.maximum) });
    default:
      return message('errors.request.invalid', { field, detail: issue.message });
  }
}

/** A check's refusal, in the catalogue's words: `.regex(HEX, keyed('errors.request.id'))`. */
export const keyed = (key: MessageKey) => ({ error: key });

/** Adds a refusal in the catalogue's words to a transform's or a refinement's context. */
export function refuse(context: { addIssue: (issue: z.core.$ZodRawIssue) => void }, key: MessageKey, params: Record<string, string> = {}): typeof z.NEVER {
  context.addIssue({ code: 'custom', message: key, params, input: undefined });
  return z.NEVER;
}

/** A MongoDB id (24 hex digits), parsed. */
export const objectId = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, keyed('errors.request.id'))
  .transform((value) => new ObjectId(value));

/** `:id` of a route, parsed. */
export const idParams = z.strictObject({ id: objectId });

/** `:job` of a route: a job's name (an unknown one is a 404, from `findJob`). */
export const jobParams = z.strictObject({ job: z.string() });

/** A query string's page size: a whole number from 1 to `max`, `fallback` when absent. */
export const pageLimit = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** An ISO 8601 time in a query string, parsed. */
export const time = z
  .string()
  .trim()
  .min(1)
  .transform((value, context) => {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? refuse(context, 'errors.request.time', { value }) : date;
  });
