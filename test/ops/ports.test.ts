import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../infra/config/config';
import { DEFAULT_METRICS_PORTS, resolveMetricsPort, temporalSdkMetricsAddress } from '../../infra/metrics/ports';

const root = resolve(__dirname, '../..');
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; ports?: string[] }>;
};
const prometheus = parse(readFileSync(resolve(root, 'ops/prometheus/prometheus.yml'), 'utf8')) as {
  scrape_configs: Array<{
    static_configs?: Array<{ targets: string[] }>;
    dns_sd_configs?: Array<{ names: string[]; type: string; port: number }>;
  }>;
};

/** The metrics port kind of a compose service's crawlflow command, if it is a long-running one. */
function kindOf(command: string[] = []): keyof typeof DEFAULT_METRICS_PORTS | undefined {
  const kind = command[0] === 'worker' ? `worker-${command[2]}` : command[0];
  return kind !== undefined && kind in DEFAULT_METRICS_PORTS ? (kind as keyof typeof DEFAULT_METRICS_PORTS) : undefined;
}

describe('metrics ports', () => {
  it('default per process, explicit when METRICS_PORT is set, with the SDK exporter 10 above', () => {
    const defaults = loadConfig({}).metrics;
    assert.equal(resolveMetricsPort(defaults, 'worker-io'), 9465);
    assert.equal(resolveMetricsPort(defaults, 'bridge'), 9468);
    const explicit = loadConfig({ METRICS_PORT: '19000' }).metrics;
    assert.equal(resolveMetricsPort(explicit, 'worker-io'), 19000);
    assert.equal(temporalSdkMetricsAddress(explicit, 19000), '127.0.0.1:19010');
    assert.equal(new Set(Object.values(DEFAULT_METRICS_PORTS)).size, Object.keys(DEFAULT_METRICS_PORTS).length, 'no two processes share a port');
  });

  it('docker-compose publishes each process on its port, and Prometheus scrapes each one (every replica)', () => {
    // A scaled service's DNS name answers with every replica: Prometheus discovers them by it.
    const targets = prometheus.scrape_configs.flatMap((config) => [
      ...(config.static_configs ?? []).flatMap((entry) => entry.targets),
      ...(config.dns_sd_configs ?? []).flatMap((entry) => entry.names.map((name) => `${name}:${entry.port}`)),
    ]);
    const processes = Object.entries(compose.services).flatMap(([name, service]) => {
      const kind = kindOf(service.command);
      return kind ? [{ name, port: DEFAULT_METRICS_PORTS[kind], ports: service.ports ?? [] }] : [];
    });
    assert.ok(processes.length >= 6, 'workers, bridge and feeder are in docker-compose.yml');
    for (const { name, port, ports } of processes) {
      assert.ok(
        ports.includes(`127.0.0.1:${port}:${port}`) || ports.includes(`127.0.0.1::${port}`),
        `${name} publishes ${port} on loopback (a scalable service on a free host port per replica)`,
      );
      assert.ok(targets.includes(`${name}:${port}`), `Prometheus scrapes ${name}:${port}`);
    }
  });
});
