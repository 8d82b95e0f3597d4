import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../logging/logger';

const run = promisify(execFile);

/** The unprivileged account scripts run as. */
export interface SandboxIdentity {
  name: string;
  uid: number;
  gid: number;
}

/** No unprivileged account could be found or made: crawlflow never runs scripts as root. */
export class SandboxUserError extends Error {
  override readonly name = 'SandboxUserError';
  constructor(
    message: string,
    readonly user: string,
  ) {
    super(message);
  }
}

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const known = new Map<string, Promise<SandboxIdentity>>();

/** True when this process may switch users (it runs as root). */
export function canSwitchUser(): boolean {
  return process.getuid?.() === 0;
}

/**
 * The sandbox user's uid and gid, creating it (`useradd --system`, no home, no login shell,
 * its own group) when it is missing. Only root can switch to it, so call this only when
 * {@link canSwitchUser}. Idempotent and safe to race with another worker creating it too.
 * Resolved once per process and user name.
 *
 * @throws {SandboxUserError} when the name is not a valid user name, the account resolves to
 *   root, or it cannot be created.
 */
export function ensureSandboxUser(name: string, logger: Logger): Promise<SandboxIdentity> {
  let identity = known.get(name);
  if (!identity) {
    identity = resolveOrCreate(name, logger);
    identity.catch(() => known.delete(name));
    known.set(name, identity);
  }
  return identity;
}

async function resolveOrCreate(name: string, logger: Logger): Promise<SandboxIdentity> {
  if (!USER_NAME.test(name)) {
    throw new SandboxUserError(`SANDBOX_USER "${name}" is not a valid user name (lowercase letters, digits, _ and -)`, name);
  }
  let identity = await lookUpUser(name);
  if (!identity) {
    try {
      await run('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', name]);
      logger.info({ user: name }, 'created the sandbox user generator scripts run as');
    } catch (error) {
      // Exit code 9: another worker created it first.
      if ((error as { code?: unknown }).code !== 9) {
        throw new SandboxUserError(`cannot create the sandbox user "${name}" with useradd: ${(error as Error).message}`, name);
      }
    }
    identity = await lookUpUser(name);
  }
  if (!identity) throw new SandboxUserError(`the sandbox user "${name}" does not exist after useradd`, name);
  if (identity.uid === 0 || identity.gid === 0) {
    throw new SandboxUserError(`the sandbox user "${name}" is root (uid ${identity.uid}, gid ${identity.gid}): choose an unprivileged user`, name);
  }
  return identity;
}

async function lookUpUser(name: string): Promise<SandboxIdentity | undefined> {
  try {
    const { stdout } = await run('getent', ['passwd', name]);
    const [, , uid, gid] = stdout.trim().split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  } catch (error) {
    if ((error as { code?: unknown }).code === 2) return undefined; // getent: key not found
    throw error;
  }
}
