import { proxyActivities } from '@temporalio/workflow';
import type { PayloadPruneActivities } from '../activities/payload-prune';

export interface PayloadPruneInput {
  /** The io task queue, where the prune runs. */
  ioTaskQueue: string;
  /** PAYLOAD_RETENTION_DAYS. */
  retentionDays: number;
  /** @default 500 */
  batchSize?: number;
  /** Batches per activity call. @default 20 */
  maxBatches?: number;
}

/** Activity calls in one run at most (500 × 20 × 50 = 500,000 payloads); what is left goes on the next run. */
const MAX_CALLS = 50;

/**
 * Started by the payload-prune schedule once a day (`crawlflow setup`): deletes the claim-check
 * payloads nothing stored or read for PAYLOAD_RETENTION_DAYS, in bounded batches.
 */
export async function payloadPruneWorkflow(input: PayloadPruneInput): Promise<{ deleted: number; calls: number; more: boolean }> {
  const { prunePayloads } = proxyActivities<PayloadPruneActivities>({
    taskQueue: input.ioTaskQueue,
    // FerretDB evaluates the age filter over the whole collection: a batch may take a while.
    startToCloseTimeout: '30m',
    heartbeatTimeout: '5m',
    retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5 },
  });
  let deleted = 0;
  for (let calls = 1; ; calls++) {
    const result = await prunePayloads({ retentionDays: input.retentionDays, batchSize: input.batchSize ?? 500, maxBatches: input.maxBatches ?? 20 });
    deleted += result.deleted;
    if (!result.more || calls >= MAX_CALLS) return { deleted, calls, more: result.more };
  }
}
