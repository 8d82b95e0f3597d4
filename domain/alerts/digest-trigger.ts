import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';

/** The alert-digest schedule of a deployment (TASK_QUEUE_PREFIX), e.g. `crawlflow-alert-digest`. */
export function alertDigestScheduleId(prefix: string): string {
  return `${prefix}-alert-digest`;
}

/**
 * Runs the alert-digest schedule's action now (the first failure after a quiet period) —
 * unless a digest is running already: two digests at once would both mail the same pending
 * alerts (`trigger()` alone allows all overlaps).
 */
export function digestTrigger(client: Client, prefix: string): () => Promise<void> {
  return () => client.schedule.getHandle(alertDigestScheduleId(prefix)).trigger(ScheduleOverlapPolicy.SKIP);
}
