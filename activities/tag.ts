import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../common/error-types';
import type { TagRequest, TagResult } from '../common/pipeline';
import type { CrawlflowMetrics } from '../infra/metrics/metrics';
import type { PayloadStore } from '../store/payload-store';
import { UntaggableMessageError, type TaggingEngine } from '../domain/tagging/api';

export interface TagActivityDeps {
  engine: Pick<TaggingEngine, 'tagBatch' | 'engineVersion'>;
  payloads: Pick<PayloadStore, 'get'>;
  /** Where the work is counted: the process's metrics (infra/metrics/metrics.ts), injected like every client. */
  metrics: Pick<CrawlflowMetrics, 'messagesTagged' | 'taggingDuration'>;
}

/**
 * Cpu-queue activity: tag messages (page text as `content` when fetched). The engine runs
 * on worker threads, so this worker's event loop keeps polling and heartbeating.
 */
export function createTagActivities(deps: TagActivityDeps) {
  const { metrics } = deps;
  return {
    async tagMessages(requests: TagRequest[]): Promise<TagResult[]> {
      const messages = await Promise.all(
        requests.map(async (request) => {
          const message = parseMessage(await deps.payloads.get(request.envelope.body));
          if (request.text !== undefined) message.content = await deps.payloads.get(request.text);
          return message;
        }),
      );
      try {
        const outcomes = await deps.engine.tagBatch(messages);
        metrics.messagesTagged.inc(outcomes.length);
        for (const outcome of outcomes) metrics.taggingDuration.observe(outcome.elapsedMs / 1000);
        return outcomes.map((outcome) => ({ ...outcome, taggerVersion: deps.engine.engineVersion }));
      } catch (error) {
        if (error instanceof UntaggableMessageError) {
          throw ApplicationFailure.nonRetryable(error.message, ErrorType.UntaggableMessage, { index: error.index });
        }
        throw error;
      }
    },
  };
}

function parseMessage(json: string): Record<string, unknown> {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ApplicationFailure.nonRetryable('the message is not a JSON object', ErrorType.UntaggableMessage);
  }
  return value as Record<string, unknown>;
}

export type TagActivities = ReturnType<typeof createTagActivities>;
