import { lstatSync, readlinkSync } from 'node:fs';
import type { SandboxLimits } from './limits';
import type { SandboxIdentity } from './sandbox-user';

/** How a script is confined: bubblewrap plus rlimits, or rlimits only. */
export type SandboxKind = 'bwrap' | 'limits';

/** Where the script lives inside a bwrap sandbox (a read-only bind of its private temp dir). */
export const BWRAP_SCRIPT_DIR = '/sandbox';
/** The script's writable scratch space inside a bwrap sandbox: its own tmpfs, also $HOME. */
export const BWRAP_TMP_DIR = '/tmp';

export interface SandboxCommandOptions {
  kind: SandboxKind;
  /** Interpreter path and its arguments, e.g. `/usr/bin/python3 -I -B`. */
  interpreter: { path: string; args: readonly string[] };
  /** The host directory holding the script (bound read-only at {@link BWRAP_SCRIPT_DIR} under bwrap). */
  scriptDir: string;
  /** The script's file name inside `scriptDir`. */
  scriptName: string;
  /** limits mode only: the host directory the script may write to (cwd, $HOME, $TMPDIR). */
  workDir: string;
  /** The unprivileged account to switch to; undefined when this process cannot switch (not root). */
  identity: SandboxIdentity | undefined;
  limits: SandboxLimits;
  /** Let the script reach the network (bwrap: share the host's network namespace). @default false */
  network?: boolean;
}

export interface SandboxCommand {
  file: string;
  args: string[];
  /** The complete environment of the spawned process: nothing of crawlflow's leaks in. */
  env: Record<string, string>;
  cwd: string;
  /**
   * bwrap only: the file descriptor bwrap writes `{"child-pid": N}` to, N being the sandbox's
   * init process (pid 1 of its namespace). Killing it tears the whole namespace down, and
   * bwrap exits only once every process in it is gone.
   */
  infoFd?: number;
}

const BWRAP_INFO_FD = 3;

/** The only environment a script sees. */
export function scriptEnvironment(home: string): Record<string, string> {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, TMPDIR: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
}

/**
 * The command line that runs a script: `[bwrap …] prlimit … setpriv … interpreter script`.
 * rlimits are set (soft = hard) by prlimit before the switch to the sandbox user, so the
 * script can only lower them; setpriv then drops root, every capability and the right to
 * gain privileges, and makes the script die with its parent.
 */
export function buildSandboxCommand(options: SandboxCommandOptions): SandboxCommand {
  const inner = [...rlimitPrefix(options.limits), ...switchUserPrefix(options.identity)];
  if (options.kind === 'limits') {
    const script = `${options.scriptDir}/${options.scriptName}`;
    const [file, ...args] = [...inner, options.interpreter.path, ...options.interpreter.args, script];
    return { file: file!, args, env: scriptEnvironment(options.workDir), cwd: options.workDir };
  }
  const script = `${BWRAP_SCRIPT_DIR}/${options.scriptName}`;
  return {
    file: 'bwrap',
    args: [
      ...bwrapArgs({ network: options.network ?? false, tmpBytes: options.limits.tmpBytes, scriptDir: options.scriptDir, userNamespace: !options.identity }),
      '--info-fd',
      String(BWRAP_INFO_FD),
      '--',
      ...inner,
      options.interpreter.path,
      ...options.interpreter.args,
      script,
    ],
    env: {},
    cwd: '/',
    infoFd: BWRAP_INFO_FD,
  };
}

/**
 * bubblewrap's half: new mount, pid, ipc, uts and (unless allowed) network namespaces; a
 * read-only /usr (and its /bin, /lib… links); a fresh /proc, /dev and size-capped /tmp; the
 * script's directory read-only; a cleared environment. As root no user namespace is made
 * (setpriv inside switches to the sandbox user; a user namespace would map only root); as an
 * ordinary user bwrap needs one to work at all.
 */
export function bwrapArgs(options: { network: boolean; tmpBytes: number; scriptDir?: string; userNamespace: boolean }): string[] {
  const args = [
    ...(options.userNamespace ? ['--unshare-user'] : []),
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(options.network ? [] : ['--unshare-net']),
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--hostname',
    'sandbox',
    '--ro-bind',
    '/usr',
    '/usr',
    ...systemLinks(),
    ...ETC_ALWAYS.flatMap((path) => ['--ro-bind-try', path, path]),
    ...(options.network ? ETC_NETWORK.flatMap((path) => ['--ro-bind-try', path, path]) : []),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '1777',
    '--size',
    String(options.tmpBytes),
    '--tmpfs',
    BWRAP_TMP_DIR,
    ...(options.scriptDir ? ['--ro-bind', options.scriptDir, BWRAP_SCRIPT_DIR] : []),
    '--chdir',
    BWRAP_TMP_DIR,
  ];
  for (const [name, value] of Object.entries(scriptEnvironment(BWRAP_TMP_DIR))) args.push('--setenv', name, value);
  return args;
}

// What scripts commonly need from /etc: the dynamic linker's cache, `alternatives` links
// (awk, editors…), the time zone. Nothing with secrets or user names.
const ETC_ALWAYS = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime'];
// Name resolution and TLS roots, only for generators allowed the network.
const ETC_NETWORK = ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/gai.conf', '/etc/ssl', '/etc/ca-certificates', '/etc/pki'];

/** /bin, /lib, /lib64, /sbin as the host has them: links into /usr (merged /usr) or directories. */
function systemLinks(): string[] {
  const args: string[] = [];
  for (const path of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else if (stat.isDirectory()) args.push('--ro-bind', path, path);
    } catch {
      // absent on this system
    }
  }
  return args;
}

function rlimitPrefix(limits: SandboxLimits): string[] {
  return [
    '/usr/bin/prlimit',
    // CPU: SIGXCPU at the limit, SIGKILL a little later if the script ignores it.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`,
    `--as=${limits.memoryBytes}`,
    `--nproc=${limits.maxProcesses}`,
    `--nofile=${limits.maxOpenFiles}`,
    `--fsize=${limits.maxFileBytes}`,
    '--core=0',
    '--',
  ];
}

function switchUserPrefix(identity: SandboxIdentity | undefined): string[] {
  if (!identity) return [];
  return [
    '/usr/bin/setpriv',
    `--reuid=${identity.uid}`,
    `--regid=${identity.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--pdeathsig=KILL',
    '--',
  ];
}
