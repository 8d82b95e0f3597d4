import { ApplicationFailure } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { ErrorType } from '../common/error-types';
import type { PublishRequest, PublishResult } from '../common/pipeline';
import { isKafkaUnreachable } from '../infra/kafka/kafka-errors';
import type { TaggedProducer } from '../infra/kafka/tagged-producer';
import type { PayloadStore } from '../store/payload-store';
import type { CrawlflowMetrics } from '../infra/metrics/metrics';
import { buildOutputMessage, OutputTooLargeError } from '../domain/pipeline/output-message';
import type { TaskProgressWriter } from './task-progress';

export interface PublishActivityDeps {
  producer: Pick<TaggedProducer, 'send'>;
  payloads: Pick<PayloadStore, 'get'>;
  topic: string;
  /** Largest record the output topic accepts (KAFKA_MAX_MESSAGE_BYTES). */
  maxMessageBytes: number;
  /** Writes crawler tasks' steps that ride on the publish (`taskProgress`). */
  taskProgress: Pick<TaskProgressWriter, 'write'>;
  /** Where the work is counted: the process's metrics (infra/metrics/metrics.ts), injected like every client. */
  metrics: Pick<CrawlflowMetrics, 'messagesPublished'>;
}

/**
 * Io-queue activity: build each tagged message (within the size limit) and publish it. A
 * message too large even without its content fails the call naming its position
 * (`details: [{ index }]`), before anything is sent, so a batch can publish the others.
 */
export function createPublishActivities(deps: PublishActivityDeps) {
  const { metrics } = deps;
  return {
    async publishTagged(requests: PublishRequest[]): Promise<PublishResult[]> {
      const built = await Promise.all(
        requests.map(async (request, index) => {
          const input = JSON.parse(await deps.payloads.get(request.envelope.body)) as Record<string, unknown>;
          const [html, text] = request.page
            ? await Promise.all([deps.payloads.get(request.page.html), deps.payloads.get(request.page.text)])
            : ['', ''];
          try {
            // Keys and headers need room too.
            const output = buildOutputMessage(
              { input, workflowId: request.workflowId, html, text, ...(request.page ? { page: request.page } : {}), ...(request.fetchFailure ? { fetchFailure: request.fetchFailure } : {}), tagging: request.tagging, timings: request.timings, ...(request.envelope.warnings ? { warnings: request.envelope.warnings } : {}) },
              deps.maxMessageBytes - 4096,
            );
            return { request, output };
          } catch (error) {
            if (error instanceof OutputTooLargeError) throw ApplicationFailure.nonRetryable(error.message, ErrorType.OutputTooLarge, { index });
            throw error;
          }
        }),
      );
      // A crawler task's steps first ("tagged"): written or reported, they never stop the publish.
      const lost = await Promise.all(requests.map((request) => (request.taskProgress?.length ? deps.taskProgress.write(request.taskProgress) : [])));
      const positions = await deps.producer
        .send(
          built.map(({ request, output }) => ({
            key: request.envelope.summary.messageId ?? request.workflowId,
            value: output.value,
            headers: {
              'crawlflow-workflow-id': request.workflowId,
              'crawlflow-tagger-version': request.tagging.taggerVersion,
              'crawlflow-rules-version': request.tagging.rulesVersion,
            },
          })),
        )
        .catch((error: unknown) => {
          throw isKafkaUnreachable(error) ? kafkaAway(error as Error) : error;
        });
      metrics.messagesPublished.inc(built.length);
      return built.map(({ output }, index) => ({
        topic: deps.topic,
        partition: positions[index]?.partition ?? -1,
        offset: positions[index]?.offset ?? '-1',
        bytes: output.bytes,
        truncated: output.truncated,
        ...(lost[index]?.length ? { taskProgressFailures: lost[index] } : {}),
      }));
    },
  };
}

export type PublishActivities = ReturnType<typeof createPublishActivities>;

/**
 * Kafka unreachable: retried like any failure, but benign, so the worker logs each attempt at
 * debug instead of a warning with kafkajs's stack — the outage is reported once, by the io
 * worker's readiness watch, and a publish that stays failing is recorded and alerted by the
 * workflow. The type stays the kafkajs error's name, so the failure record reads the same.
 */
function kafkaAway(error: Error): ApplicationFailure {
  return ApplicationFailure.create({ message: error.message, type: error.name, category: ApplicationFailureCategory.BENIGN, cause: error });
}
