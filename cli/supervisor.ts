import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../infra/logging/logger';

export interface SupervisedProcess {
  name: string;
  args: string[];
}

export interface ProcessSupervisorOptions {
  /** How long a child may take to stop after SIGTERM before it is killed. @default 30_000 */
  stopTimeoutMs?: number;
}

export interface ProcessSupervisor {
  /** Stops every child (SIGTERM, then SIGKILL after the stop timeout) and restarts none; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Runs crawlflow's processes as children of `crawlflow up`: each line they log is prefixed
 * with the process name, and a child that exits is restarted with backoff. A child that
 * cannot start exits non-zero (its own lifecycle bounds the start), so a failed start shows
 * here as a restart, never as a silent outage.
 */
export function startProcessSupervisor(
  entry: string,
  processes: SupervisedProcess[],
  logger: Logger,
  options: ProcessSupervisorOptions = {},
): ProcessSupervisor {
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  let stopping = false;
  const children = new Map<string, ChildProcess>();
  const pendingRestarts = new Set<NodeJS.Timeout>();

  const launch = (spec: SupervisedProcess, restarts: number): void => {
    const child = spawn(process.execPath, [entry, ...spec.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_FORMAT: process.env.LOG_FORMAT ?? 'json' },
    });
    children.set(spec.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stderr.write(`${spec.name.padEnd(16)}| ${line}\n`));
    }
    const started = Date.now();
    child.once('exit', (code, signal) => {
      children.delete(spec.name);
      if (stopping) return;
      // A child that ran a while before dying starts again at once; one that keeps dying backs off.
      const nextRestarts = Date.now() - started > 60_000 ? 0 : restarts + 1;
      const delayMs = Math.min(30_000, 1000 * 2 ** Math.min(nextRestarts, 5));
      logger.error({ process: spec.name, code, signal, restartInMs: delayMs }, 'process exited; restarting');
      const timer = setTimeout(() => {
        pendingRestarts.delete(timer);
        if (!stopping) launch(spec, nextRestarts);
      }, delayMs);
      pendingRestarts.add(timer);
    });
  };

  for (const spec of processes) launch(spec, 0);
  logger.info({ processes: processes.map((spec) => spec.name) }, 'crawlflow processes started; Ctrl-C stops them');

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopping = true;
      stopped ??= (async () => {
        for (const timer of pendingRestarts) clearTimeout(timer);
        pendingRestarts.clear();
        logger.info({ processes: [...children.keys()] }, 'stopping crawlflow processes');
        const exits = [...children.values()].map(
          (child) => new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done()))),
        );
        for (const child of children.values()) child.kill('SIGTERM');
        const force = setTimeout(() => {
          for (const child of children.values()) child.kill('SIGKILL');
        }, stopTimeoutMs);
        await Promise.all(exits);
        clearTimeout(force);
      })();
      return stopped;
    },
  };
}
