import { ALL_QUEUE_KINDS, QueueKind } from '../common/task-queues';
import type { Config } from '../infra/config/config';
import type { Logger } from '../infra/logging/logger';
import { findFreePort, hostPort, resolveMetricsPort, temporalSdkMetricsAddress, usesDefaultMetricsPorts } from '../infra/metrics/ports';
import { mergeChecksByName, temporalReadiness, type ReadinessCheck } from '../infra/metrics/readiness';
import { startMetricsServer, temporalSdkMetricsSource } from '../infra/metrics/server';
import { observeTaskQueueBacklog } from '../infra/metrics/task-queue-stats';
import { connectWorkerConnection } from '../infra/temporal/connection';
import { installTemporalRuntime } from '../infra/temporal/runtime';
import { createCpuWorker } from './cpu-worker';
import { createIoWorker } from './io-worker';
import { createSandboxWorker } from './sandbox-worker';
import { createWorkflowsWorker } from './workflows-worker';
import { closeAll, type RunnableWorker, type WorkerContext } from './worker-context';

const FACTORIES: Record<QueueKind, (context: WorkerContext) => Promise<RunnableWorker>> = {
  workflows: createWorkflowsWorker,
  io: createIoWorker,
  cpu: createCpuWorker,
  sandbox: createSandboxWorker,
};

export interface RunWorkersOptions {
  /** Stops the workers like SIGTERM does (tests, embedding). @default only signals stop them */
  signal?: AbortSignal;
  /**
   * Called once every worker polls, with where the metrics and health endpoints answer and
   * the readiness checks `/readyz` runs (the process lifecycle watches them).
   */
  onReady?: (info: { metricsUrl: string; checks: readonly ReadinessCheck[] }) => void;
}

/** `worker-io`, or `worker-io+cpu` for a process serving several queues. */
export function workerProcessName(queues: readonly QueueKind[]): string {
  return queues.length === ALL_QUEUE_KINDS.length ? 'worker-all' : `worker-${queues.join('+')}`;
}

/**
 * Runs the workers for the given queues in this process until SIGINT/SIGTERM, sharing one
 * connection, with metrics and health served beside them (docs/operations.md); then closes
 * each worker's clients, the connection, and the metrics server last, in that order.
 */
export async function runWorkers(
  config: Config,
  logger: Logger,
  queues: readonly QueueKind[] = ALL_QUEUE_KINDS,
  options: RunWorkersOptions = {},
): Promise<void> {
  const processName = workerProcessName(queues);
  const fallback = usesDefaultMetricsPorts(config.metrics);
  const metricsServer = await startMetricsServer({
    processName,
    host: config.metrics.host,
    port: resolveMetricsPort(config.metrics, `worker-${queues[0] ?? QueueKind.Workflows}`),
    fallbackToFreePort: fallback,
    logger,
    extraMetrics: () => sdkMetrics(),
  });
  const sdkMetricsAddress = await installTemporalRuntime(logger, {
    metricsBindAddress: temporalSdkMetricsAddress(config.metrics, metricsServer.port),
    processName,
    ...(fallback ? { metricsFallbackBindAddress: async () => hostPort(config.metrics.host, await findFreePort(config.metrics.host)) } : {}),
  });
  const sdkMetrics = sdkMetricsAddress ? temporalSdkMetricsSource(sdkMetricsAddress) : async () => '';
  const workers: RunnableWorker[] = [];
  const steps: Array<[string, () => Promise<unknown> | unknown]> = [['workers', () => Promise.all(workers.map((worker) => worker.close()))]];
  const close = closeAll(logger, steps);
  try {
    const connection = await connectWorkerConnection(config.temporal);
    steps.push(['temporal connection', () => connection.close()]);
    const servedQueues = Object.fromEntries(queues.map((queue) => [queue, config.temporal.taskQueues[queue]]));
    steps.push(['backlog gauges', observeTaskQueueBacklog(connection.workflowService, config.temporal.namespace, servedQueues)]);
    for (const queue of queues) {
      workers.push(await FACTORIES[queue]({ config, logger: logger.child({ queue }), connection }));
    }
    // Through the clients that do the work: the shared connection the workers poll on, each
    // worker's MongoDB client, the io worker's producer (one check per service).
    const checks = mergeChecksByName([temporalReadiness(connection), ...workers.flatMap((worker) => worker.readiness)]);
    metricsServer.setReadinessChecks(checks);
    const stop = () => workers.forEach(safeShutdown);
    options.signal?.addEventListener('abort', stop, { once: true });
    steps.push(['abort listener', () => options.signal?.removeEventListener('abort', stop)]);
    logger.info({ taskQueues: workers.map((worker) => worker.queue), metrics: metricsServer.url }, 'workers polling');
    // One worker failing stops the others too: a half-served process hides the failure.
    const running = workers.map((worker) =>
      worker.run().catch((error: unknown) => {
        logger.error({ err: error, taskQueue: worker.queue }, 'worker failed; stopping the others');
        for (const other of workers) if (other !== worker) safeShutdown(other);
        throw error;
      }),
    );
    if (options.signal?.aborted) stop();
    options.onReady?.({ metricsUrl: metricsServer.url, checks });
    const results = await Promise.allSettled(running);
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
    logger.info('workers stopped');
  } finally {
    steps.push(['metrics server', () => metricsServer.close()]);
    await close();
  }
}

function safeShutdown(worker: RunnableWorker): void {
  try {
    worker.shutdown();
  } catch {
    // not running (yet or any more)
  }
}
