import type { Client } from '@temporalio/client';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { messageWorkflowId, summarize, type MessageEnvelope, type MessageOrigin } from '../common/messages';
import { FailureStep } from '../common/pipeline';
import { AlertKind } from '../domain/alerts/alert-repository';
import { createDeploymentAlerting, type Alerting } from '../domain/alerts/alerting';
import type { Config } from '../domain/config/config';
import { checkRecord, type RejectReason } from '../domain/kafka/record-check';
import type { Logger } from '../domain/logging/logger';
import { metrics } from '../domain/metrics/metrics';
import { createPayloadStore, type PayloadStore } from '../domain/payloads/payload-store';
import { createFailedMessageRepository, type FailedMessageRepository } from '../domain/pipeline/failed-messages';
import { startMessageWorkflow, type StartOutcome } from './message-starter';

export interface BridgeDeps {
  config: Config;
  kafka: Kafka;
  temporal: Client;
  payloads: Pick<PayloadStore, 'put'>;
  failedMessages: Pick<FailedMessageRepository, 'record'>;
  alerting: Pick<Alerting, 'raise'>;
  logger: Logger;
  /**
   * Most workflow starts in flight per partition batch: bounds memory and the load on
   * Temporal; a slow Temporal slows consumption instead of piling up. @default 32
   */
  maxInFlight?: number;
  /**
   * Runs after a window of records has its workflows and before its offsets are committed.
   * A fault-injection seam for tests: a bridge that dies here must lose nothing and run
   * nothing twice.
   */
  beforeCommit?: (position: { topic: string; partition: number; offset: string }) => Promise<void>;
  /** Called after each record is handled. */
  onRecord?: (event: { outcome: 'started' | 'duplicate' | 'dead_lettered'; origin: MessageOrigin; reason?: RejectReason }) => void;
}

/** Dead-lettered records keep this much of their original bytes in the failure record. */
const RAW_BYTES_KEPT = 64 * 1024;

/**
 * The Kafka → Temporal bridge: every record on the input topic becomes one message workflow.
 * Offsets are committed only after Temporal accepted the start (or the record went to the
 * dead-letter topic), so a crash at any point loses nothing, and the workflow id + reuse
 * policy make the re-delivered records it causes no-ops.
 */
