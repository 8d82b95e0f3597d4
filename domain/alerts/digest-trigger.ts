import type { Client } from '@temporalio/client';

export const ALERT_DIGEST_SCHEDULE_ID = 'crawlflow-alert-digest';

/** Runs the alert-digest schedule's action now (the first failure after a quiet period). */
export function digestTrigger(client: Client): () => Promise<void> {
  return () => client.schedule.getHandle(ALERT_DIGEST_SCHEDULE_ID).trigger();
}
