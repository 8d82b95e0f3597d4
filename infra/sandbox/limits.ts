/**
 * Resource limits of one sandboxed script run. Wall time is enforced from Node (a timer that
 * kills the whole process group); CPU time, memory, processes, open files and file size are
 * kernel rlimits set with `prlimit` before the script starts; output bytes and line length
 * are counted by the reader of the script's stdout.
 */
export interface SandboxLimits {
  /**
   * Wall-clock seconds before the run is killed. The seed's "at most 5 minutes".
   * @default 300 (GENERATOR_TIMEOUT_SECONDS, or the generator's own timeout)
   */
  wallTimeSeconds: number;
  /**
   * CPU seconds (RLIMIT_CPU); SIGXCPU, then SIGKILL a few seconds later.
   * @default the wall time
   */
  cpuSeconds: number;
  /**
   * Address space in bytes (RLIMIT_AS): allocations beyond it fail (Python raises MemoryError).
   * @default 1 GiB
   */
  memoryBytes: number;
  /**
   * Processes and threads of the sandbox user (RLIMIT_NPROC). Counted per user across the
   * system, which is why scripts run as a dedicated unprivileged user.
   * @default 64
   */
  maxProcesses: number;
  /** Open file descriptors (RLIMIT_NOFILE). @default 256 */
  maxOpenFiles: number;
  /** Largest file the script may write (RLIMIT_FSIZE). @default 64 MiB */
  maxFileBytes: number;
  /** Size of the script's writable temporary directory (a tmpfs under bwrap). @default 128 MiB */
  tmpBytes: number;
  /**
   * Bytes of stdout read before the run is killed as over its output limit. Enough for a
   * few million URIs.
   * @default 512 MiB
   */
  maxOutputBytes: number;
  /**
   * Longest stdout line in characters; a longer one is reported as overlong (and not kept
   * in memory) instead of as a URI. URIs themselves are limited to 8000 characters.
   * @default 16384
   */
  maxLineLength: number;
  /** Bytes of stderr kept for the run log (its beginning and its end). @default 64 KiB */
  maxStderrBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  wallTimeSeconds: 300,
  cpuSeconds: 300,
  memoryBytes: 1024 * MiB,
  maxProcesses: 64,
  maxOpenFiles: 256,
  maxFileBytes: 64 * MiB,
  tmpBytes: 128 * MiB,
  maxOutputBytes: 512 * MiB,
  maxLineLength: 16_384,
  maxStderrBytes: 64 * 1024,
});

/**
 * The defaults with `overrides` applied; the CPU limit follows the wall time unless it is
 * given. Every value must be a positive whole number.
 *
 * @throws {RangeError} naming the bad limit.
 */
export function sandboxLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  const wallTimeSeconds = overrides.wallTimeSeconds ?? DEFAULT_SANDBOX_LIMITS.wallTimeSeconds;
  const limits: SandboxLimits = {
    ...DEFAULT_SANDBOX_LIMITS,
    cpuSeconds: wallTimeSeconds,
    ...withoutUndefined(overrides),
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`sandbox limit ${name} must be a positive whole number (got ${String(value)})`);
    }
  }
  return limits;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
