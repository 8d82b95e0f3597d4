import { constants } from 'node:os';
import { createDependencyState, type DependencyState } from '../logging/dependency-state';
import type { Logger } from '../logging/logger';
import type { ReadinessCheck } from '../metrics/readiness';
import { watchDependencies, type LostDependency } from './dependency-watch';

/**
 * The life of one long-running crawlflow process (bridge, feeder, web, worker, up):
 * start (bounded in time) → ready → run → shutdown in reverse order of acquisition → exit.
 * A process whose start fails, or whose dependency stays away past a bounded wait, exits
 * non-zero instead of idling, so whatever supervises it (crawlflow up, systemd, Kubernetes)
 * sees the failure and restarts it.
 */

export const LifecycleState = {
  Idle: 'idle',
  Starting: 'starting',
  Running: 'running',
  Stopping: 'stopping',
  Stopped: 'stopped',
} as const;
export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];

/** Why a process stopped; decides its exit code. */
export type StopReason =
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'requested' }
  | { kind: 'work-ended' }
  | { kind: 'work-failed'; error: unknown }
  | { kind: 'start-failed'; error: unknown }
  | { kind: 'start-timeout'; timeoutMs: number }
  | { kind: 'dependency-lost'; lost: LostDependency };

/** Exit status for each reason: 0 for a stop someone asked for or work that finished, 1 for a failure. */
export function exitCodeFor(reason: StopReason): number {
  return reason.kind === 'signal' || reason.kind === 'requested' || reason.kind === 'work-ended' ? 0 : 1;
}

export interface LifecycleOptions {
  /** Names the process in its log lines: `bridge`, `web`, `worker-io`. */
  name: string;
  logger: Logger;
  /** Longest the start may take; past it the process stops and exits 1. @default 60_000 */
  startTimeoutMs?: number;
  /**
   * How long a dependency may stay unreachable once the process runs before it exits 1 (so
   * its supervisor restarts it with fresh clients); 0 waits forever.
   * @default 300_000
   */
  dependencyLossMs?: number;
  /** Failures this soon after a dependency recovered are no new outage yet (DependencyStateOptions.settleMs). @default 10_000 */
  dependencySettleMs?: number;
  /** How often dependencies are checked while running. @default 5_000 */
  dependencyCheckIntervalMs?: number;
  /** Longest the shutdown may take; past it the process exits anyway, with 1. @default 30_000 */
  shutdownTimeoutMs?: number;
  /** Signals that stop the process gracefully; a second one ends it at once. @default SIGINT, SIGTERM */
  signals?: readonly NodeJS.Signals[];
  /**
   * Repeats of a signal within this window after the first are the same request delivered
   * twice (Ctrl-C reaches a whole process group, then its supervisor forwards SIGTERM), not a
   * person insisting: they do not end the process at once. @default 1_000
   */
  repeatSignalWindowMs?: number;
  /** Where the signals come from (tests pass an EventEmitter). @default process */
  signalSource?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Ends the process once it stopped (tests pass their own). @default process.exit */
  exit?: (code: number) => void;
}

/** What a started process hands back. */
export interface StartedWork {
  /**
   * Settles when the work ends by itself (a worker's `run()`, the feeder's loop): resolving
   * stops the process with 0, rejecting with 1. @default the work ends only by a stop
   */
  done?: Promise<unknown>;
  /** What the process depends on, watched while it runs (`/readyz`'s checks). @default none */
  dependencies?: readonly ReadinessCheck[];
}

export interface Lifecycle {
  readonly state: LifecycleState;
  /**
   * The process's one record of its dependencies' outages: the work reports its failed and
   * successful calls here (the bridge, the feeder), the lifecycle its periodic checks, so each
   * outage is one warning and one "reachable again" line however many noticed it.
   */
  readonly dependencies: DependencyState;
  /**
   * Registers how to release what was just acquired (a client, a listener, the work itself).
   * Steps run in reverse order of registration, each on its own: the work stops before the
   * clients it uses close. A step registered once the shutdown began runs at once.
   */
  onShutdown(what: string, release: () => unknown): void;
  /** Stops the process (safe to call twice: the first reason counts); resolves with the exit code. */
  shutdown(reason?: StopReason): Promise<number>;
}

/**
 * Runs a process through its whole life and ends it with its exit code.
 *
 * ```ts
 * await runLifecycle({ name: 'bridge', logger }, async (life) => {
 *   const mongo = await connectMongo(config.mongo);
 *   life.onShutdown('mongodb', () => mongo.client.close());
 *   const bridge = createBridge(…);
 *   life.onShutdown('bridge', () => bridge.stop());
 *   await bridge.start();
 *   return { dependencies: health.checks };
 * });
 * ```
 *
 * @returns the exit code, after `exit` was called with it.
 */
export async function runLifecycle(options: LifecycleOptions, start: (lifecycle: Lifecycle) => Promise<StartedWork | void>): Promise<number> {
  const lifecycle = createLifecycle(options);
  return lifecycle.run(start);
}

