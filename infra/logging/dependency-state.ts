import type { MongoClient } from 'mongodb';
import type { Logger } from './logger';

/** The services a crawlflow process depends on (the names `/readyz` uses for them too). */
export const Dependency = { Temporal: 'temporal', Kafka: 'kafka', MongoDB: 'mongodb', Smtp: 'smtp' } as const;
export type Dependency = (typeof Dependency)[keyof typeof Dependency];

interface Outage {
  since: Date;
  failures: number;
  lastError: string;
  /** Warned about: failures right after a recovery wait until they outlast the settle time. */
  reported: boolean;
}

/** A dependency by the name its readiness check has; the known ones are {@link Dependency}. */
export type DependencyName = Dependency | (string & {});

export interface DependencyStateOptions {
  /**
   * Failures within this long after a recovery start no new outage by themselves: calls made
   * during the outage still fail as they time out after the dependency answered again. A new
   * outage is warned about once failures continue past it. @default 10_000
   */
  settleMs?: number;
  /** Added to each warning: the process exits if the dependency stays away this long. @default none */
  exitAfterSeconds?: number;
}

/**
 * What an operator reads about a dependency: one warning when it becomes unreachable (which
 * one, since when, what this process does meanwhile), one info line when it answers again
 * (after how long) — however many calls fail in between. Each process keeps ONE (its
 * lifecycle's, `Lifecycle.dependencies`): the work's own calls (the bridge's starts, the
 * feeder's passes) and the lifecycle's periodic checks report to the same state, so an outage
 * that both notice is still one warning. The clients' own retry chatter goes to debug.
 */
export function createDependencyState(logger: Logger, options: DependencyStateOptions = {}) {
  const settleMs = options.settleMs ?? 10_000;
  const outages = new Map<DependencyName, Outage>();
  const recoveredAt = new Map<DependencyName, number>();
  const described = new Map<DependencyName, string>();

  const warn = (dependency: DependencyName, outage: Outage, meanwhile: string) => {
    outage.reported = true;
    logger.warn(
      {
        dependency,
        since: outage.since.toISOString(),
        error: outage.lastError,
        meanwhile: described.get(dependency) ?? meanwhile,
        ...(options.exitAfterSeconds ? { exitAfterSeconds: options.exitAfterSeconds } : {}),
      },
      'dependency unreachable',
    );
  };

  return {
    /**
     * What this process does while `dependency` is away, said by the work that knows (the
     * bridge: "records wait in Kafka…"); it wins over what a generic reporter passes.
     */
    describe(dependency: DependencyName, meanwhile: string): void {
      described.set(dependency, meanwhile);
    },

    /** A call to `dependency` failed because it could not be reached. */
    unreachable(dependency: DependencyName, error: unknown, meanwhile: string): void {
      const lastError = errorLine(error);
      const now = Date.now();
      let outage = outages.get(dependency);
      if (outage) {
        outage.failures++;
        outage.lastError = lastError;
      } else {
        outage = { since: new Date(now), failures: 1, lastError, reported: false };
        outages.set(dependency, outage);
      }
      if (outage.reported) return;
      const settling = now - (recoveredAt.get(dependency) ?? -Infinity) < settleMs;
      if (!settling) warn(dependency, outage, meanwhile);
    },

    /** A call to `dependency` succeeded: ends its outage, if it had one. */
    reachable(dependency: DependencyName): void {
      const outage = outages.get(dependency);
      if (!outage) return;
      outages.delete(dependency);
      recoveredAt.set(dependency, Date.now());
      // Failures that never outlasted the settle time after the last recovery were no new outage.
      if (!outage.reported) return;
      const downSeconds = Math.round((Date.now() - outage.since.getTime()) / 100) / 10;
      logger.info(
        { dependency, since: outage.since.toISOString(), downSeconds, failedCalls: outage.failures, lastError: outage.lastError },
        'dependency reachable again',
      );
    },

    /** The outage of `dependency` in progress, if any (also one not yet warned about, while settling). */
    outage(dependency: DependencyName): Readonly<Outage> | undefined {
      return outages.get(dependency);
    },
  };
}

export type DependencyState = ReturnType<typeof createDependencyState>;

/**
 * Follows a MongoDB client's own server monitoring (a `hello` every 10 s, and at once after a
 * failed operation), so a MongoDB outage is reported once even when no request is in flight.
 * Returns a function that stops following.
 */
export function watchMongo(client: MongoClient, state: DependencyState, meanwhile: string): () => void {
  const failed = (event: { failure: unknown }) => state.unreachable(Dependency.MongoDB, event.failure, meanwhile);
  const succeeded = () => state.reachable(Dependency.MongoDB);
  client.on('serverHeartbeatFailed', failed);
  client.on('serverHeartbeatSucceeded', succeeded);
  return () => {
    client.off('serverHeartbeatFailed', failed);
    client.off('serverHeartbeatSucceeded', succeeded);
  };
}

function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() || 'failed';
}
