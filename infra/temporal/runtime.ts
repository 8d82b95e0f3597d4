import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export interface TemporalRuntimeOptions {
  /**
   * `host:port` for the SDK's Prometheus exporter (worker task slots, poll latency,
   * schedule-to-start latency, activity and workflow task counters…), served on `/metrics`.
   * Names get Prometheus suffixes (`_total`, `_seconds`) and durations are in seconds.
   * @default no exporter
   */
  metricsBindAddress?: string;
  /** Added as a `process` label on every SDK series, like crawlflow's own. @default none */
  processName?: string;
  /**
   * Where the exporter goes when `metricsBindAddress` is taken (for default ports only).
   * @default none: a taken address fails the install
   */
  metricsFallbackBindAddress?: () => Promise<string>;
}

/**
 * The SDK's default latency buckets jump from 10 s to 60 s and 100 s, so a p99 of a queue
 * backing up reads as "about a minute" whatever it is; these keep seconds-level resolution.
 */
const LATENCY_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
const LATENCY_BUCKET_OVERRIDES = Object.fromEntries(
  ['workflow_task_schedule_to_start_latency', 'activity_schedule_to_start_latency', 'activity_execution_latency', 'workflow_task_execution_latency'].map(
    (name) => [name, LATENCY_SECONDS],
  ),
);

/**
 * The SDK warns about each half of a worker it does not poll. crawlflow runs one worker per
 * task queue — workflows only on one, activities only on the others — so these are how it is
 * built, not a problem: they log at debug, and a warning at start-up means something.
 */
const EXPECTED_BY_DESIGN = new Set([
  'No workflows registered, not polling for workflow tasks',
  'No activities registered, not polling for activity tasks',
]);

/**
 * The core's line for each retry of a gRPC call (`gRPC call poll_workflow_task_queue retried 6
 * times`): client retry chatter. While Temporal is away every poller and every start writes
 * one every few seconds; the outage itself is reported once, by the process's dependency state
 * (its readiness watch, the bridge's starts), and a call that gives up fails where it is handled.
 */
const CLIENT_RETRY = /^gRPC call \w+ retried \d+ times$/;

/**
 * A workflow task whose completion could not be sent because Temporal was unreachable: the
 * server times the task out and hands it out again, so nothing is lost and nobody need act —
 * it is part of the outage reported once. Any other completion error keeps its level.
 */
const COMPLETION_FAILED = 'Error while completing workflow activation';
const SERVER_UNREACHABLE = /currently unavailable|tcp connect error|connection refused|transport error/i;

/** The pino level of one SDK log line. */
export function temporalLogLevel(level: LogLevel, message: string, meta?: Record<string, unknown>): (typeof LEVELS)[LogLevel] {
  if (EXPECTED_BY_DESIGN.has(message) || CLIENT_RETRY.test(message)) return 'debug';
  if (message === COMPLETION_FAILED && SERVER_UNREACHABLE.test(String(meta?.error ?? ''))) return 'debug';
  return LEVELS[level];
}

let installed: { metricsBindAddress: string | undefined } | undefined;

/**
 * Routes the Temporal runtime's logs (worker, workflow and activity loggers, and the native
 * core's warnings) into crawlflow's pino logger and, when asked, exports the SDK's metrics. Must run once per process, before
 * the first NativeConnection or worker is created; later calls change nothing.
 *
 * @returns the SDK exporter's address actually in effect (the first call's), if any.
 */
export async function installTemporalRuntime(logger: Logger, options: TemporalRuntimeOptions = {}): Promise<string | undefined> {
  if (installed) return installed.metricsBindAddress;
  const temporalLogger = logger.child({ source: 'temporal' });
  const install = (metricsBindAddress: string | undefined) => {
    Runtime.install({
      logger: new DefaultLogger('INFO', (entry) => {
        const { message, level, meta } = entry;
        temporalLogger[temporalLogLevel(level, message, meta)]({ ...(meta ?? {}) }, message);
      }),
      telemetryOptions: {
        // The SDK core's own (Rust) log lines go through the same logger instead of raw to stderr.
        logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
        ...(metricsBindAddress
          ? {
              metrics: {
                prometheus: {
                  bindAddress: metricsBindAddress,
                  countersTotalSuffix: true,
                  unitSuffix: true,
                  useSecondsForDurations: true,
                  histogramBucketOverrides: LATENCY_BUCKET_OVERRIDES,
                },
                ...(options.processName ? { globalTags: { process: options.processName } } : {}),
              },
            }
          : {}),
      },
      // SIGINT/SIGTERM make every worker in this process drain and stop.
      shutdownSignals: ['SIGINT', 'SIGTERM'],
    });
    installed = { metricsBindAddress };
    return metricsBindAddress;
  };
  try {
    return install(options.metricsBindAddress);
  } catch (error) {
    // The core reports a taken port as "Failed to start prometheus metrics exporter: Address already in use".
    if (!options.metricsFallbackBindAddress || !/address already in use/i.test(String(error))) throw error;
    const fallback = await options.metricsFallbackBindAddress();
    logger.warn({ taken: options.metricsBindAddress, fallback }, 'default Temporal SDK metrics port in use; exporting on a free port instead');
    return install(fallback);
  }
}
