import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;

/**
 * Routes the Temporal runtime's logs (worker, workflow and activity loggers) into crawlflow's
 * pino logger. Must run once per process, before the first worker is created.
 */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const temporalLogger = logger.child({ source: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const { message, level, meta } = entry;
      temporalLogger[LEVELS[level]]({ ...(meta ?? {}) }, message);
    }),
    // SIGINT/SIGTERM make every worker in this process drain and stop.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
}
