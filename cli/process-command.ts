import type { Client } from '@temporalio/client';
import type { Config } from '../infra/config/config';
import type { Logger } from '../infra/logging/logger';
import { serveProcessHealth, type ProcessDependencies, type ProcessHealth } from '../infra/metrics/process-health';
import { DEFAULT_METRICS_PORTS, type MetricsProcessKind } from '../infra/metrics/ports';
import { connectMongo, type MongoHandle } from '../infra/mongo/client';
import { createLifecycle, type Lifecycle, type StartedWork } from '../infra/process/lifecycle';
import { closeTemporalClient, connectTemporalClient } from '../infra/temporal/connection';
import { loadCliContext } from './context';

/**
 * What a long-running command's start receives: its configuration and logger, its lifecycle,
 * and the clients every such process opens, each registered for shutdown as it is acquired
 * (so whatever the start got before it failed is closed again, in reverse order).
 */
export interface ProcessScope {
  config: Config;
  logger: Logger;
  lifecycle: Lifecycle;
  /** Connects to MongoDB as `crawlflow-<component>`. */
  mongo(): Promise<MongoHandle>;
  temporal(): Promise<Client>;
  /** The metrics and health endpoints (bridge, web, feeder), checking `dependencies` on `/readyz`. */
  health(dependencies: ProcessDependencies): Promise<ProcessHealth>;
}

export interface ProcessCommandOptions {
  /**
   * Runs after the configuration loaded and before the bounded start: work whose length
   * PROCESS_START_TIMEOUT_SECONDS must not cap (`crawlflow up` installing the stack). @default none
   */
  beforeStart?: (context: { config: Config; logger: Logger }) => Promise<void>;
  /** Added to the shutdown timeout, for a process that waits on children stopping with their own. @default 0 */
  extraShutdownMs?: number;
}

/** The lifecycle's timings from the configuration (PROCESS_* variables). */
export function lifecycleTimings(config: Config): { startTimeoutMs: number; dependencyLossMs: number; shutdownTimeoutMs: number } {
  return { ...config.process };
}

/**
 * The start-up of every long-running command in one place: load the configuration (a bad
 * variable exits 2), then run `start` under the process lifecycle — bounded start, SIGINT and
 * SIGTERM, dependencies watched while running, ordered shutdown, exit status.
 */
export async function runProcessCommand(
  component: string,
  start: (scope: ProcessScope) => Promise<StartedWork | void>,
  options: ProcessCommandOptions = {},
): Promise<void> {
  const { config, logger } = loadCliContext(component);
  await options.beforeStart?.({ config, logger });
  const timings = lifecycleTimings(config);
  const lifecycle = createLifecycle({
    name: component,
    logger,
    ...timings,
    shutdownTimeoutMs: timings.shutdownTimeoutMs + (options.extraShutdownMs ?? 0),
  });
  const scope: ProcessScope = {
    config,
    logger,
    lifecycle,
    async mongo() {
      const mongo = await connectMongo(config.mongo, { appName: `crawlflow-${component}` });
      lifecycle.onShutdown('mongodb', () => mongo.client.close());
      return mongo;
    },
    async temporal() {
      const client = await connectTemporalClient(config.temporal);
      lifecycle.onShutdown('temporal client', () => closeTemporalClient(client));
      return client;
    },
    async health(dependencies) {
      if (!isHealthKind(component)) throw new Error(`no metrics port is defined for ${component}`);
      const health = await serveProcessHealth(component, config, logger, dependencies);
      lifecycle.onShutdown('metrics and health endpoints', () => health.close());
      return health;
    },
  };
  await lifecycle.run(() => start(scope));
}

function isHealthKind(name: string): name is Exclude<MetricsProcessKind, `worker-${string}`> {
  return name in DEFAULT_METRICS_PORTS && !name.startsWith('worker-');
}
