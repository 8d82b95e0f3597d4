import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../logging/logger';
import { probeBwrap, type BwrapAvailability } from './bwrap-probe';
import { CappedOutput } from './capped-output';
import type { SandboxLimits } from './limits';
import { LineSplitter, type SplitLine } from '../text/lines';
import { buildSandboxCommand, type SandboxKind } from './sandbox-command';
import { canSwitchUser, ensureSandboxUser, type SandboxIdentity } from './sandbox-user';
import { INTERPRETERS, type ScriptLanguage } from './script-language';

/** `auto`: bwrap where it runs, else limits only (saying why); `bwrap`: bwrap or fail; `limits`: rlimits only. */
export type SandboxMode = 'auto' | 'bwrap' | 'limits';

/** How a run ended. Only `succeeded` is a successful run. */
export const ScriptOutcome = {
  Succeeded: 'succeeded',
  /** Exited non-zero or was killed by a kernel limit (CPU, file size…). */
  Failed: 'failed',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
  OutputLimit: 'output_limit',
  /** The sandbox could not be set up or the process not started. */
  NotStarted: 'not_started',
} as const;
export type ScriptOutcome = (typeof ScriptOutcome)[keyof typeof ScriptOutcome];

export interface RunScriptOptions {
  code: string;
  language: ScriptLanguage;
  limits: SandboxLimits;
  /** @default 'auto' */
  mode?: SandboxMode;
  /** The unprivileged user to run as (created if missing) when this process is root. */
  user: string;
  /** Let the script reach the network. @default false */
  network?: boolean;
  /** Aborting kills the script's whole process group; the run ends as `cancelled`. */
  signal?: AbortSignal;
  /**
   * Receives stdout lines in batches while the script runs. The next chunk is not read until
   * the returned promise settles, so a slow consumer slows the script (pipe backpressure)
   * instead of filling memory. If it throws, the script is killed and the error rethrown.
   */
  onLines: (lines: SplitLine[]) => Promise<void> | void;
  logger: Logger;
  /** Where private temp dirs are made. @default os.tmpdir() */
  tmpRoot?: string;
}

export interface ScriptResult {
  outcome: ScriptOutcome;
  /** Why the run did not succeed, for the run log; empty when it succeeded. */
  reason: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The kept part of stderr (see `maxStderrBytes`). */
  stderr: string;
  stderrBytes: number;
  stdoutBytes: number;
  stdoutLines: number;
  durationMs: number;
  sandbox: SandboxKind | 'none';
  /** Set when `auto` fell back to limits only, or the run could not switch user: why. */
  sandboxNote?: string;
}

/** The result of a script that never ran (no sandbox, no output), for `reason`. */
export function scriptNotRun(reason: string, durationMs: number): ScriptResult {
  return {
    outcome: ScriptOutcome.NotStarted,
    reason,
    exitCode: null,
    signal: null,
    stderr: '',
    stderrBytes: 0,
    stdoutBytes: 0,
    stdoutLines: 0,
    durationMs,
    sandbox: 'none',
  };
}

/** Grace for stdio to close after the process exits (a leftover child may hold the pipe). */
const CLOSE_GRACE_MS = 2000;

/**
 * Runs an untrusted script in a sandbox and streams its stdout lines to `onLines`. The script
 * is written into a private temporary directory that is removed afterwards, whatever happens;
 * the whole process group is killed on timeout, cancellation, output overflow and when the
 * script exits (so nothing it started outlives the run).
 *
 * Never throws for what the script does (that is the result's `outcome`); rethrows what
 * `onLines` throws, after the script is killed and cleaned up.
 */
