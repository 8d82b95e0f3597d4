import pino, { type Logger } from 'pino';
import type { Config } from '../config/config';

export type { Logger };

/**
 * The one logger of every crawlflow process: JSON lines for machines, pretty on a terminal.
 * Children carry context (`logger.child({ workflowId, messageId, job })`) so every line that
 * has a workflow, message or job names it.
 */
export function createLogger(options: Config['log'], bindings: Record<string, unknown> = {}): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY === true);
  return pino(
    {
      level: options.level,
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l' } })
      : pino.destination({ dest: 2, sync: false }),
  );
}
