import type { GeneratorPriority } from '../../store/generators';

/**
 * Temporal task-queue priority keys (1 = served first, default 3) of the seed's priorities.
 * A run's workflow starts with its generator's key and its activities inherit it, so when runs
 * back up on the sandbox queue "very high" goes to the front — the seed's RQ `at_front`.
 * Needs a server that honours priority (`matching.useNewMatcher=true` on the dev server).
 */
export const PRIORITY_KEYS: Readonly<Record<GeneratorPriority, number>> = {
  'very high': 1,
  high: 2,
  medium: 3,
  low: 4,
};

export function priorityKeyOf(priority: GeneratorPriority): number {
  return PRIORITY_KEYS[priority] ?? 3;
}
