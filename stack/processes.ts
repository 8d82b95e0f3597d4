import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackPaths } from './paths';

/** Starting, finding and stopping the stack's background processes through pid files. */

export function pidFile(paths: StackPaths, service: string): string {
  return join(paths.run, `${service}.pid`);
}

export function logFile(paths: StackPaths, service: string): string {
  return join(paths.logs, `${service}.log`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A pid file as the stack writes it: two lines, the pid and the executable it started
 * (`12345\n/usr/bin/java\n`). Undefined when there is none or it is not in that shape.
 */
export function readPidFile(paths: StackPaths, service: string): { pid: number; command: string | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(pidFile(paths, service), 'utf8');
  } catch {
    return undefined;
  }
  const [pidLine, command] = text.split('\n');
  const pid = Number(pidLine?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, command: command?.trim() || undefined };
}

/** The pid the stack recorded for a service, if that process is still alive. */
export function runningPid(paths: StackPaths, service: string): number | undefined {
  const recorded = readPidFile(paths, service);
  if (!recorded || !isAlive(recorded.pid)) return undefined;
  // After a reboot the recorded pid may belong to an unrelated process, and a process that
  // died but was not reaped yet has no command line: either way it is not the service.
  const actual = commandOf(recorded.pid);
  return recorded.command && actual !== undefined && actual !== recorded.command ? undefined : recorded.pid;
}

/** The executable a process was started with (Linux /proc), if it can be read. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
}

export interface StartOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
}

/** Starts a detached process in its own process group, logging to the service's log file. */
export function startDetached(paths: StackPaths, service: string, options: StartOptions): number {
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.run, { recursive: true });
  const log = openSync(logFile(paths, service), 'a');
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    if (child.pid === undefined) throw new Error(`could not start ${service}: ${options.command}`);
    child.unref();
    writeFileSync(pidFile(paths, service), `${child.pid}\n${options.command}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Stops a process group the stack started: SIGTERM, then SIGKILL after the grace period. */
export async function stopProcess(paths: StackPaths, service: string, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(paths, service);
  rmSyncQuiet(pidFile(paths, service));
  if (pid === undefined) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(pid)) await sleep(200);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function rmSyncQuiet(path: string): void {
  rmSync(path, { force: true });
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it resolves true or the deadline passes; the last error explains a failure. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  isStillStarting: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (!isStillStarting()) break;
    await sleep(500);
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s${reason}`);
}
