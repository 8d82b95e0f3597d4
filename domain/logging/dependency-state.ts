import type { MongoClient } from 'mongodb';
import type { Logger } from './logger';

/** The services a crawlflow process depends on. */
export const Dependency = { Temporal: 'temporal', Kafka: 'kafka', MongoDB: 'mongodb' } as const;
export type Dependency = (typeof Dependency)[keyof typeof Dependency];

interface Outage {
  since: Date;
  failures: number;
  lastError: string;
}

/**
 * What an operator reads about a dependency: one warning when it becomes unreachable (which
 * one, since when, what this process does meanwhile), one info line when it answers again
 * (after how long) — however many calls fail in between. Each process keeps one and reports
 * every failed and every successful call to it; the clients' own retry chatter goes to debug.
 */
export function createDependencyState(logger: Logger) {
  const outages = new Map<Dependency, Outage>();
  return {
    /** A call to `dependency` failed because it could not be reached. */
    unreachable(dependency: Dependency, error: unknown, meanwhile: string): void {
      const outage = outages.get(dependency);
      const lastError = errorLine(error);
      if (outage) {
        outage.failures++;
        outage.lastError = lastError;
        return;
      }
      const since = new Date();
      outages.set(dependency, { since, failures: 1, lastError });
      logger.warn({ dependency, since: since.toISOString(), error: lastError, meanwhile }, 'dependency unreachable');
    },

    /** A call to `dependency` succeeded: ends its outage, if it had one. */
    reachable(dependency: Dependency): void {
      const outage = outages.get(dependency);
      if (!outage) return;
      outages.delete(dependency);
      const downSeconds = Math.round((Date.now() - outage.since.getTime()) / 100) / 10;
      logger.info(
        { dependency, since: outage.since.toISOString(), downSeconds, failedCalls: outage.failures, lastError: outage.lastError },
        'dependency reachable again',
      );
    },

    /** The outage of `dependency` in progress, if any. */
    outage(dependency: Dependency): Readonly<Outage> | undefined {
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
