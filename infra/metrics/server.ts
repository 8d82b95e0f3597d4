import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging/logger';
import { labelProcessMetrics, metricsRegistry } from './metrics';
import { hostPort } from './ports';
import { runReadinessChecks, type ReadinessCheck } from './readiness';

export interface MetricsServerOptions {
  /** Names this process: the `process` label on every crawlflow series (`worker-io`, `bridge`, `web`). */
  processName: string;
  /** Address to listen on (config.metrics.host). */
  host: string;
  /** Port to listen on; 0 asks the OS for a free one. See `resolveMetricsPort`. */
  port: number;
  /**
   * When `port` is taken, warn and listen on a free port instead of failing: for default
   * ports (METRICS_PORT=0), never for one the operator chose.
   * @default false
   */
  fallbackToFreePort?: boolean;
  logger: Logger;
  /**
   * More exposition text appended to `/metrics` — the Temporal SDK exporter's series in
   * worker processes (`temporalSdkMetricsSource`).
   * @default none
   */
  extraMetrics?: () => Promise<string>;
  /** How long `/readyz` waits for each dependency. @default 3000 */
  checkTimeoutMs?: number;
}

export interface MetricsServer {
  /** `http://host:port` the server answers on. */
  readonly url: string;
  readonly port: number;
  /**
   * Declares the process started and what it depends on. Until this is called `/readyz`
   * answers 503 "starting"; afterwards it answers 200 only when every check passes.
   */
  setReadinessChecks(checks: readonly ReadinessCheck[]): void;
  /** Stops listening; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text), `/healthz` (the process is alive: always 200 while it
 * runs) and `/readyz` (its dependencies answer: 200, or 503 naming what is down).
 * Start it first thing in a process, so liveness answers during start-up too.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  labelProcessMetrics(options.processName);
  let checks: readonly ReadinessCheck[] | undefined;
  const startedAt = Date.now();

  const routes: Record<string, (response: ServerResponse) => Promise<void>> = {
    '/metrics': async (response) => {
      const own = await metricsRegistry.metrics();
      const extra = options.extraMetrics ? await options.extraMetrics() : '';
      response.writeHead(200, { 'content-type': metricsRegistry.contentType });
      response.end(extra ? `${own}\n${extra}` : own);
    },
    '/healthz': async (response) => {
      sendJson(response, 200, { status: 'alive', process: options.processName, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
    },
    '/readyz': async (response) => {
      if (!checks) {
        sendJson(response, 503, { ready: false, process: options.processName, starting: true, checks: [] });
        return;
      }
      const results = await runReadinessChecks(checks, options.checkTimeoutMs);
      const ready = results.every((result) => result.ok);
      sendJson(response, ready ? 200 : 503, { ready, process: options.processName, checks: results });
    },
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = request.method === 'GET' || request.method === 'HEAD' ? routes[path] : undefined;
    if (!route) {
      sendJson(response, 404, { error: `no route ${request.method} ${path}; try /metrics, /healthz or /readyz` });
      return;
    }
    route(response).catch((error: unknown) => {
      options.logger.error({ err: error, path }, 'metrics endpoint failed');
      if (!response.headersSent) sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });
  // Scrapers keep connections open; never let one hold up shutdown.
  server.keepAliveTimeout = 5_000;

  try {
    await listen(server, options.host, options.port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (!options.fallbackToFreePort) {
      throw new Error(`metrics port ${hostPort(options.host, options.port)} is already in use; set METRICS_PORT to a free port`, { cause: error });
    }
    options.logger.warn({ port: options.port }, 'default metrics port in use; listening on a free port instead');
    await listen(server, options.host, 0);
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostPort(options.host, port)}`;
  options.logger.info({ url, process: options.processName }, 'metrics and health endpoints listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    setReadinessChecks(next) {
      checks = [...next];
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`${JSON.stringify(body)}\n`);
}

/**
 * Reads the Temporal SDK exporter's `/metrics` at `address` (host:port) for `extraMetrics`.
 * When it does not answer, the scrape still succeeds with crawlflow's own series.
 */
export function temporalSdkMetricsSource(address: string, timeoutMs = 2_000): () => Promise<string> {
  return async () => {
    try {
      const response = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) return `# Temporal SDK exporter at ${address} answered ${response.status}\n`;
      return await response.text();
    } catch (error) {
      return `# Temporal SDK exporter at ${address} did not answer: ${error instanceof Error ? error.message : String(error)}\n`;
    }
  };
}
