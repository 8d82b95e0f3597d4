import { ConfigError, loadConfig, type Config } from '../infra/config/config';
import { createLogger, type Logger } from '../infra/logging/logger';

export interface CliContext {
  config: Config;
  logger: Logger;
}

/** Error for a bad command line or input: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Loads configuration once per command; a bad variable ends the command with its name. */
export function loadCliContext(component: string): CliContext {
  const config = loadConfig();
  return { config, logger: createLogger(config.log, { component }) };
}

/** Turns a failed command into a clear message and exit code instead of a stack trace. */
export function reportCommandError(error: unknown): void {
  if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`crawlflow: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`crawlflow: ${message}\n`);
  process.exitCode = 1;
}
