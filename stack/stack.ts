import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { stackPaths } from './paths';
import { logFile, runningPid, stopProcess, waitUntil, portOpen } from './processes';
import { stackServices, type StackService } from './services';

/**
 * The local stack of real services (Temporal dev server, Kafka, FerretDB, MailDev) on
 * loopback, without Docker: install, start, wait, report, stop.
 */

const repoRoot = resolve(__dirname, '..');
const paths = stackPaths();
const services = stackServices(paths, repoRoot);

function select(names: string[]): StackService[] {
  if (names.length === 0) return services;
  const unknown = names.filter((name) => !services.some((service) => service.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown service ${unknown.join(', ')}; the stack has ${services.map((s) => s.name).join(', ')}`);
  }
  return services.filter((service) => names.includes(service.name));
}

export function say(line: string): void {
  process.stderr.write(`[stack] ${line}\n`);
}

async function install(selected: StackService[]): Promise<void> {
  for (const service of selected) {
    if (service.installed()) continue;
    const started = Date.now();
    say(`installing ${service.name} into ${paths.home} (first time only) …`);
    await service.install();
    say(`installed ${service.name} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

async function up(selected: StackService[]): Promise<void> {
  await install(selected);
  const starting: Array<{ service: StackService; pid: number | undefined }> = [];
  for (const service of selected) {
    const pid = runningPid(paths, service.name);
    if (pid !== undefined) {
      starting.push({ service, pid });
      continue;
    }
    if (await portOpen(service.port.host, service.port.port)) {
      say(`${service.name}: something else already listens on ${service.port.host}:${service.port.port}; using it`);
      starting.push({ service, pid: undefined });
      continue;
    }
    const newPid = service.start();
    say(`started ${service.name} (pid ${newPid}), log ${logFile(paths, service.name)}`);
    starting.push({ service, pid: newPid });
  }
  // Services start in parallel; wait for each to really answer.
  await Promise.all(
    starting.map(async ({ service, pid }) => {
      await waitUntil(
        service.name,
        () => service.ready(),
        service.startTimeoutMs,
        () => pid === undefined || runningPid(paths, service.name) !== undefined,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; see ${logFile(paths, service.name)}`);
      });
      await service.afterReady?.();
      say(`${service.name} ready: ${service.endpoints.join(', ')}`);
    }),
  );
}

async function down(selected: StackService[]): Promise<void> {
  for (const service of [...selected].reverse()) {
    const stopped = await stopProcess(paths, service.name);
    say(stopped ? `stopped ${service.name}` : `${service.name} was not started by the stack`);
  }
}

async function status(selected: StackService[]): Promise<boolean> {
  let allUp = true;
  const rows = await Promise.all(
    selected.map(async (service) => {
      const pid = runningPid(paths, service.name);
      const answering = await service.ready().catch(() => false);
      if (!answering) allUp = false;
      const state = answering ? 'up' : pid !== undefined ? 'starting/unhealthy' : 'down';
      return [service.name, state, pid === undefined ? '-' : String(pid), service.endpoints.join(', ')];
    }),
  );
  const header = ['service', 'state', 'pid', 'address'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  for (const row of [header, ...rows]) {
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}\n`);
  }
  process.stdout.write(`\nstack home: ${paths.home}\n`);
  return allUp;
}

function logs(selected: StackService[]): void {
  for (const service of selected) {
    const file = logFile(paths, service.name);
    process.stdout.write(`${service.name.padEnd(10)} ${file}${existsSync(file) ? '' : ' (not written yet)'}\n`);
  }
  process.stdout.write(`\nFollow one with: tail -f ${logFile(paths, '<service>')}\n`);
}

export const stack = { paths, services, select, install, up, down, status, logs };
