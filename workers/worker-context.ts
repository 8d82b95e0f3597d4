import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../infra/config/config';
import type { Logger } from '../infra/logging/logger';
import type { ReadinessCheck } from '../infra/metrics/readiness';

/** What every worker file receives: configuration and the process's shared connection. */
export interface WorkerContext {
  config: Config;
  logger: Logger;
  connection: NativeConnection;
}

/** A started worker plus the clients it owns, closed after the worker stops. */
export interface RunnableWorker {
  queue: string;
  /**
   * Readiness checks through the clients this worker's activities use (its MongoDB client, the
   * io worker's producer): `/readyz` reports what does the work, not clients of its own.
   */
  readiness: readonly ReadinessCheck[];
  run(): Promise<void>;
  /** Asks the worker to drain and stop; `run()` resolves when it has. */
  shutdown(): void;
  /** Closes the worker's own clients; safe to call twice. */
  close(): Promise<void>;
}

/** Runs each close step in its own try/catch so one failure never skips the rest. */
export function closeAll(logger: Logger, steps: Array<[string, () => Promise<unknown> | unknown]>): () => Promise<void> {
  let closed: Promise<void> | undefined;
  return () => {
    closed ??= (async () => {
      for (const [what, step] of steps) {
        try {
          await step();
        } catch (error) {
          logger.warn({ err: error, what }, 'error while closing');
        }
      }
    })();
    return closed;
  };
}
