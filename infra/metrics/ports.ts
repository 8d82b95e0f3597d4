import { createServer, type AddressInfo } from 'node:net';
import type { Config } from '../config/config';

/**
 * Default metrics/health port of each long-running process, used when METRICS_PORT is 0, so
 * several processes on one host never collide. A worker process serving several queues uses
 * the port of the first queue it was given (`--queue all` → 9464).
 * The web server keeps its metrics off its public port (WEB_PORT may face users).
 * When a default port is taken (two workers for one queue on a host, parallel tests) the
 * process logs a warning and listens on a free port instead; an explicit METRICS_PORT that is
 * taken is an error.
 */
export const DEFAULT_METRICS_PORTS = {
  'worker-workflows': 9464,
  'worker-io': 9465,
  'worker-cpu': 9466,
  'worker-sandbox': 9467,
  bridge: 9468,
  web: 9469,
  feeder: 9470,
} as const;

export type MetricsProcessKind = keyof typeof DEFAULT_METRICS_PORTS;

/**
 * The Temporal SDK's own Prometheus exporter (worker processes only) listens on the metrics
 * port plus this offset (9474–9477 by default). crawlflow's `/metrics` also includes its
 * series, so scraping the crawlflow port alone is enough.
 */
export const TEMPORAL_SDK_METRICS_PORT_OFFSET = 10;

/** The port this process's metrics server listens on. */
export function resolveMetricsPort(config: Config['metrics'], kind: MetricsProcessKind): number {
  return config.port === 0 ? DEFAULT_METRICS_PORTS[kind] : config.port;
}

/** True when METRICS_PORT is 0: a taken default port falls back to a free one. */
export function usesDefaultMetricsPorts(config: Config['metrics']): boolean {
  return config.port === 0;
}

/** A port nothing listens on at `host` right now (the OS picks it). */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A free port for METRICS_PORT whose Temporal SDK exporter port (+10) is free too (tests, tooling). */
export async function findFreeMetricsPort(host: string): Promise<number> {
  for (;;) {
    const port = await findFreePort(host);
    const sdkPortFree = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port + TEMPORAL_SDK_METRICS_PORT_OFFSET, host, () => probe.close(() => resolve(true)));
    });
    if (sdkPortFree) return port;
  }
}

/** `host:port` of the Temporal SDK exporter beside a metrics server on `metricsPort`. */
export function temporalSdkMetricsAddress(config: Config['metrics'], metricsPort: number): string {
  return hostPort(config.host, metricsPort + TEMPORAL_SDK_METRICS_PORT_OFFSET);
}

/** `host:port`, with an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
