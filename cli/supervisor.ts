import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../domain/logging/logger';

export interface SupervisedProcess {
  name: string;
  args: string[];
}

/**
 * Runs crawlflow's processes as children of `crawlflow up`: each line they log is prefixed
 * with the process name, a crashed child is restarted with backoff, and SIGINT/SIGTERM stop
 * them all gracefully.
 */
export async function supervise(entry: string, processes: SupervisedProcess[], logger: Logger): Promise<void> {
  let stopping = false;
  const children = new Map<string, ChildProcess>();

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
      void sleep(delayMs).then(() => {
        if (!stopping) launch(spec, nextRestarts);
      });
    });
  };

  for (const spec of processes) launch(spec, 0);
  logger.info({ processes: processes.map((spec) => spec.name) }, 'crawlflow processes started; Ctrl-C stops them');

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping crawlflow processes');
      const exits = [...children.values()].map(
        (child) => new Promise<void>((done) => (child.exitCode !== null ? done() : child.once('exit', () => done()))),
      );
      for (const child of children.values()) child.kill('SIGTERM');
      const force = setTimeout(() => {
        for (const child of children.values()) child.kill('SIGKILL');
      }, 30_000);
      void Promise.all(exits).then(() => {
        clearTimeout(force);
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
