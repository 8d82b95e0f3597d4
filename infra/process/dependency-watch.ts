import type { DependencyState } from '../logging/dependency-state';
import { runReadinessChecks, type ReadinessCheck } from '../metrics/readiness';

export interface DependencyWatchOptions {
  /** The process's readiness checks (the same ones `/readyz` runs). */
  checks: readonly ReadinessCheck[];
  /** The process's one dependency state: outages are logged there, once, whoever noticed them first. */
  state: DependencyState;
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
 * Watches a running process's dependencies through its readiness checks and reports them to
 * the process's dependency state (one warning when one becomes unreachable, one info line when
 * it is back — shared with what the work itself reports), and calls `onLost` when one stayed
 * away for `lossMs`, counted from whenever the outage was first noticed: the process then
 * exits so its supervisor starts a fresh one instead of it idling with broken clients.
 */
export function watchDependencies(options: DependencyWatchOptions): { stop(): void } {
  const { checks, state, intervalMs, lossMs } = options;
  // What the work does meanwhile is the work's to say (DependencyState.describe); the exit bound is in each warning.
  const meanwhile =
    lossMs > 0
      ? `work that needs it waits; past the bound this process exits, so that its supervisor starts it afresh`
      : 'work that needs it waits until it is back';
  let timer: NodeJS.Timeout | undefined;
  let stopped = checks.length === 0;

  const tick = async () => {
    const results = await runReadinessChecks(checks);
    if (stopped) return;
    for (const result of results) {
      if (result.ok) {
        state.reachable(result.name);
        continue;
      }
      const error = result.error ?? 'failed';
      state.unreachable(result.name, new Error(error), meanwhile);
      const outage = state.outage(result.name);
      if (lossMs > 0 && outage && Date.now() - outage.since.getTime() >= lossMs) {
        stopped = true;
        options.onLost({ dependency: result.name, since: outage.since, error });
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
