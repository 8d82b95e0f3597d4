import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** The innermost failure's type and message: what a person needs in the failure record. */
export function describeFailure(error: unknown): { type: string; message: string } {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof ApplicationFailure) return { type: current.type ?? 'Error', message: current.message };
  if (current instanceof Error) return { type: current.name, message: current.message };
  return { type: 'Error', message: String(current) };
}
