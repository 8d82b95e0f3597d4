import type { z } from 'zod';
import { HttpProblem } from './errors';

/**
 * Parses a request part (query, body, params) with a zod schema; a 400 names each field that
 * is wrong and why (`step: Invalid option: expected one of "fetch"|"tag"…`).
 */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown, where: 'query' | 'body' | 'params'): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : where}: ${issue.message}`);
  // The first field at fault, for a page to mark: `body.priority`, or an unknown `body.crom`.
  const first = result.error.issues[0]!;
  const unknownKey = first.code === 'unrecognized_keys' ? first.keys[0] : undefined;
  const field = [where, ...first.path.map(String), ...(unknownKey !== undefined ? [unknownKey] : [])].join('.');
  throw new HttpProblem(400, 'bad_request', problems.join('; '), field);
}