export async function runSandboxedScript(options: RunScriptOptions): Promise<ScriptResult> {
  const started = Date.now();
  const notStarted = (reason: string): ScriptResult => scriptNotRun(reason, Date.now() - started);
  if (options.signal?.aborted) return { ...notStarted('cancelled before it started'), outcome: ScriptOutcome.Cancelled };

  let identity: SandboxIdentity | undefined;
  let userNote: string | undefined;
  if (canSwitchUser()) {
    try {
      identity = await ensureSandboxUser(options.user, options.logger);
    } catch (error) {
      return notStarted((error as Error).message);
    }
  } else {
    userNote = `crawlflow is not root, so the script runs as the worker's own user (uid ${process.getuid?.()}); the process limit counts that user's processes`;
  }

  const chosen = await chooseSandbox(options.mode ?? 'auto', () => probeBwrap({ userNamespace: !identity }));
  if ('error' in chosen) return notStarted(chosen.error);
  const sandboxNote = [chosen.note, userNote].filter(Boolean).join('; ') || undefined;
  if (sandboxNote) options.logger.warn({ sandbox: chosen.kind, note: sandboxNote }, 'generator script sandbox weaker than bwrap as an unprivileged user');

  const dir = await mkdtemp(join(options.tmpRoot ?? tmpdir(), 'crawlflow-script-'));
  try {
    const interpreter = INTERPRETERS[options.language];
    const scriptName = `script${interpreter.extension}`;
    const workDir = join(dir, 'work');
    await prepareDirectory(dir, workDir, scriptName, options.code, identity);
    const command = buildSandboxCommand({
      kind: chosen.kind,
      interpreter,
      scriptDir: join(dir, 'script'),
      scriptName,
      workDir,
      identity,
      limits: options.limits,
      network: options.network ?? false,
    });
    const child = spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      stdio: command.infoFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its own process group, so one kill(-pid) reaches everything it started.
      detached: true,
    });
    const sandboxInit = command.infoFd === undefined ? undefined : readSandboxInitPid(child, command.infoFd);
    const result = await superviseChild(child, options, sandboxInit);
    return { ...result, durationMs: Date.now() - started, sandbox: chosen.kind, ...(sandboxNote ? { sandboxNote } : {}) };
  } finally {
    await rm(dir, { recursive: true, force: true }).catch((error: unknown) =>
      options.logger.warn({ err: error, dir }, 'could not remove a generator script temp dir'),
    );
  }
}

/** The sandbox a run gets under `mode`, given whether bwrap works here; `note` says why it is weaker. */
export async function chooseSandbox(
  mode: SandboxMode,
  bwrapAvailability: () => Promise<BwrapAvailability>,
): Promise<{ kind: SandboxKind; note?: string } | { error: string }> {
  if (mode === 'limits') return { kind: 'limits', note: 'SANDBOX_MODE=limits: resource limits only, no bwrap' };
  const bwrap = await bwrapAvailability();
  if (bwrap.ok) return { kind: 'bwrap' };
  if (mode === 'bwrap') return { error: `SANDBOX_MODE=bwrap but ${bwrap.reason}` };
  return { kind: 'limits', note: `${bwrap.reason}; resource limits only` };
}

/**
 * `<dir>/script/<name>` read-only for the sandbox user; `<dir>/work` its writable directory in
 * limits mode. The temp dir stays closed to every other user.
 */
async function prepareDirectory(dir: string, workDir: string, scriptName: string, code: string, identity: SandboxIdentity | undefined): Promise<void> {
  const scriptDir = join(dir, 'script');
  await mkdir(scriptDir, { mode: 0o750 });
  await mkdir(workDir, { mode: 0o700 });
  await writeFile(join(scriptDir, scriptName), code, { mode: 0o640 });
  if (identity) {
    // root owns the script (the sandbox user reads it through its group); the work dir is the user's.
    await chown(dir, 0, identity.gid);
    await chmod(dir, 0o750);
    await chown(scriptDir, 0, identity.gid);
    await chown(join(scriptDir, scriptName), 0, identity.gid);
    await chown(workDir, identity.uid, identity.gid);
  }
}

type ChildResult = Omit<ScriptResult, 'durationMs' | 'sandbox' | 'sandboxNote'>;

/** The host pid of the bwrap sandbox's init, once bwrap has written it to its info fd. */
function readSandboxInitPid(child: ChildProcess, fd: number): { pid?: number } {
  const holder: { pid?: number } = {};
  const stream = child.stdio[fd] as NodeJS.ReadableStream | null | undefined;
  if (!stream) return holder;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
    const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
    if (match) holder.pid = Number(match[1]);
  });
  stream.on('error', () => undefined);
  return holder;
}

