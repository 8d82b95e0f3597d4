import { hostname } from 'node:os';
import type { QueueKind } from '../common/task-queues';

export interface WorkerReport {
  queue: QueueKind;
  hostname: string;
  pid: number;
  at: string;
}

/**
 * `reportWorker` answers on every activity queue, so the self-check workflow proves that
 * each queue has a live worker that can reach Temporal (`crawlflow check`).
 */
export function createSelfCheckActivities(deps: { queue: QueueKind }) {
  return {
    async reportWorker(): Promise<WorkerReport> {
      return { queue: deps.queue, hostname: hostname(), pid: process.pid, at: new Date().toISOString() };
    },
  };
}

export type SelfCheckActivities = ReturnType<typeof createSelfCheckActivities>;