export function createBridge(deps: BridgeDeps) {
  const { config, logger } = deps;
  const maxInFlight = deps.maxInFlight ?? 32;
  const consumer: Consumer = deps.kafka.consumer({
    groupId: config.kafka.consumerGroup,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: Math.max(1_048_576, config.kafka.maxMessageBytes + 65_536),
    allowAutoTopicCreation: false,
  });
  const deadLetters: Producer = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  let paused = false;
  let stopping = false;

  async function handle(message: KafkaMessage, origin: MessageOrigin): Promise<void> {
    metrics.bridgeRecordsConsumed.inc();
    const check = checkRecord(message.value, config.kafka.maxMessageBytes);
    if (!check.ok) {
      await deadLetter(message, origin, check.reason, check.detail);
      metrics.bridgeDeadLetters.inc({ reason: check.reason });
      metrics.failures.inc({ kind: AlertKind.DeadLetter });
      deps.onRecord?.({ outcome: 'dead_lettered', origin, reason: check.reason });
      return;
    }
    const envelope: MessageEnvelope = { summary: summarize(check.message, 'kafka'), body: await deps.payloads.put(check.text), origin };
    const workflowId = messageWorkflowId(envelope.summary, origin);
    const outcome = await startWithRetry(envelope, workflowId);
    metrics.bridgeWorkflowsStarted.inc({ result: outcome.started ? 'started' : 'already_started' });
    deps.onRecord?.({ outcome: outcome.started ? 'started' : 'duplicate', origin });
  }

  /** Temporal being down is transient: keep trying (the partition waits), pausing the topic meanwhile. */
  async function startWithRetry(envelope: MessageEnvelope, workflowId: string): Promise<StartOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await startMessageWorkflow(deps.temporal, config, envelope, { workflowId });
        if (paused) resume();
        return outcome;
      } catch (error) {
        if (stopping) throw error;
        if (!paused) pause();
        const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        logger.warn({ err: error, workflowId, attempt, retryInMs: delayMs }, 'could not start the workflow; retrying');
        await sleep(delayMs);
      }
    }
  }

  function pause(): void {
    paused = true;
    consumer.pause([{ topic: config.kafka.inputTopic }]);
    logger.warn({ topic: config.kafka.inputTopic }, 'paused consumption: Temporal is not accepting starts');
  }

  function resume(): void {
    paused = false;
    consumer.resume([{ topic: config.kafka.inputTopic }]);
    logger.info({ topic: config.kafka.inputTopic }, 'resumed consumption');
  }

  async function deadLetter(message: KafkaMessage, origin: MessageOrigin, reason: RejectReason, detail: string): Promise<void> {
    const value = message.value ?? Buffer.alloc(0);
    const headers: IHeaders = {
      ...message.headers,
      'crawlflow-dead-letter-reason': reason,
      'crawlflow-dead-letter-detail': detail,
      'crawlflow-source-topic': origin.topic,
      'crawlflow-source-partition': String(origin.partition),
      'crawlflow-source-offset': origin.offset,
    };
    await deadLetters.send({
      topic: config.kafka.deadLetterTopic,
      acks: -1,
      messages: [{ key: message.key, value, headers }],
    });
    const kept = value.subarray(0, RAW_BYTES_KEPT);
    // The id its workflow would have had: a dead letter has no message id to trust.
    const workflowId = messageWorkflowId({ source: 'kafka' }, origin);
    const failure = await deps.failedMessages.record({
      workflowId,
      step: FailureStep.Bridge,
      errorType: reason,
      error: detail,
      raw: { base64: kept.toString('base64'), bytes: value.length, truncated: kept.length < value.length, ...origin },
    });
    await deps.alerting.raise({
      kind: AlertKind.DeadLetter,
      summary: `record ${origin.topic}/${origin.partition}@${origin.offset} dead-lettered: ${reason} (${detail})`.slice(0, 300),
      detail: { failedMessageId: failure.toHexString(), deadLetterTopic: config.kafka.deadLetterTopic },
    });
    logger.error({ ...origin, reason, detail }, 'record is not a message; sent to the dead-letter topic');
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    for (let start = 0; start < batch.messages.length; start += maxInFlight) {
      if (!isRunning() || isStale()) return;
      const window = batch.messages.slice(start, start + maxInFlight);
      await Promise.all(window.map((message) => handle(message, { kind: 'kafka', topic, partition, offset: message.offset })));
      const last = window[window.length - 1] as KafkaMessage;
      // Commit only now: every record up to `last` has a workflow (or a dead letter).
      await deps.beforeCommit?.({ topic, partition, offset: last.offset });
      resolveOffset(last.offset);
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      await heartbeat();
    }
  }

  let closed: Promise<void> | undefined;
  return {
    async start(): Promise<void> {
      await deadLetters.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: config.kafka.inputTopic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.max(1, config.kafka.topicPartitions),
        eachBatch,
      });
      logger.info({ topic: config.kafka.inputTopic, group: config.kafka.consumerGroup }, 'bridge consuming');
    },

    /** Stops consuming (waiting for in-flight batches), then the dead-letter producer. Safe to call twice. */
    stop(): Promise<void> {
      stopping = true;
      closed ??= (async () => {
        for (const [what, step] of [
          ['consumer', () => consumer.disconnect()],
          ['dead-letter producer', () => deadLetters.disconnect()],
        ] as const) {
          try {
            await step();
          } catch (error) {
            logger.warn({ err: error, what }, 'error while stopping the bridge');
          }
        }
      })();
      return closed;
    },

    consumer,
  };
}

export type Bridge = ReturnType<typeof createBridge>;

/** A bridge over a deployment's clients: its payloads, failure records and alerting in `db`. */
export function createBridgeOnClients(
  clients: { config: Config; logger: Logger; kafka: Kafka; temporal: Client; db: Db },
  options: Partial<Pick<BridgeDeps, 'maxInFlight' | 'onRecord' | 'beforeCommit'>> = {},
): Bridge {
  return createBridge({
    ...clients,
    payloads: createPayloadStore(clients.db),
    failedMessages: createFailedMessageRepository(clients.db),
    alerting: createDeploymentAlerting(clients),
    ...options,
  });
}
