import { message as i18nMessage } from '../infra/i18n/i18n';
import type { Client } from '@temporalio/client';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { messageWorkflowId, summarize, workflowIdProblem, type MessageEnvelope, type MessageOrigin } from '../common/messages';
import { FailureStep } from '../common/pipeline';
import { AlertKind } from '../store/alert-repository';
import { createDeploymentAlerting, type Alerting } from '../domain/alerts/alerting';
import type { Config } from '../infra/config/config';
import { checkRecord, RejectReason } from '../infra/kafka/record-check';
import { createDependencyState, Dependency, watchMongo, type DependencyState } from '../infra/logging/dependency-state';
import type { Logger } from '../infra/logging/logger';
import { metrics } from '../infra/metrics/metrics';
import { createPayloadStore, type PayloadStore } from '../store/payload-store';
import { createFailedMessageRepository, type FailedMessageRepository } from '../store/failed-messages';
import { classifyStartError } from '../infra/temporal/start-errors';
import { messageIdValue, startBatchWorkflow } from '../starters/batch-starter';
import { batchInlineLimitBytes, cutWindow, messageIdListBytes, planWindow, type PreparedSize } from '../starters/batch-windows';
import { startMessageWorkflow } from '../starters/message-starter';

export interface BridgeDeps {
  config: Config;
  kafka: Kafka;
  temporal: Client;
  payloads: Pick<PayloadStore, 'put'>;
  failedMessages: Pick<FailedMessageRepository, 'record'>;
  alerting: Pick<Alerting, 'raise'>;
  logger: Logger;
  /** Where outages of Temporal, Kafka and MongoDB are reported (one warning each). @default one of its own */
  dependencyState?: DependencyState;
  /**
   * Most workflow starts in flight per partition batch: bounds memory and the load on
   * Temporal; a slow Temporal slows consumption instead of piling up. @default 32
   */
  maxInFlight?: number;
  /**
   * `temporal` is a client on a NativeConnection that a workflows worker of this process
   * shares: starts ask for eager start, so the first workflow task of each run comes back in
   * the start's answer and runs here (`openBridgeTemporal`). @default false
   */
  eagerStart?: boolean;
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

/** What became of one record, decided before anything about it is committed. */
type Decision =
  | { kind: 'started' | 'duplicate' }
  | { kind: 'reject'; reason: RejectReason; detail: string }
  /** A dependency is down or refusing for now: the record (and its partition) waits. */
  | { kind: 'wait'; dependency: Dependency; error: unknown; needsOperator?: string };

/** A record checked and its body stored: what its workflow needs, or why it cannot have one (yet). */
type Prepared =
  | { kind: 'ready'; envelope: MessageEnvelope; workflowId: string }
  | Extract<Decision, { kind: 'reject' | 'wait' }>;

/** What the bridge does while a dependency is away, as the warning says it. */
const MEANWHILE: Record<Dependency, string> = {
  temporal: 'records wait in Kafka: each waiting partition pauses and retries its start with back-off (1 s, doubling to 30 s); nothing is skipped or lost',
  mongodb: 'records that need MongoDB (claim checks of large messages, dead letters) wait in Kafka: their partition pauses and retries with back-off; other records go on',
  kafka: 'the consumer reconnects by itself and resumes from the last committed offset; dead letters wait and are retried',
  smtp: 'alerts are kept in MongoDB and mailed by the digest schedule once SMTP is back',
};

/**
 * The Kafka → Temporal bridge: every record on the input topic becomes one message workflow.
 * Offsets are committed only after Temporal accepted the start (or the record went to the
 * dead-letter topic), so a crash at any point loses nothing, and the workflow id + reuse
 * policy make the re-delivered records it causes no-ops.
 *
 * A record Temporal will never accept (classifyStartError) is dead-lettered with the server's
 * reason and the partition goes on. A start that fails for now (Temporal down or busy,
 * MongoDB away) pauses only that record's partition: the window's offsets are committed up to
 * the record before it, the partition resumes after a back-off and reads the record again,
 * while the other partitions keep flowing.
 */
export function createBridge(deps: BridgeDeps) {
  const { config, logger } = deps;
  const maxInFlight = deps.maxInFlight ?? 32;
  const dependencies = deps.dependencyState ?? createDependencyState(logger);
  for (const [dependency, meanwhile] of Object.entries(MEANWHILE)) dependencies.describe(dependency, meanwhile);
  const consumer: Consumer = deps.kafka.consumer({
    groupId: config.kafka.consumerGroup,
    // kafkajs keeps committing to a dead coordinator's node id when that broker comes back
    // (offsetManager re-finds the coordinator only on a lost connection), so after the
    // coordinator's broker dies the consumer crashes and rejoins as a new member, and the group
    // waits a session timeout for the old one: the session timeout bounds that stall.
    sessionTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(config.kafka.sessionTimeoutMs / 10)),
    maxBytesPerPartition: Math.max(1_048_576, config.kafka.maxMessageBytes + 65_536),
    allowAutoTopicCreation: false,
    // A partition held back for its window to fill must be fetched again soon after it resumes.
    ...(config.pipeline.mode === 'batch' ? { maxWaitTimeInMs: 100 } : {}),
  });
  const deadLetters: Producer = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  /** Partitions waiting for a dependency: their back-off attempt and the timer that resumes them. */
  const waiting = new Map<number, { attempt: number; timer?: NodeJS.Timeout }>();
  let operatorProblem: string | undefined;
  let stopping = false;

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const error = payload.error;
    if (error.name.startsWith('KafkaJS')) dependencies.unreachable(Dependency.Kafka, error, payload.restart ? MEANWHILE.kafka : 'the consumer stopped and does not restart');
    else logger.error({ err: error, restart: payload.restart }, 'the bridge consumer crashed');
  });
  consumer.on(consumer.events.GROUP_JOIN, () => dependencies.reachable(Dependency.Kafka));

  /** Checks a record and stores its body (a claim check when large). */
  async function prepare(message: KafkaMessage, origin: MessageOrigin, inlineLimitBytes?: number): Promise<Prepared> {
    const check = checkRecord(message.value, config.kafka.maxMessageBytes);
    if (!check.ok) return { kind: 'reject', reason: check.reason, detail: check.detail };
    const summary = summarize(check.message, 'kafka');
    const workflowId = messageWorkflowId(summary, origin);
    try {
      const body = await deps.payloads.put(check.text, inlineLimitBytes === undefined ? {} : { inlineLimitBytes });
      if ('ref' in body) dependencies.reachable(Dependency.MongoDB);
      return { kind: 'ready', envelope: { summary, body, origin }, workflowId };
    } catch (error) {
      return { kind: 'wait', dependency: Dependency.MongoDB, error };
    }
  }

  /** Temporal answered a start (accepted it, or refused it for good). */
  function temporalAnswered(): void {
    dependencies.reachable(Dependency.Temporal);
    if (operatorProblem) {
      logger.info({ problem: operatorProblem }, 'Temporal accepts starts again');
      operatorProblem = undefined;
    }
  }

  /** A start that failed: a refusal for good, or a wait for Temporal. */
  function startFailed(error: unknown): Extract<Decision, { kind: 'reject' | 'wait' }> {
    const verdict = classifyStartError(error);
    if (verdict.permanent) {
      dependencies.reachable(Dependency.Temporal); // it answered, with a refusal
      return { kind: 'reject', reason: RejectReason.StartRefused, detail: verdict.reason };
    }
    return { kind: 'wait', dependency: Dependency.Temporal, error, ...(verdict.needsOperator ? { needsOperator: verdict.reason } : {}) };
  }

  async function decide(message: KafkaMessage, origin: MessageOrigin): Promise<Decision> {
    const prepared = await prepare(message, origin);
    if (prepared.kind !== 'ready') return prepared;
    const { envelope, workflowId } = prepared;
    try {
      const outcome = await startMessageWorkflow(deps.temporal, config, envelope, { workflowId, ...(deps.eagerStart ? { eager: true } : {}) });
      if (outcome.started && deps.eagerStart) metrics.bridgeEagerStarts.inc({ result: outcome.eagerlyStarted ? 'eager' : 'fallback' });
      temporalAnswered();
      return { kind: outcome.started ? 'started' : 'duplicate' };
    } catch (error) {
      return startFailed(error);
    }
  }

  /** Records the decision about one record; a dead letter that cannot be sent becomes a wait. */
  async function settle(message: KafkaMessage, origin: MessageOrigin, decision: Decision): Promise<Decision> {
    if (decision.kind === 'wait') return decision;
    if (decision.kind === 'reject') {
      try {
        await deadLetter(message, origin, decision.reason, decision.detail);
      } catch (error) {
        return { kind: 'wait', dependency: dependencyOf(error), error };
      }
      metrics.bridgeDeadLetters.inc({ reason: decision.reason });
      metrics.failures.inc({ kind: AlertKind.DeadLetter });
    } else {
      metrics.bridgeWorkflowsStarted.inc({ result: decision.kind === 'started' ? 'started' : 'already_started' });
    }
    metrics.bridgeRecordsConsumed.inc();
    deps.onRecord?.({
      outcome: decision.kind === 'reject' ? 'dead_lettered' : decision.kind,
      origin,
      ...(decision.kind === 'reject' ? { reason: decision.reason } : {}),
    });
    return decision;
  }

  /** Pauses one partition and resumes it after its back-off: its records are read again then. */
  function wait(topic: string, partition: number, decision: Extract<Decision, { kind: 'wait' }>): void {
    const attempt = (waiting.get(partition)?.attempt ?? 0) + 1;
    const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
    if (decision.needsOperator) {
      if (operatorProblem !== decision.needsOperator) {
        operatorProblem = decision.needsOperator;
        logger.error({ problem: operatorProblem, meanwhile: MEANWHILE.temporal }, 'Temporal refuses every start until the deployment is fixed');
      }
    } else {
      dependencies.unreachable(decision.dependency, decision.error, MEANWHILE[decision.dependency]);
    }
    logger.debug({ topic, partition, attempt, retryInMs: delayMs, err: decision.error }, 'partition waits');
    consumer.pause([{ topic, partitions: [partition] }]);
    const timer = setTimeout(() => {
      const entry = waiting.get(partition);
      if (entry) delete entry.timer;
      if (!stopping) consumer.resume([{ topic, partitions: [partition] }]);
    }, delayMs);
    timer.unref();
    waiting.set(partition, { attempt, timer });
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
    dependencies.reachable(Dependency.Kafka);
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
      summaryMessage: i18nMessage('mail.alert.dead_letter', { topic: origin.topic, partition: String(origin.partition), offset: String(origin.offset), reason, detail: detail.slice(0, 300) }),
      detail: { failedMessageId: failure.toHexString(), deadLetterTopic: config.kafka.deadLetterTopic },
    });
    dependencies.reachable(Dependency.MongoDB);
    logger.error(
      { ...origin, reason, detail },
      reason === RejectReason.StartRefused ? 'Temporal refuses to start this record; sent to the dead-letter topic' : 'record is not a message; sent to the dead-letter topic',
    );
  }

  const originsOf = (topic: string, partition: number, records: KafkaMessage[]) =>
    records.map((message): MessageOrigin => ({ kind: 'kafka', topic, partition, offset: message.offset }));

  /**
   * Settles a window's decisions in order and commits through the last one settled; a record
   * that must wait holds back exactly itself and what follows it, and pauses the partition.
   * Returns false when the partition waits.
   */
  async function settleAndCommit(
    topic: string,
    partition: number,
    window: KafkaMessage[],
    decisions: Decision[],
    resolveOffset: EachBatchPayload['resolveOffset'],
  ): Promise<boolean> {
    const origins = originsOf(topic, partition, window);
    let settled = 0;
    let waitFor: Extract<Decision, { kind: 'wait' }> | undefined;
    for (const [index, decision] of decisions.entries()) {
      const outcome = await settle(window[index] as KafkaMessage, origins[index] as MessageOrigin, decision);
      if (outcome.kind === 'wait') {
        waitFor = outcome;
        break;
      }
      settled++;
    }
    if (settled > 0) {
      const last = window[settled - 1] as KafkaMessage;
      // Commit only now: every record up to `last` has a workflow (or a dead letter).
      await deps.beforeCommit?.({ topic, partition, offset: last.offset });
      resolveOffset(last.offset);
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      waiting.delete(partition);
    }
    if (waitFor) {
      if (!stopping) wait(topic, partition, waitFor);
      return false;
    }
    return true;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    if (config.pipeline.mode === 'batch') return eachBatchInWindows(payload);
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    for (let start = 0; start < batch.messages.length; start += maxInFlight) {
      if (!isRunning() || isStale()) return;
      const window = batch.messages.slice(start, start + maxInFlight);
      const origins = originsOf(topic, partition, window);
      // Starts run concurrently; their outcomes are settled in order (records after one that
      // waits are re-read, and their starts, already made, come back as "already started").
      const decisions = await Promise.all(window.map((message, index) => decide(message, origins[index] as MessageOrigin)));
      if (!(await settleAndCommit(topic, partition, window, decisions, resolveOffset))) return;
      await heartbeat();
    }
  }

  // Batch mode (PIPELINE_MODE=batch): one batch workflow per window of a partition's records.
  const inlineLimitBytes = batchInlineLimitBytes(config.pipeline.batchSize);
  /** Per partition: the first record of a short window held back for more, and since when. */
  const tails = new Map<number, { offset: string; since: number }>();
  /** Per partition: the last offset an existing run covers (a window read again after a crash). */
  const coveredThrough = new Map<number, bigint>();
  /** Partitions held back for a short window to fill, and the timers that resume them. */
  const holds = new Map<number, NodeJS.Timeout>();
  /**
   * Per partition: short windows this bridge started that have not ended yet (full windows are
   * not followed: a backlog of them would be one long poll each).
   */
  const runningWindows = new Map<number, number>();

  /** Follows a started window to its end; a partition held for it resumes at once. */
  function followWindow(topic: string, partition: number, workflowId: string): void {
    runningWindows.set(partition, (runningWindows.get(partition) ?? 0) + 1);
    deps.temporal.workflow
      .getHandle(workflowId)
      .result()
      .catch(() => undefined) // however it ended (or the poll broke), it no longer holds the partition
      .finally(() => {
        runningWindows.set(partition, Math.max(0, (runningWindows.get(partition) ?? 1) - 1));
        const hold = holds.get(partition);
        if (hold && !stopping) {
          clearTimeout(hold);
          holds.delete(partition);
          consumer.resume([{ topic, partitions: [partition] }]);
        }
      });
  }

  function holdBack(topic: string, partition: number, delayMs: number): void {
    consumer.pause([{ topic, partitions: [partition] }]);
    clearTimeout(holds.get(partition));
    const timer = setTimeout(() => {
      holds.delete(partition);
      if (!stopping) consumer.resume([{ topic, partitions: [partition] }]);
    }, delayMs);
    timer.unref();
    holds.set(partition, timer);
  }

  function sizeOf(prepared: Prepared): PreparedSize {
    if (prepared.kind !== 'ready') return { kind: prepared.kind };
    return {
      kind: 'message',
      inputBytes: JSON.stringify(prepared.envelope).length,
      messageIdBytes: messageIdListBytes(messageIdValue(prepared)),
    };
  }

  /** The per-message rules a batch keeps: a message whose own workflow id Temporal would refuse is dead-lettered. */
  function checkMessageId(prepared: Prepared): Prepared {
    if (prepared.kind !== 'ready') return prepared;
    const problem = workflowIdProblem(prepared.workflowId);
    return problem ? { kind: 'reject', reason: RejectReason.StartRefused, detail: problem } : prepared;
  }

  async function eachBatchInWindows({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const records = batch.messages;
    let position = 0;
    while (position < records.length) {
      if (!isRunning() || isStale()) return;
      const first = records[position] as KafkaMessage;
      const covered = coveredThrough.get(partition);
      if (covered !== undefined && BigInt(first.offset) <= covered) {
        // Records a run already carries: settled as duplicates, nothing started.
        let end = position;
        while (end < records.length && BigInt((records[end] as KafkaMessage).offset) <= covered) end++;
        const window = records.slice(position, end);
        const prepared = (await Promise.all(originsOf(topic, partition, window).map((origin, index) => prepare(window[index] as KafkaMessage, origin, inlineLimitBytes)))).map(checkMessageId);
        const decisions = prepared.map((item): Decision => (item.kind === 'ready' ? { kind: 'duplicate' } : item));
        if (!(await settleAndCommit(topic, partition, window, decisions, resolveOffset))) return;
        position = end;
        await heartbeat();
        continue;
      }
      coveredThrough.delete(partition);

      const tail = tails.get(partition);
      const plan = planWindow(records.length - position, tail?.offset === first.offset ? Date.now() - tail.since : 0, config.pipeline, runningWindows.get(partition) ?? 0);
      if ('holdMs' in plan) {
        if (tail?.offset !== first.offset) tails.set(partition, { offset: first.offset, since: Date.now() });
        if (!stopping) holdBack(topic, partition, plan.holdMs);
        return;
      }
      tails.delete(partition);

      const candidates = records.slice(position, position + plan.take);
      const origins = originsOf(topic, partition, candidates);
      const prepared = (await Promise.all(candidates.map((message, index) => prepare(message, origins[index] as MessageOrigin, inlineLimitBytes)))).map(checkMessageId);
      const count = cutWindow(prepared.map(sizeOf));
      if (count === 0) {
        const waitFor = prepared[0] as Extract<Decision, { kind: 'wait' }>;
        if (!stopping) wait(topic, partition, waitFor);
        return;
      }
      const window = candidates.slice(0, count);
      const items = prepared.slice(0, count);
      const messages = items.filter((item): item is Extract<Prepared, { kind: 'ready' }> => item.kind === 'ready');
      let decisions: Decision[] = items.map((item): Decision => (item.kind === 'ready' ? { kind: 'started' } : (item as Decision)));
      if (messages.length > 0) {
        const firstOffset = (window[0] as KafkaMessage).offset;
        const lastOffset = (window[window.length - 1] as KafkaMessage).offset;
        try {
          const outcome = await startBatchWorkflow(
            deps.temporal,
            config,
            { topic, partition, firstOffset, lastOffset },
            messages.map(({ workflowId, envelope }) => ({ workflowId, envelope })),
            inlineLimitBytes,
          );
          temporalAnswered();
          if (!outcome.started) {
            // Read again after a crash: the existing run's window says which records it carries
            // (it may have been cut elsewhere); those are settled above, the rest windowed anew.
            coveredThrough.set(partition, BigInt(outcome.lastOffset));
            continue;
          }
          if (plan.take < config.pipeline.batchSize) followWindow(topic, partition, outcome.workflowId);
        } catch (error) {
          const failed = startFailed(error);
          if (failed.kind === 'wait') {
            if (!stopping) wait(topic, partition, failed);
            return;
          }
          // Never expected (the window keeps to Temporal's limits): start its messages one by one.
          logger.error({ topic, partition, firstOffset, reason: failed.detail }, 'Temporal refuses this batch window; its records start as message workflows');
          decisions = await Promise.all(window.map((message, index) => decide(message, origins[index] as MessageOrigin)));
        }
      }
      if (!(await settleAndCommit(topic, partition, window, decisions, resolveOffset))) return;
      position += count;
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
      logger.info(
        { topic: config.kafka.inputTopic, group: config.kafka.consumerGroup, mode: config.pipeline.mode, ...(config.pipeline.mode === 'batch' ? { batchSize: config.pipeline.batchSize, batchWaitMs: config.pipeline.batchWaitMs } : {}) },
        'bridge consuming',
      );
    },

    /** Stops consuming (waiting for in-flight batches), then the dead-letter producer. Safe to call twice. */
    stop(): Promise<void> {
      stopping = true;
      for (const entry of waiting.values()) clearTimeout(entry.timer);
      for (const timer of holds.values()) clearTimeout(timer);
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

    /** Partitions waiting for a dependency right now (tests and status). */
    waitingPartitions(): number[] {
      return [...waiting.entries()].filter(([, entry]) => entry.timer !== undefined).map(([partition]) => partition);
    },

    consumer,
  };
}

/** Which dependency a failed dead letter waits for: Kafka for the send, MongoDB for the record. */
function dependencyOf(error: unknown): Dependency {
  return error instanceof Error && error.name.startsWith('KafkaJS') ? Dependency.Kafka : Dependency.MongoDB;
}

export type Bridge = ReturnType<typeof createBridge>;

/**
 * A bridge over a deployment's clients: its payloads, failure records and alerting in `db`,
 * and MongoDB's reachability followed on the client's own monitoring.
 */
export function createBridgeOnClients(
  clients: { config: Config; logger: Logger; kafka: Kafka; temporal: Client; db: Db },
  options: Partial<Pick<BridgeDeps, 'maxInFlight' | 'onRecord' | 'beforeCommit' | 'eagerStart' | 'dependencyState'>> = {},
): Bridge {
  const dependencyState = options.dependencyState ?? createDependencyState(clients.logger);
  const unwatch = watchMongo(clients.db.client, dependencyState, MEANWHILE.mongodb);
  const bridge = createBridge({
    ...clients,
    payloads: createPayloadStore(clients.db),
    failedMessages: createFailedMessageRepository(clients.db),
    alerting: createDeploymentAlerting(clients),
    dependencyState,
    ...options,
  });
  return {
    ...bridge,
    stop() {
      unwatch();
      return bridge.stop();
    },
  };
}