async function superviseChild(child: ChildProcess, options: RunScriptOptions, sandboxInit?: { pid?: number }): Promise<ChildResult> {
  const { limits, logger } = options;
  let stopReason: { outcome: ScriptOutcome; reason: string } | undefined;
  let hasExited = false;
  const signal = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  const killGroup = () => {
    if (child.pid !== undefined) signal(-child.pid);
  };
  const stop = (outcome: ScriptOutcome, reason: string) => {
    stopReason ??= { outcome, reason };
    // Under bwrap, kill the namespace's init: bwrap then exits once all of it is gone. Its pid
    // cannot be reused before bwrap (its parent) has reaped it, i.e. before bwrap exits.
    if (sandboxInit?.pid !== undefined && !hasExited) signal(sandboxInit.pid);
    else killGroup();
  };

  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, exitSignal) => {
      hasExited = true;
      // Whatever the script left running in its group dies with it.
      killGroup();
      resolve({ code, signal: exitSignal });
    }),
  );
  // A leftover process that escaped the group (limits mode) may hold the pipes open.
  void exited.then(() => {
    setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, CLOSE_GRACE_MS).unref();
  });

  const timer = setTimeout(
    () => stop(ScriptOutcome.TimedOut, `timed out after ${limits.wallTimeSeconds} s of wall time`),
    limits.wallTimeSeconds * 1000,
  );
  const onAbort = () => stop(ScriptOutcome.Cancelled, 'cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const stderr = new CappedOutput(limits.maxStderrBytes);
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stderr?.on('error', () => undefined);

  const splitter = new LineSplitter({ maxLineLength: limits.maxLineLength });
  let stdoutBytes = 0;
  let stdoutLines = 0;
  let consumerError: unknown;
  const deliver = async (lines: SplitLine[]) => {
    if (lines.length === 0) return;
    stdoutLines += lines.length;
    await options.onLines(lines);
  };
  try {
    const started = await Promise.race([
      spawnError.then((error) => ({ error })),
      new Promise<{ error?: undefined }>((resolve) => child.once('spawn', () => resolve({}))),
    ]);
    if (started.error) {
      hasExited = true; // it never ran
      return { exitCode: null, signal: null, stderr: '', stderrBytes: 0, stdoutBytes: 0, stdoutLines: 0, outcome: ScriptOutcome.NotStarted, reason: `could not start the script: ${started.error.message}` };
    }
    try {
      for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
        if (stopReason) break;
        if (stdoutBytes + chunk.length > limits.maxOutputBytes) {
          const within = chunk.subarray(0, limits.maxOutputBytes - stdoutBytes);
          stdoutBytes += within.length;
          stop(ScriptOutcome.OutputLimit, `printed more than ${limits.maxOutputBytes} bytes (the output limit)`);
          // The last, cut line is incomplete: it is not delivered.
          await deliver(splitter.push(within));
          break;
        }
        stdoutBytes += chunk.length;
        await deliver(splitter.push(chunk));
      }
    } catch (error) {
      // A consumer failure kills the run; a destroyed pipe (see CLOSE_GRACE_MS) just ends the read.
      if (!isPrematureClose(error)) {
        consumerError = error;
        stop(ScriptOutcome.Failed, `stopped: ${(error as Error).message}`);
      }
    }
    if (!stopReason && consumerError === undefined) {
      try {
        await deliver(splitter.end());
      } catch (error) {
        consumerError = error;
      }
    }
    child.stdout?.destroy();
    const { code, signal: exitSignal } = await exited;
    if (consumerError !== undefined) throw consumerError;
    const outcome = stopReason?.outcome ?? (code === 0 ? ScriptOutcome.Succeeded : ScriptOutcome.Failed);
    const reason = stopReason?.reason ?? (code === 0 ? '' : describeExit(code, exitSignal));
    const kept = stderr.text();
    if (outcome !== ScriptOutcome.Succeeded) logger.info({ outcome, reason, stderrBytes: stderr.total }, 'generator script run did not succeed');
    return { outcome, reason, exitCode: code, signal: exitSignal, stderr: kept, stderrBytes: stderr.total, stdoutBytes, stdoutLines };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (!hasExited) {
      // Only reached when something threw before the process ended: make sure it does.
      stop(ScriptOutcome.Failed, 'stopped');
      await exited;
    }
    killGroup();
  }
}

// bwrap reports a child killed by signal N as exit status 128 + N.
const SIGNAL_MEANINGS: Record<number, string> = {
  9: 'SIGKILL (killed; a hard CPU-time limit ends this way)',
  11: 'SIGSEGV (crashed)',
  24: 'SIGXCPU (its CPU-time limit)',
  25: 'SIGXFSZ (its file-size limit)',
  6: 'SIGABRT (aborted; often out of memory)',
};
const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGSEGV: 11, SIGXCPU: 24, SIGXFSZ: 25, SIGABRT: 6 };

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  const signalNumber = signal ? SIGNAL_NUMBERS[signal] : code !== null && code > 128 && code < 160 ? code - 128 : undefined;
  if (signalNumber !== undefined || signal) {
    return `killed by signal ${signalNumber !== undefined ? (SIGNAL_MEANINGS[signalNumber] ?? signalNumber) : signal}`;
  }
  return `exited with code ${code}`;
}

function isPrematureClose(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
}
