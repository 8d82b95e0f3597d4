import type { Logger } from '../infra/logging/logger';
import { sandboxLimits, type SandboxLimits } from '../infra/sandbox/limits';
import { runSandboxedScript, type RunScriptOptions, type SandboxMode, type ScriptResult } from '../infra/sandbox/run-script';
import { detectScriptLanguage } from '../infra/sandbox/script-language';
import type { Generator } from '../store/generators';

/** How the sandbox worker runs generator scripts (SANDBOX_MODE, SANDBOX_USER, limits). */
export interface GeneratorSandbox {
  mode: SandboxMode;
  /** The unprivileged user scripts run as (SANDBOX_USER). */
  user: string;
  /** Limits beyond the defaults (the wall time comes from the generator). */
  limits?: Partial<Omit<SandboxLimits, 'wallTimeSeconds'>>;
}

/**
 * Runs a generator's code the one way both a run and a test run it: its language (shebang
 * first), the worker's sandbox and limits, the generator's network permission. Throws
 * UnsupportedScriptError for code that is no script crawlflow runs.
 */
export function runGeneratorScript(
  generator: Pick<Generator, 'code' | 'language' | 'networkAllowed'>,
  options: {
    sandbox: GeneratorSandbox;
    wallTimeSeconds: number;
    signal: AbortSignal;
    logger: Logger;
    onLines: RunScriptOptions['onLines'];
    /** Replaceable in tests only. @default runSandboxedScript */
    runScript?: typeof runSandboxedScript;
  },
): Promise<ScriptResult> {
  const run = options.runScript ?? runSandboxedScript;
  return run({
    code: generator.code,
    language: detectScriptLanguage(generator.code, generator.language),
    limits: sandboxLimits({ ...options.sandbox.limits, wallTimeSeconds: options.wallTimeSeconds }),
    mode: options.sandbox.mode,
    user: options.sandbox.user,
    network: generator.networkAllowed,
    signal: options.signal,
    logger: options.logger,
    onLines: options.onLines,
  });
}
