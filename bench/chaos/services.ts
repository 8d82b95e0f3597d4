import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stackProfile } from '../../infra/config/stack-profile';
import { stackHome, stackPaths } from '../../stack/paths';

const execFileAsync = promisify(execFile);
const STACK = resolve(__dirname, '..', '..', 'bin', 'stack.js');

/** The profile (CRAWLFLOW_STACK_PROFILE) whose services a run takes down. */
export const PROFILE = stackProfile();

/**
 * The broker that coordinates the bridge's consumer group, whichever of the three that is when
 * the fault comes (the worst broker to lose: besides leading partitions it holds the group,
 * so the bridge must find a new coordinator and rejoin). `kafka-1`…`kafka-3` name one broker.
 */
export const COORDINATOR_BROKER = 'kafka-coordinator';

/**
 * The stack's services a chaos run may take down. On the cluster profile: one of the three
 * Kafka brokers (the group coordinator's), the Temporal server, its PostgreSQL, and MongoDB.
 */
export const FAULTY_SERVICES: readonly string[] = PROFILE === 'cluster' ? [COORDINATOR_BROKER, 'temporal', 'postgresql', 'mongodb'] : ['kafka', 'temporal', 'mongodb'];

/** Services that may be named in --faults without being in the `services` set. */
export const NAMED_SERVICES: readonly string[] = PROFILE === 'cluster' ? ['kafka-1', 'kafka-2', 'kafka-3'] : [];
export type FaultyService = string;

/** `stop`: the stack script's `down` (SIGTERM, a clean stop). `kill`: SIGKILL from its pid file, a crash. */
export type ServiceFaultMode = 'stop' | 'kill';

/**
 * How a service is taken down when `--service-fault` is not given: on the cluster profile a
 * broker and the Temporal server are killed with SIGKILL (a crashed machine), PostgreSQL and
 * MongoDB are restarted cleanly; on the dev profile every service is stopped cleanly.
 */
export function defaultFaultMode(service: FaultyService): ServiceFaultMode {
  return PROFILE === 'cluster' && (service.startsWith('kafka') || service === 'temporal') ? 'kill' : 'stop';
}

/** `npm run stack -- --profile <profile> <command> <service>`; its output goes to the run's log. */
async function stackCommand(command: 'up' | 'down', service: string): Promise<void> {
  await execFileAsync(process.execPath, [STACK, '--profile', PROFILE, command, service], { timeout: 300_000 });
}

/** The pid the stack recorded for a service (pid file: two lines, pid and command). */
function recordedPid(service: string): number {
  const [pidLine] = readFileSync(join(stackPaths(stackHome(), PROFILE).run, `${service}.pid`), 'utf8').split('\n');
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
  await execFileAsync(process.execPath, [STACK, '--profile', PROFILE, 'up'], { timeout: 900_000 });
}
