import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreeMetricsPort } from '../../infra/metrics/ports';

const CLI = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');

export interface ProcessSpec {
  name: string;
  args: string[];
}

interface Running {
  spec: ProcessSpec;
  port: number;
  child: ChildProcess;
  startedAt: number;
  /** Restarts in a row of a process that kept dying quickly (for the back-off). */
  quickRestarts: number;
}

/**
 * crawlflow's processes as `crawlflow up` runs them — children of this process, one per
 * spec, a crashed one restarted with back-off (1 s, 2 s, 4 s … 30 s) — plus what a chaos run
 * needs: kill one with SIGKILL, and know when it answers /readyz again. Every child logs to
 * one file; each gets a metrics port of its own so its readiness can be asked.
 */
export function createProcessGroup(env: Record<string, string>, logPath: string) {
  const running = new Map<string, Running>();
  const unexpectedExits: Array<{ name: string; code: number | null; signal: NodeJS.Signals | null; at: number }> = [];
  const expectedKills = new Set<ChildProcess>();
  let stopping = false;

  const launch = (spec: ProcessSpec, port: number, quickRestarts: number): void => {
    const log = openSync(logPath, 'a');
    const child = spawn(process.execPath, [CLI, ...spec.args], {
      env: { ...process.env, ...env, METRICS_PORT: String(port) },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const entry: Running = { spec, port, child, startedAt: Date.now(), quickRestarts };
    running.set(spec.name, entry);
    child.once('exit', (code, signal) => {
      if (stopping || expectedKills.has(child)) return;
      unexpectedExits.push({ name: spec.name, code, signal, at: Date.now() });
      const next = Date.now() - entry.startedAt > 60_000 ? 0 : quickRestarts + 1;
      const delayMs = Math.min(30_000, 1000 * 2 ** Math.min(next, 5));
      process.stderr.write(`  ${spec.name} exited by itself (code ${code}, signal ${signal}); restarting in ${delayMs} ms\n`);
      void sleep(delayMs).then(() => {
        if (!stopping && running.get(spec.name)?.child === child) launch(spec, port, next);
      });
    });
  };

  const exited = (child: ChildProcess) =>
    new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));

  // However the benchmark ends — a second Ctrl-C exits at once, a crash — no child outlives it.
  process.once('exit', () => {
    for (const entry of running.values()) if (entry.child.exitCode === null && entry.child.signalCode === null) entry.child.kill('SIGKILL');
  });

  const group = {
    async start(specs: ProcessSpec[]): Promise<void> {
      for (const spec of specs) launch(spec, await findFreeMetricsPort('127.0.0.1'), 0);
    },

    /** Resolves once the process answers /readyz with 200 (it started its work and its dependencies answer). */
    async ready(name: string, timeoutMs = 180_000): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const entry = running.get(name);
        if (entry) {
          const status = await fetch(`http://127.0.0.1:${entry.port}/readyz`, { signal: AbortSignal.timeout(3000) }).then(
            (response) => response.status,
            () => 0,
          );
          if (status === 200) return Date.now();
        }
        await sleep(250);
      }
      throw new Error(`${name} did not become ready within ${timeoutMs / 1000} s; see ${logPath}`);
    },

    /** kill -9, then a restart after 1 s, as `crawlflow up` restarts a process that ran a while. */
    async killHard(name: string): Promise<void> {
      const entry = running.get(name);
      if (!entry) throw new Error(`no process ${name}`);
      expectedKills.add(entry.child);
      entry.child.kill('SIGKILL');
      await exited(entry.child);
      await sleep(1000);
      launch(entry.spec, entry.port, 0);
    },

    names: (): string[] => [...running.keys()],
    unexpectedExits: () => unexpectedExits,

    async stop(): Promise<void> {
      stopping = true;
      const children = [...running.values()].map((entry) => entry.child);
      for (const child of children) child.kill('SIGTERM');
      const force = setTimeout(() => children.forEach((child) => child.kill('SIGKILL')), 30_000);
      await Promise.all(children.map(exited));
      clearTimeout(force);
    },
  };
  return group;
}

export type ProcessGroup = ReturnType<typeof createProcessGroup>;
