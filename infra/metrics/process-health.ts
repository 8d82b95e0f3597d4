import type { Db } from 'mongodb';
import type { Config } from '../config/config';
import { createKafka } from '../kafka/kafka';
import type { Logger } from '../logging/logger';
import { consumerGroupLag } from './consumer-lag';
import { metrics, observeLabelledGauge } from './metrics';
import { resolveMetricsPort, usesDefaultMetricsPorts, type MetricsProcessKind } from './ports';
import { kafkaReadiness, mongoReadiness, temporalReadiness, type ReadinessCheck } from './readiness';
import { startMetricsServer, type MetricsServer } from './server';

/** What a process depends on; `/readyz` checks each one given. */
export interface ProcessDependencies {
  /** The process's Temporal connection (`client.connection`). */
  temporal?: { workflowService: { getSystemInfo(request: object): Promise<unknown> } };
  /** The process's MongoDB database. */
  db?: Db;
  /** Check Kafka (with a small admin client of its own). @default false */
  kafka?: boolean;
  /** Checks through the clients that do the process's work (the feeder's producer), beside the above. @default none */
  clients?: readonly ReadinessCheck[];
  /** Export the bridge group's lag on the input topic as `crawlflow_bridge_consumer_lag_messages`. Implies `kafka`. @default false */
  consumerLag?: boolean;
}

/**
 * The metrics and health endpoints of a non-worker process (bridge, web), in one call:
 * listens on METRICS_HOST and its port (the per-process default when METRICS_PORT is 0),
 * checks the given dependencies on `/readyz`. `close()` stops it and its own clients.
 *
 * ```ts
 * const health = await serveProcessHealth('bridge', config, logger, { temporal: client.connection, db, consumerLag: true });
 * // … on shutdown, after the work stopped:
 * await health.close();
 * ```
 */
export interface ProcessHealth extends MetricsServer {
  /** The readiness checks `/readyz` runs: what the process's lifecycle watches while it runs. */
  readonly checks: readonly ReadinessCheck[];
}

export async function serveProcessHealth(
  kind: Exclude<MetricsProcessKind, `worker-${string}`>,
  config: Config,
  logger: Logger,
  dependencies: ProcessDependencies,
): Promise<ProcessHealth> {
  const server = await startMetricsServer({
    processName: kind,
    host: config.metrics.host,
    port: resolveMetricsPort(config.metrics, kind),
    fallbackToFreePort: usesDefaultMetricsPorts(config.metrics),
    logger,
  });
  const checks: ReadinessCheck[] = [];
  if (dependencies.temporal) checks.push(temporalReadiness(dependencies.temporal));
  if (dependencies.db) checks.push(mongoReadiness(dependencies.db));
  const admin =
    dependencies.kafka || dependencies.consumerLag
      ? createKafka(config.kafka, logger, `${kind}-health`, { retry: { retries: 0 } }).admin({ retry: { retries: 0 } })
      : undefined;
  if (admin) checks.push(kafkaReadiness(admin));
  checks.push(...(dependencies.clients ?? []));
  if (admin && dependencies.consumerLag) {
    const { consumerGroup, inputTopic } = config.kafka;
    observeLabelledGauge(metrics.bridgeConsumerLag, async () => {
      await admin.connect();
      const partitions = await consumerGroupLag(admin, consumerGroup, inputTopic);
      return partitions.map(({ partition, lag }) => ({ labels: { topic: inputTopic, partition: String(partition) }, value: lag }));
    });
  }
  server.setReadinessChecks(checks);

  let closed: Promise<void> | undefined;
  return {
    ...server,
    checks,
    close() {
      closed ??= (async () => {
        if (dependencies.consumerLag) observeLabelledGauge(metrics.bridgeConsumerLag, undefined);
        await server.close();
        await admin?.disconnect().catch(() => undefined);
      })();
      return closed;
    },
  };
}
