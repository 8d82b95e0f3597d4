import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stackProfile, type StackProfile } from '../infra/config/stack-profile';
import { stackHome, stackPaths } from './paths';
import type { Logger } from '../infra/logging/logger';
import { logFile, runningPid, stopProcess, waitUntil, portOpen } from './processes';
import { clusterServices } from './cluster-services';
import { devServices, type StackService } from './services';
import { createSupervisionState, type ServiceSupervisionRecord } from './supervision-state';
import { superviseServices, type GiveUpReport, type ServiceSupervisor, type ServiceSupervisorOptions } from './supervision';

/**
 * The local stack of real services on loopback, without Docker: install, start, wait,
 * report, stop. Two profiles (infra/config/stack-profile.ts): dev (Temporal dev server,
 * Kafka, FerretDB, MailDev) and cluster (Temporal server on PostgreSQL with its Web UI,
 * three Kafka brokers, FerretDB, MailDev), each with its own ports and state.
 */

const repoRoot = resolve(__dirname, '..');

export function say(line: string): void {
  process.stderr.write(`[stack] ${line}\n`);
}

/** The stack of one profile; `stack` below is the one CRAWLFLOW_STACK_PROFILE names. */
export function createStack(profile: StackProfile) {
  const paths = stackPaths(stackHome(), profile);
  const services = profile === 'cluster' ? clusterServices(paths, repoRoot) : devServices(paths, repoRoot);
  const supervisionState = createSupervisionState(paths);

  function select(names: string[]): StackService[] {
    if (names.length === 0) return services;
    const unknown = names.filter((name) => !services.some((service) => service.name === name));
    if (unknown.length > 0) {
      throw new Error(`unknown service ${unknown.join(', ')}; the stack has ${services.map((s) => s.name).join(', ')}`);
    }
    return services.filter((service) => names.includes(service.name));
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
    // Services start in parallel; one that depends on others starts once they answer.
    const bringingUp = new Map<string, Promise<void>>();
    const dependency = (name: string): Promise<void> => {
      const pending = bringingUp.get(name);
      if (pending) return pending;
      const service = services.find((candidate) => candidate.name === name);
      if (!service) return Promise.reject(new Error(`unknown dependency ${name}`));
      // Not selected: it must already answer (started earlier, or by someone else).
      return waitUntil(name, () => service.ready(), service.startTimeoutMs).catch((error: Error) => {
        throw new Error(`${error.message}: start it first (npm run stack${profile === 'dev' ? '' : ` -- --profile ${profile}`} up ${name})`);
      });
    };
    const bringUp = async (service: StackService): Promise<void> => {
      let pid = runningPid(paths, service.name);
      if (pid === undefined) {
        await Promise.all((service.dependsOn ?? []).map(dependency));
        if (await portOpen(service.port.host, service.port.port)) {
          say(`${service.name}: something else already listens on ${service.port.host}:${service.port.port}; using it`);
        } else {
          await service.prepare?.();
          pid = service.start();
          say(`started ${service.name} (pid ${pid}), log ${logFile(paths, service.name)}`);
        }
      }
      await waitFor(service, pid);
    };
    for (const service of selected) bringingUp.set(service.name, bringUp(service));
    await Promise.all(bringingUp.values());
  }

  async function waitFor(service: StackService, pid: number | undefined): Promise<void> {
    await waitUntil(
      service.name,
      () => service.ready(),
      service.startTimeoutMs,
      () => pid === undefined || runningPid(paths, service.name) !== undefined,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; see ${logFile(paths, service.name)}`);
    });
    await service.afterReady?.();
    // Running again: whatever a supervisor recorded about it giving up no longer holds.
    if (supervisionState.read()[service.name]?.state === 'given-up') supervisionState.clear(service.name);
    say(`${service.name} ready: ${service.endpoints.join(', ')}`);
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
    process.stdout.write(`\nstack home: ${paths.home}${profile === 'dev' ? '' : ` (profile ${profile}: state in ${dirname(paths.data)})`}\n`);
    return allUp;
  }

  function logs(selected: StackService[]): void {
    for (const service of selected) {
      const file = logFile(paths, service.name);
      process.stdout.write(`${service.name.padEnd(10)} ${file}${existsSync(file) ? '' : ' (not written yet)'}\n`);
    }
    process.stdout.write(`\nFollow one with: tail -f ${logFile(paths, '<service>')}\n`);
  }

  /**
   * The pid of a service the stack started, read from its pid file (two lines: pid, command),
   * on stdout alone so that `kill $(npm run --silent stack -- pid kafka)` works. False when it
   * is not running.
   */
  function pid(service: StackService): boolean {
    const running = runningPid(paths, service.name);
    if (running === undefined) {
      say(`${service.name} is not running (no live process in ${join(paths.run, `${service.name}.pid`)})`);
      return false;
    }
    process.stdout.write(`${running}\n`);
    return true;
  }

  /**
   * Restarts the stack's services that die while `crawlflow up` runs (stack/supervision.ts).
   * Only services this script started are supervised: one that something else runs on its port
   * is that something's business.
   */
  function supervise(
    logger: Logger,
    options: {
      onGiveUp?: (report: GiveUpReport) => Promise<void>;
      /** @default every service */
      only?: readonly StackService[];
    } & Pick<ServiceSupervisorOptions, 'checkIntervalMs'> = {},
  ): ServiceSupervisor {
    const { only = services, ...supervisorOptions } = options;
    const ours = only.filter((service) => runningPid(paths, service.name) !== undefined);
    const others = only.filter((service) => !ours.includes(service));
    if (others.length > 0) {
      logger.info({ services: others.map((service) => service.name) }, 'not supervising stack services this script did not start');
    }
    return superviseServices({
      ...supervisorOptions,
      logger,
      state: supervisionState,
      services: ours.map((service) => ({
        name: service.name,
        logFile: logFile(paths, service.name),
        isRunning: () => runningPid(paths, service.name) !== undefined,
        restart: () => up([service]),
        isResponsive: () => (service.healthy ?? service.ready).call(service),
        kill: () => {
          const pid = runningPid(paths, service.name);
          if (pid !== undefined) process.kill(pid, 'SIGKILL');
        },
      })),
    });
  }

  /** Services `crawlflow up` gave up restarting that are still not running (for `crawlflow status`). */
  function givenUp(): Array<{ service: string } & ServiceSupervisionRecord> {
    return Object.entries(supervisionState.read())
      .filter(([name, record]) => record.state === 'given-up' && runningPid(paths, name) === undefined)
      .map(([service, record]) => ({ service, ...record }));
  }

  return { profile, paths, services, select, install, up, down, status, logs, pid, supervise, supervisionState, givenUp };
}

export type Stack = ReturnType<typeof createStack>;

/** The stack of the profile CRAWLFLOW_STACK_PROFILE names (dev when unset). */
export const stack: Stack = createStack(stackProfile());
