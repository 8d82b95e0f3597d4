import { proxyActivities } from '@temporalio/workflow';
import type { AlertActivities } from '../activities/alerts';

export interface AlertDigestInput {
  /** The io task queue, where mail goes out. */
  ioTaskQueue: string;
}

/** Started by the alert-digest schedule every ALERT_DIGEST_INTERVAL_SECONDS (`crawlflow setup`). */
export async function alertDigestWorkflow(input: AlertDigestInput): Promise<{ mailed: number }> {
  const { sendAlertDigest } = proxyActivities<AlertActivities>({
    taskQueue: input.ioTaskQueue,
    startToCloseTimeout: '2m',
    // A few quick tries; after that the alerts wait (durably, in MongoDB) for the next tick.
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
  });
  const { mailed } = await sendAlertDigest();
  return { mailed };
}
