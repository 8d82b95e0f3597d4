import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** What an activity failure wraps: the failure the activity itself raised (the error as it is otherwise). */
export function innermostFailure(error: unknown): unknown {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  return current;
}

/** The innermost failure's type and message: what a person needs in the failure record. */
export function describeFailure(error: unknown): { type: string; message: string } {
  const current = innermostFailure(error);
  if (current instanceof ApplicationFailure) return { type: current.type ?? 'Error', message: current.message };
  if (current instanceof Error) return { type: current.name, message: current.message };
  return { type: 'Error', message: String(current) };
}

/**
 * The position an activity named in its failure (`details: [{ index }]`): the one request of
 * a batch that can never pass, so a batch can go on without it.
 */
export function failureIndex(error: unknown): number | undefined {
  const current = innermostFailure(error);
  if (!(current instanceof ApplicationFailure)) return undefined;
  const detail: unknown = current.details?.[0];
  const index = typeof detail === 'object' && detail !== null ? (detail as { index?: unknown }).index : undefined;
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 ? index : undefined;
}
