import { execFile } from 'node:child_process';
import { bwrapArgs } from './sandbox-command';

/** Whether bubblewrap can build a sandbox on this machine, and if not, why. */
export type BwrapAvailability = { ok: true } | { ok: false; reason: string };

let probed: Promise<BwrapAvailability> | undefined;

/**
 * Runs `/usr/bin/true` in a sandbox built exactly like a script's (minus the script), once per
 * process: bwrap may be missing, or present but refused namespaces (a container without the
 * privileges, user namespaces switched off).
 */
export function probeBwrap(options: { userNamespace: boolean }): Promise<BwrapAvailability> {
  probed ??= new Promise((resolve) => {
    const args = [...bwrapArgs({ network: false, tmpBytes: 1024 * 1024, userNamespace: options.userNamespace }), '--', '/usr/bin/true'];
    execFile('bwrap', args, { env: {}, timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve({ ok: true });
      const code = (error as { code?: unknown }).code;
      const detail = code === 'ENOENT' ? 'bwrap is not installed (Debian package bubblewrap)' : stderr.trim() || error.message;
      resolve({ ok: false, reason: `bwrap cannot run here: ${detail.slice(0, 500)}` });
    });
  });
  return probed;
}