/** The lifecycle object on its own, for callers that need it before running (tests, `crawlflow up`). */
export function createLifecycle(options: LifecycleOptions): Lifecycle & { run(start: (lifecycle: Lifecycle) => Promise<StartedWork | void>): Promise<number> } {
  const { name, logger } = options;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const signalSource = options.signalSource ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));

  let state: LifecycleState = LifecycleState.Idle;
  const dependencyLossMs = options.dependencyLossMs ?? 300_000;
  const dependencies = createDependencyState(logger, {
    ...(options.dependencySettleMs !== undefined ? { settleMs: options.dependencySettleMs } : {}),
    ...(dependencyLossMs > 0 ? { exitAfterSeconds: dependencyLossMs / 1000 } : {}),
  });
  const releases: Array<{ what: string; release: () => unknown }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let watch: { stop(): void } | undefined;
  let shutdownStarted: Promise<number> | undefined;
  let firstSignalAt: number | undefined;
  let resolveStopped!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (resolveStopped = resolve));

  const later = (ms: number, then: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      then();
    }, ms);
    timers.add(timer);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined && Date.now() - firstSignalAt < (options.repeatSignalWindowMs ?? 1_000)) return;
    if (shutdownStarted) {
      logger.warn({ signal }, `${name}: second ${signal} while stopping; exiting now`);
      exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    firstSignalAt = Date.now();
    logger.info({ signal }, `stopping ${name}`);
    void lifecycle.shutdown({ kind: 'signal', signal });
  };

  async function releaseAll(): Promise<void> {
    while (releases.length > 0) {
      const { what, release } = releases.pop() as (typeof releases)[number];
      try {
        await release();
      } catch (error) {
        logger.warn({ err: error, what }, `${name}: error while releasing ${what}`);
      }
    }
  }

  const lifecycle = {
    get state() {
      return state;
    },

    dependencies,

    onShutdown(what: string, release: () => unknown): void {
      if (state === LifecycleState.Stopping || state === LifecycleState.Stopped) {
        // Acquired by a start that outlived the shutdown (a timeout, a signal): release it now.
        void Promise.resolve()
          .then(release)
          .catch((error: unknown) => logger.warn({ err: error, what }, `${name}: error while releasing ${what}`));
        return;
      }
      releases.push({ what, release });
    },

    shutdown(reason: StopReason = { kind: 'requested' }): Promise<number> {
      shutdownStarted ??= (async () => {
        state = LifecycleState.Stopping;
        watch?.stop();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        let code = exitCodeFor(reason);
        const released = releaseAll().then(() => true);
        let overdue: NodeJS.Timeout | undefined;
        const timedOut = new Promise<false>((resolve) => {
          overdue = setTimeout(() => resolve(false), shutdownTimeoutMs);
        });
        if (!(await Promise.race([released, timedOut]))) {
          logger.error({ timeoutMs: shutdownTimeoutMs }, `${name} did not stop within ${Math.round(shutdownTimeoutMs / 1000)} s; exiting anyway`);
          code = 1;
        }
        clearTimeout(overdue);
        state = LifecycleState.Stopped;
        logger.info({ reason: reason.kind, exitCode: code }, `${name} stopped`);
        resolveStopped(code);
        return code;
      })();
      return shutdownStarted;
    },

    async run(startWork: (lifecycle: Lifecycle) => Promise<StartedWork | void>): Promise<number> {
      if (state !== LifecycleState.Idle) throw new Error(`${name}: a lifecycle runs once (it is ${state})`);
      state = LifecycleState.Starting;
      for (const signal of signals) signalSource.on(signal, onSignal);
      try {
        const startedAt = Date.now();
        later(startTimeoutMs, () => {
          if (state !== LifecycleState.Starting) return;
          logger.error({ timeoutMs: startTimeoutMs }, `${name} did not start within ${Math.round(startTimeoutMs / 1000)} s; stopping`);
          void lifecycle.shutdown({ kind: 'start-timeout', timeoutMs: startTimeoutMs });
        });
        Promise.resolve()
          .then(() => startWork(lifecycle))
          .then(
          (work) => {
            if (state !== LifecycleState.Starting) return;
            state = LifecycleState.Running;
            logger.info({ startMs: Date.now() - startedAt }, `${name} started`);
            work?.done?.then(
              () => void lifecycle.shutdown({ kind: 'work-ended' }),
              (error: unknown) => {
                logger.error({ err: error }, `${name} failed; stopping`);
                void lifecycle.shutdown({ kind: 'work-failed', error });
              },
            );
            if (work?.dependencies && work.dependencies.length > 0 && state === LifecycleState.Running) {
              watch = watchDependencies({
                checks: work.dependencies,
                state: dependencies,
                intervalMs: options.dependencyCheckIntervalMs ?? 5_000,
                lossMs: dependencyLossMs,
                onLost: (lost) => {
                  logger.error(
                    { dependency: lost.dependency, since: lost.since.toISOString(), error: lost.error },
                    `${lost.dependency} stayed unreachable; stopping ${name} so that it is started afresh`,
                  );
                  void lifecycle.shutdown({ kind: 'dependency-lost', lost });
                },
              });
            }
          },
          (error: unknown) => {
            if (state !== LifecycleState.Starting) return;
            logger.error({ err: error }, `${name} could not start; stopping`);
            void lifecycle.shutdown({ kind: 'start-failed', error });
          },
        );
        const code = await stopped;
        exit(code);
        return code;
      } finally {
        for (const signal of signals) signalSource.off(signal, onSignal);
      }
    },
  };
  return lifecycle;
}
