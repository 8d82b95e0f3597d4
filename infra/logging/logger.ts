import pino, { type Logger } from 'pino';
import type { Config } from '../config/config';
import { currentLogContext } from './log-context';

export type { Logger };

/**
 * The one logger of every crawlflow process: JSON lines for machines, pretty on a terminal.
 * Every line written inside a Temporal activity names its workflow id, run id, activity type
 * and attempt, and every line inside `withLogContext({ messageId, job }, …)` names those too
 * (./log-context), so no code has to thread ids into its log calls. Children still work for
 * context that is not async-scoped (`logger.child({ queue })`).
 */
export function createLogger(
  options: Config['log'],
  bindings: Record<string, unknown> = {},
  /** Where JSON lines go (tests capture them). @default stderr */
  destination?: pino.DestinationStream,
): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY === true);
  return pino(
    {
      level: options.level,
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The call's own metadata wins over the ambient context.
      mixin: currentLogContext,
      // Temporal's loggers put the failure under `error`: keep its message, type and stack.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination ??
      (pretty
        ? pino.transport({ target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l' } })
        : pino.destination({ dest: 2, sync: false })),
  );
}
