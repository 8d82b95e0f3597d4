import { Client } from '@temporalio/client';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Config } from '../infra/config/config';
import { alertDigestScheduleId } from '../domain/alerts/digest-trigger';
import { createKafka } from '../infra/kafka/kafka';
import type { Logger } from '../infra/logging/logger';
import { connectMongo, type MongoHandle } from '../infra/mongo/client';
import { closeTemporalClient, connectTemporalClient, connectWorkerConnection } from '../infra/temporal/connection';
import { installTemporalRuntime } from '../infra/temporal/runtime';
import { createBridgeOnClients, type Bridge, type BridgeDeps } from '../processes/bridge';
import { payloadPruneScheduleId } from '../starters/payload-prune-schedule';
import { setupInfrastructure } from '../cli/setup';
import { createCpuWorker } from '../workers/cpu-worker';
import { createIoWorker } from '../workers/io-worker';
import { createWorkflowsWorker } from '../workers/workflows-worker';
import type { RunnableWorker } from '../workers/worker-context';
import { loadConfig } from '../infra/config/config';
import { eventually } from './eventually';
import { testEnv, testLogger } from './stack';

export interface OutputRecord {
  key: string;
  value: Record<string, unknown> & { crawlflow: Record<string, unknown> };
  headers: Record<string, string>;
}

/**
 * The whole pipeline of one test, in-process and on real services: its own topics, database,
 * task queues and digest schedule; the real workers (workflows, io, cpu) and the real bridge;
 * a consumer collecting what reaches the output and dead-letter topics.
 */
export interface PipelineHarness {
  config: Config;
  /** The environment behind `config`, for crawlflow processes the test starts itself. */
  env: Record<string, string>;
  logger: Logger;
  kafka: Kafka;
  temporal: Client;
  mongo: MongoHandle;
  produce(values: Array<string | Buffer | Record<string, unknown>>): Promise<void>;
  waitForOutput(key: string, timeoutMs?: number): Promise<OutputRecord>;
  waitForOutputs(count: number, timeoutMs?: number): Promise<Map<string, OutputRecord>>;
  waitForDeadLetters(count: number, timeoutMs?: number): Promise<Array<{ value: Buffer | null; headers: Record<string, string> }>>;
  outputs: Map<string, OutputRecord>;
  outputCount(): number;
  startBridge(overrides?: Partial<Pick<BridgeDeps, 'maxInFlight' | 'onRecord' | 'beforeCommit' | 'eagerStart'>>): Promise<Bridge>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Run the in-process workers (off when a test runs them as child processes). @default true */
  workers?: boolean;
  /** Start the bridge at once. @default true */
  bridge?: boolean;
}

export async function startPipelineHarness(options: HarnessOptions = {}): Promise<PipelineHarness> {
  const env = testEnv({ FETCH_ALLOW_PRIVATE_NETWORKS: 'true', ALERT_DIGEST_INTERVAL_SECONDS: '2', ...options.env });
  const config = loadConfig(env);
  const logger = testLogger(config);
  await installTemporalRuntime(logger);
  await setupInfrastructure(config, logger);
  const kafka = createKafka(config.kafka);
  const temporal = await connectTemporalClient(config.temporal);
  const mongo = await connectMongo(config.mongo);
  const connection = await connectWorkerConnection(config.temporal);

  const workers: RunnableWorker[] = [];
  const running: Array<Promise<void>> = [];
  if (options.workers !== false) {
    for (const create of [createWorkflowsWorker, createIoWorker, createCpuWorker]) {
      const worker = await create({ config, logger, connection });
      workers.push(worker);
      running.push(worker.run());
    }
  }

  const outputs = new Map<string, OutputRecord>();
  const deadLetters: Array<{ value: Buffer | null; headers: Record<string, string> }> = [];
  let outputTotal = 0;
  const collector: Consumer = kafka.consumer({ groupId: `${config.kafka.consumerGroup}-collector` });
  await collector.connect();
  await collector.subscribe({ topics: [config.kafka.outputTopic, config.kafka.deadLetterTopic], fromBeginning: true });
  await collector.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
      if (topic === config.kafka.deadLetterTopic) {
        deadLetters.push({ value: message.value, headers });
        return;
      }
      outputTotal++;
      const key = String(message.key);
      outputs.set(key, { key, value: JSON.parse(String(message.value)) as OutputRecord['value'], headers });
    },
  });

  const producer: Producer = kafka.producer();
  await producer.connect();
  const bridges: Bridge[] = [];
  // As in `crawlflow bridge` (processes/bridge-temporal.ts): with eager start the bridge's client
  // shares the NativeConnection of the workflows worker running in this process.
  const eager = config.temporal.eagerStart && options.workers !== false;
  const bridgeTemporal = eager ? new Client({ connection, namespace: config.temporal.namespace }) : temporal;

  const until = <T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> => eventually(what, check, { timeoutMs });
  // Throwing while short makes the timeout say how many there were.
  const atLeast = <T>(count: number, have: number, value: T): T => {
    if (have < count) throw new Error(`have ${have}`);
    return value;
  };

  const harness: PipelineHarness = {
    config,
    env,
    logger,
    kafka,
    temporal,
    mongo,
    outputs,
    outputCount: () => outputTotal,
    async produce(values) {
      await producer.send({
        topic: config.kafka.inputTopic,
        messages: values.map((value) => ({
          value: Buffer.isBuffer(value) ? value : typeof value === 'string' ? value : JSON.stringify(value),
        })),
      });
    },
    waitForOutput: (key, timeoutMs = 60_000) => until(`output ${key}`, () => outputs.get(key), timeoutMs),
    waitForOutputs: (count, timeoutMs = 120_000) => until(`${count} outputs`, () => atLeast(count, outputs.size, outputs), timeoutMs),
    waitForDeadLetters: (count, timeoutMs = 60_000) =>
      until(`${count} dead letters`, () => atLeast(count, deadLetters.length, deadLetters), timeoutMs),
    async startBridge(overrides = {}) {
      const bridge = createBridgeOnClients({ config, logger, kafka, temporal: bridgeTemporal, db: mongo.db }, { eagerStart: eager, ...overrides });
      await bridge.start();
      bridges.push(bridge);
      return bridge;
    },
    async stopWorkers() {
      for (const worker of workers) worker.shutdown();
      await Promise.allSettled(running);
      for (const worker of workers) await worker.close();
      workers.length = 0;
    },
    async close() {
      for (const bridge of bridges) await bridge.stop();
      await harness.stopWorkers();
      await collector.disconnect();
      await producer.disconnect();
      for (const scheduleId of [alertDigestScheduleId(config.temporal.prefix), payloadPruneScheduleId(config.temporal.prefix)]) {
        await temporal.schedule
          .getHandle(scheduleId)
          .delete()
          .catch(() => undefined);
      }
      const admin = kafka.admin();
      await admin.connect();
      await admin
        .deleteTopics({ topics: [config.kafka.inputTopic, config.kafka.outputTopic, config.kafka.deadLetterTopic] })
        .catch(() => undefined);
      await admin.disconnect();
      await mongo.db.dropDatabase();
      await mongo.client.close();
      await connection.close();
      await closeTemporalClient(temporal);
    },
  };
  if (options.bridge !== false) await harness.startBridge();
  return harness;
}
