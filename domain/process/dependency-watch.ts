import type { Logger } from '../logging/logger';
import { runReadinessChecks, type ReadinessCheck } from '../metrics/readiness';

export interface DependencyWatchOptions {
  /** The process's readiness checks (the same ones `/readyz` runs). */
  checks: readonly ReadinessCheck[];
  logger: Logger;
  /** How often the checks run. */
  intervalMs: number;
  /** How long one dependency may stay unreachable before `onLost`; 0 waits forever. */
  lossMs: number;
  /** Called once, when a dependency has been unreachable for `lossMs`. */
  onLost: (lost: LostDependency) => void;
}

export interface LostDependency {
  dependency: string;
  /** When its checks started failing. */
  since: Date;
  /** The last check's error. */
  error: string;
}

/**
 * Watches a running process's dependencies: one warning when one becomes unreachable (what,
 * since when, what the process does meanwhile), one info line when it is back, and `onLost`
 * when it stayed away for `lossMs` — the process then exits so its supervisor starts a fresh
 * one instead of it idling with broken clients.
 */
export function watchDependencies(options: DependencyWatchOptions): { stop(): void } {
  const { checks, logger, intervalMs, lossMs } = options;
  const down = new Map<string, { since: number; error: string }>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = checks.length === 0;

  const tick = async () => {
    const results = await runReadinessChecks(checks);
    if (stopped) return;
    const now = Date.now();
    for (const result of results) {
      const outage = down.get(result.name);
      if (result.ok) {
        if (outage) {
          down.delete(result.name);
          logger.info({ dependency: result.name, downSeconds: Math.round((now - outage.since) / 1000) }, `${result.name} is reachable again`);
        }
        continue;
      }
      const error = result.error ?? 'failed';
      if (!outage) {
        down.set(result.name, { since: now, error });
        logger.warn(
          { dependency: result.name, error, since: new Date(now).toISOString(), exitAfterSeconds: lossMs > 0 ? Math.round(lossMs / 1000) : null },
          lossMs > 0
            ? `${result.name} is unreachable; work that needs it waits, and this process exits if it stays away ${Math.round(lossMs / 1000)} s`
            : `${result.name} is unreachable; work that needs it waits until it is back`,
        );
        continue;
      }
      outage.error = error;
      if (lossMs > 0 && now - outage.since >= lossMs) {
        stopped = true;
        options.onLost({ dependency: result.name, since: new Date(outage.since), error });
        return;
      }
    }
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), intervalMs);
    timer.unref();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
