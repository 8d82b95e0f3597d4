import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createAlertActivities } from '../activities/alerts';
import { createGeneratorRunActivities, type GeneratorRunSummary } from '../activities/generator-run';
import { createGeneratorTestActivities } from '../activities/generator-test';
import { createAlertRepository, type AlertDocument } from '../store/alert-repository';
import { createAlerting } from '../domain/alerts/alerting';
import { loadConfig, type Config } from '../infra/config/config';
import { createGeneratorRunStateRepository, type GeneratorRunStateRepository } from '../store/generator-run-state';
import type { Logger } from '../infra/logging/logger';
import type { SandboxLimits } from '../infra/sandbox/limits';
import { connectMongo, type MongoHandle } from '../infra/mongo/client';
import { GeneratorStatus, type Generator, type NewGenerator } from '../store/generators';
import type { Job } from '../store/jobs';
import { createStore, type Store } from '../store/store';
import { closeTemporalClient, connectTemporalClient, connectWorkerConnection } from '../infra/temporal/connection';
import { installTemporalRuntime } from '../infra/temporal/runtime';
import { createSandboxWorker } from '../workers/sandbox-worker';
import type { RunnableWorker } from '../workers/worker-context';
import { createWorkflowsWorker } from '../workers/workflows-worker';
import type { GeneratorRunInput } from '../workflows/generator-run';
import { testEnv, testLogger, uniqueName } from './stack';
import { metrics } from '../infra/metrics/metrics';

/**
 * Generators on real services: this test's own database and task queues, the real workflows
 * and sandbox workers, and an io worker serving only `recordAlert` (the real activity over
 * the real alert repository; the digest mail is the pipeline's to test).
 */
export interface GeneratorHarness {
  config: Config;
  logger: Logger;
  mongo: MongoHandle;
  store: Store;
  runState: GeneratorRunStateRepository;
  temporal: Client;
  job: Job;
  /** The worker connection, for tests that build workers of their own. */
  connection: NativeConnection;
  createGenerator(code: string, overrides?: Partial<NewGenerator>): Promise<Generator>;
  /** Starts generatorRunWorkflow and waits for its result. */
  run(generatorId: string, options?: { trigger?: string; timeoutSeconds?: number }): Promise<GeneratorRunSummary>;
  alerts(): Promise<AlertDocument[]>;
  /** Starts the workers (all three by default; `sandbox: false` leaves scripts queued). */
  startWorkers(options?: { sandbox?: boolean }): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface GeneratorHarnessOptions {
  env?: Record<string, string>;
  /** Start the workers at once. @default true */
  workers?: boolean;
  /**
   * Sandbox limits beyond the defaults: the sandbox worker is then built here from the same
   * activity factory (with these limits) instead of workers/sandbox-worker.ts.
   */
  sandboxLimits?: Partial<Omit<SandboxLimits, 'wallTimeSeconds'>>;
}

export async function startGeneratorHarness(options: GeneratorHarnessOptions = {}): Promise<GeneratorHarness> {
  const config = loadConfig(testEnv({ SANDBOX_MODE: 'bwrap', ...options.env }));
  const logger = testLogger(config);
  await installTemporalRuntime(logger);
  const mongo = await connectMongo(config.mongo);
  const store = createStore(mongo.db);
  const runState = createGeneratorRunStateRepository(mongo.db);
  const temporal = await connectTemporalClient(config.temporal);
  const connection = await connectWorkerConnection(config.temporal);
  const job = await store.jobs.create({ name: uniqueName('job'), info: 'generator tests' });
  const alertRepository = createAlertRepository(mongo.db);

  let workers: RunnableWorker[] = [];
  let running: Array<Promise<void>> = [];

  async function createLimitedSandboxWorker(limits: NonNullable<GeneratorHarnessOptions['sandboxLimits']>): Promise<RunnableWorker> {
    const worker = await Worker.create({
      connection,
      taskQueue: config.temporal.taskQueues.sandbox,
      activities: {
        ...createGeneratorRunActivities({
          metrics,
          store,
          runState,
          sandbox: { mode: config.generators.sandboxMode, user: config.generators.sandboxUser, limits },
          allowedSchemes: config.ingest.allowedSchemes,
          hostname: 'test',
          logger,
        }),
        ...createGeneratorTestActivities({
          store,
          sandbox: { mode: config.generators.sandboxMode, user: config.generators.sandboxUser, limits },
          allowedSchemes: config.ingest.allowedSchemes,
          logger,
        }),
      },
      maxConcurrentActivityTaskExecutions: 2,
    });
    return { queue: config.temporal.taskQueues.sandbox, readiness: [], run: () => worker.run(), shutdown: () => worker.shutdown(), close: async () => undefined };
  }

  async function createAlertWorker(): Promise<RunnableWorker> {
    const alerting = createAlerting({ alerts: alertRepository, triggerDigest: async () => undefined, windowMs: 60_000, logger });
    const { recordAlert } = createAlertActivities({
      metrics,
      alerts: alertRepository,
      alerting,
      mailer: { sendMail: async () => ({ envelope: { from: 'test@localhost', to: [] }, messageId: '' }) },
      mail: { from: 'test@localhost', recipients: [], subjectPrefix: '' },
      workflowUrl: (id) => id,
    });
    const worker = await Worker.create({ connection, taskQueue: config.temporal.taskQueues.io, activities: { recordAlert } });
    return { queue: config.temporal.taskQueues.io, readiness: [], run: () => worker.run(), shutdown: () => worker.shutdown(), close: async () => undefined };
  }

  const harness: GeneratorHarness = {
    config,
    logger,
    mongo,
    store,
    runState,
    temporal,
    job,
    connection,
    createGenerator: (code, overrides = {}) =>
      store.generators.create({
        job: job.id,
        code,
        cron: null,
        name: uniqueName('generator'),
        language: 'python',
        timeoutSeconds: 30,
        status: GeneratorStatus.On,
        ...overrides,
      }),
    run: (generatorId, runOptions = {}) =>
      temporal.workflow.execute('generatorRunWorkflow', {
        taskQueue: config.temporal.taskQueues.workflows,
        workflowId: uniqueName(`generator-${generatorId}`),
        args: [
          {
            generatorId,
            trigger: runOptions.trigger ?? 'test',
            taskQueues: { sandbox: config.temporal.taskQueues.sandbox, io: config.temporal.taskQueues.io },
            timeoutSeconds: runOptions.timeoutSeconds ?? 60,
          } satisfies GeneratorRunInput,
        ],
      }) as Promise<GeneratorRunSummary>,
    alerts: () => alertRepository.recent(100),
    async startWorkers(startOptions = {}) {
      workers = [
        await createWorkflowsWorker({ config, logger, connection }),
        ...(startOptions.sandbox === false
          ? []
          : [options.sandboxLimits ? await createLimitedSandboxWorker(options.sandboxLimits) : await createSandboxWorker({ config, logger, connection })]),
        await createAlertWorker(),
      ];
      running = workers.map((worker) => worker.run());
    },
    async stopWorkers() {
      for (const worker of workers) worker.shutdown();
      await Promise.allSettled(running);
      for (const worker of workers) await worker.close();
      workers = [];
      running = [];
    },
    async close() {
      await harness.stopWorkers();
      await mongo.db.dropDatabase();
      await mongo.client.close();
      await connection.close();
      await closeTemporalClient(temporal);
    },
  };
  if (options.workers !== false) await harness.startWorkers();
  return harness;
}
