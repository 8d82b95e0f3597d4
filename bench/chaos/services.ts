import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stackPaths } from '../../stack/paths';

const execFileAsync = promisify(execFile);
const STACK = resolve(__dirname, '..', '..', 'bin', 'stack.js');

/** The stack's services a chaos run may take down. */
export const FAULTY_SERVICES = ['kafka', 'temporal', 'mongodb'] as const;
export type FaultyService = (typeof FAULTY_SERVICES)[number];

/** `stop`: the stack script's `down` (SIGTERM, a clean stop). `kill`: SIGKILL from its pid file, a crash. */
export type ServiceFaultMode = 'stop' | 'kill';

/** `npm run stack -- <command> <service>`; its output goes to the run's log. */
async function stackCommand(command: 'up' | 'down', service: string): Promise<void> {
  await execFileAsync(process.execPath, [STACK, command, service], { timeout: 300_000 });
}

/** The pid the stack recorded for a service (pid file: two lines, pid and command). */
function recordedPid(service: string): number {
  const [pidLine] = readFileSync(join(stackPaths().run, `${service}.pid`), 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid recorded for ${service}`);
  return pid;
}

/**
 * Takes a service down (stop or kill), keeps it down for `downMs`, starts it again through
 * the stack script and resolves when it answers (the script waits until it is ready).
 */
export async function restartService(service: FaultyService, mode: ServiceFaultMode, downMs: number): Promise<void> {
  if (mode === 'kill') {
    const pid = recordedPid(service);
    try {
      process.kill(-pid, 'SIGKILL'); // the stack starts each service in its own process group
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  } else {
    await stackCommand('down', service);
  }
  await sleep(downMs);
  await stackCommand('up', service);
}

/** Brings every service up (a no-op for those running): the run never leaves the stack broken. */
export async function ensureStackUp(): Promise<void> {
  await execFileAsync(process.execPath, [STACK, 'up'], { timeout: 900_000 });
}
