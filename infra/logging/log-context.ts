import { AsyncLocalStorage } from 'node:async_hooks';
import { asyncLocalStorage as activityContextStorage } from '@temporalio/activity';

/**
 * What a log line is about. The logger adds it to every line written while it is in effect,
 * so the code that logs never has to pass ids around (`createLogger`'s mixin reads it).
 */
export interface LogContext {
  workflowId?: string;
  /** The pipeline message (its id, or topic-partition-offset). */
  messageId?: string;
  /** The job a URI, task or generator belongs to. */
  job?: string;
  [key: string]: unknown;
}

const storage = new AsyncLocalStorage<LogContext>();

/**
 * Runs `work` with `context` added to every log line it writes, including lines of the async
 * work it starts. Nests: inner values win.
 *
 * ```ts
 * return withLogContext({ messageId: message.id, job: message.job }, () => tagOne(message));
 * ```
 */
export function withLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...definedOnly(context) }, work);
}

/**
 * The context of the current line: inside a Temporal activity, its workflow id, run id,
 * activity type and attempt (from the SDK's own async context), then anything set with
 * `withLogContext`. Empty outside both.
 */
export function currentLogContext(): LogContext {
  const activity = activityContextStorage.getStore()?.info;
  const own = storage.getStore();
  if (!activity) return own ?? {};
  return {
    // Absent for standalone activities (started by a client, not a workflow).
    ...(activity.workflowExecution
      ? { workflowId: activity.workflowExecution.workflowId, runId: activity.workflowExecution.runId }
      : {}),
    activityType: activity.activityType,
    attempt: activity.attempt,
    ...own,
  };
}

function definedOnly(context: LogContext): LogContext {
  return Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined));
}
