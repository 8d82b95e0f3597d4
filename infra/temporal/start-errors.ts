import { isGrpcServiceError } from '@temporalio/client';
import { ValueError } from '@temporalio/common';
import { ErrorType } from '../../common/error-types';

/** The gRPC status codes this module tells apart (numbers from the gRPC spec). */
const GrpcStatus = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, PERMISSION_DENIED: 7, INTERNAL: 13, UNAUTHENTICATED: 16 } as const;

/**
 * A start crawlflow will not send, or the server refused for good: no retry can make it
 * succeed. `reason` is the server's own words when the server refused it.
 */
export class StartRefusedError extends Error {
  override readonly name = ErrorType.StartRefused;
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`Temporal will not start this workflow: ${reason}`, options);
  }
}

export type StartErrorClass =
  | { permanent: true; reason: string }
  | { permanent: false; reason: string; /** A deployment problem a person must fix (the records wait meanwhile). */ needsOperator: boolean };

/**
 * Sorts a failed `workflow.start` into permanent (this request can never be accepted: the
 * record goes to the dead-letter topic) and transient (the server is down, slow or busy: the
 * record waits and is tried again). Unknown errors count as transient: waiting loses nothing,
 * a dead letter sent in error loses a message's run.
 */
export function classifyStartError(error: unknown): StartErrorClass {
  if (error instanceof StartRefusedError) return { permanent: true, reason: error.reason };
  // The client could not even encode the request (a value JSON cannot carry).
  if (error instanceof ValueError) return { permanent: true, reason: error.message };
  const grpc = grpcCauseOf(error);
  if (!grpc) return { permanent: false, reason: errorText(error), needsOperator: (error as Error)?.name === 'NamespaceNotFoundError' };
  const reason = grpc.details || grpc.message;
  if (grpc.code === GrpcStatus.INVALID_ARGUMENT) {
    // A search attribute the namespace does not know is the deployment's fault, not the
    // record's: every record would be refused the same way until someone registers it.
    if (/no mapping defined for search attribute|search attribute .* is not defined/i.test(reason)) {
      return { permanent: false, reason, needsOperator: true };
    }
    // Payload or memo over the blob limit, a search-attribute value too large, a workflow id
    // too long or malformed: this request never passes.
    return { permanent: true, reason };
  }
  // The server could not even read the request (e.g. a string that is not UTF-8).
  if (grpc.code === GrpcStatus.INTERNAL && /error unmarshalling request/i.test(reason)) return { permanent: true, reason };
  const needsOperator = grpc.code === GrpcStatus.NOT_FOUND || grpc.code === GrpcStatus.PERMISSION_DENIED || grpc.code === GrpcStatus.UNAUTHENTICATED;
  // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, connection refused, …
  return { permanent: false, reason, needsOperator };
}

function grpcCauseOf(error: unknown): { code: number; details: string; message: string } | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(current)) return current as unknown as { code: number; details: string; message: string };
  }
  return undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
