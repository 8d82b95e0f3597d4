import { Context } from '@temporalio/activity';
import type { Logger } from '../infra/logging/logger';
import type { PayloadStore } from '../store/payload-store';

export interface PayloadPruneRequest {
  /** Payloads neither stored nor read for this many days go (PAYLOAD_RETENTION_DAYS). */
  retentionDays: number;
  /** Payloads deleted per batch: one find of ids, one delete by `_id`. */
  batchSize: number;
  /** Batches in one call; the workflow calls again while `more` is true. */
  maxBatches: number;
}

export interface PayloadPruneResult {
  deleted: number;
  batches: number;
  /** Full batches until the last: call again. */
  more: boolean;
  /** Payloads last used before this were deleted (ISO time). */
  cutoff: string;
}

/** Io-queue activity of the payload-prune schedule: deletes claim checks nothing used for the retention, in bounded batches. */
export function createPayloadPruneActivities(deps: { payloads: Pick<PayloadStore, 'pruneBatch'>; logger: Logger }) {
  return {
    async prunePayloads(request: PayloadPruneRequest): Promise<PayloadPruneResult> {
      const cutoff = new Date(Date.now() - request.retentionDays * 24 * 3600 * 1000);
      const context = Context.current();
      let deleted = 0;
      let batches = 0;
      let more = true;
      while (more && batches < request.maxBatches) {
        const count = await deps.payloads.pruneBatch(cutoff, request.batchSize);
        batches++;
        deleted += count;
        more = count >= request.batchSize;
        context.heartbeat({ deleted, batches });
      }
      deps.logger.info({ deleted, batches, more, cutoff: cutoff.toISOString(), retentionDays: request.retentionDays }, 'payloads pruned');
      return { deleted, batches, more, cutoff: cutoff.toISOString() };
    },
  };
}

export type PayloadPruneActivities = ReturnType<typeof createPayloadPruneActivities>;
