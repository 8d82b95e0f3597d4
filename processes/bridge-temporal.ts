import { Client } from '@temporalio/client';
import type { Config } from '../infra/config/config';
import type { Logger } from '../infra/logging/logger';
import { closeTemporalClient, connectTemporalClient, connectWorkerConnection } from '../infra/temporal/connection';
import { installTemporalRuntime } from '../infra/temporal/runtime';
import { createWorkflowsWorker } from '../workers/workflows-worker';
import { closeAll } from '../workers/worker-context';

/** The bridge's Temporal side: the client it starts runs with, and whether it starts them eagerly. */
export interface BridgeTemporal {
  client: Client;
  /** True when `client` shares its NativeConnection with a workflows worker of this process. */
  eagerStart: boolean;
  /**
   * Rejects when the bridge's own workflows worker fails (the process should then exit and be
   * restarted); never settles otherwise. @default never settles without a worker
   */
  failed: Promise<never>;
  /** Stops the worker (it finishes the workflow tasks it holds), then closes the connection. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * With `TEMPORAL_EAGER_START` (the default) the bridge process runs a workflows worker and
 * starts message runs through a client on that worker's NativeConnection, asking for eager
 * start: the server answers the start with the run's first workflow task, which this worker
 * runs at once — no poll and no matching hop for the step that schedules the fetch. A run
 * whose eager task is lost with the process (kill -9) loses nothing: the server times the task
 * out (the workflow task timeout, 10 s) and puts it on the workflows queue, where any
 * workflows worker takes it. Without the flag: an ordinary client.
 */
export async function openBridgeTemporal(config: Config, logger: Logger): Promise<BridgeTemporal> {
  if (!config.temporal.eagerStart) {
    const client = await connectTemporalClient(config.temporal);
    return { client, eagerStart: false, failed: new Promise<never>(() => undefined), close: () => closeTemporalClient(client) };
  }
  await installTemporalRuntime(logger);
  const connection = await connectWorkerConnection(config.temporal);
  let running: Promise<void> | undefined;
  let shutdown: (() => void) | undefined;
  let closeWorkerClients: (() => Promise<void>) | undefined;
  const close = closeAll(logger, [
    [
      'bridge workflows worker',
      async () => {
        shutdown?.();
        await running?.catch(() => undefined);
        await closeWorkerClients?.();
      },
    ],
    ['temporal connection', () => connection.close()],
  ]);
  try {
    const worker = await createWorkflowsWorker({ config, logger: logger.child({ queue: 'workflows', in: 'bridge' }), connection });
    closeWorkerClients = () => worker.close();
    shutdown = () => {
      try {
        worker.shutdown();
      } catch {
        // not running any more
      }
    };
    running = worker.run();
    const failed = running.then(
      () => new Promise<never>(() => undefined),
      (error: unknown) => {
        throw error;
      },
    );
    const client = new Client({ connection, namespace: config.temporal.namespace });
    return { client, eagerStart: true, failed, close };
  } catch (error) {
    await close();
    throw error;
  }
}
