import type { Client, ScheduleSummary } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import type { Db } from 'mongodb';
import { createAlertRepository, type AlertDocument } from '../../store/alert-repository';
import type { Config } from '../../infra/config/config';
import { createKafka } from '../../infra/kafka/kafka';
import { createMailer } from '../../infra/mail/mailer';
import { connectMongo } from '../../infra/mongo/client';
import { createFailedMessageRepository, type FailedMessageDocument } from '../../store/failed-messages';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { consumerGroupLag, type PartitionLag } from '../../infra/metrics/consumer-lag';
import {
  errorLine,
  kafkaReadiness,
  mongoReadiness,
  runReadinessChecks,
  smtpReadiness,
  type ReadinessCheck,
  type ReadinessResult,
} from '../../infra/metrics/readiness';
import { describeTaskQueues, type TaskQueueReport } from '../../infra/metrics/task-queue-stats';
import { withTimeout } from '../../infra/metrics/timeout';

/**
 * Everything `crawlflow status` shows, gathered at once: which services answer, the task
 * queues as Temporal sees them, the bridge's consumer lag, schedules, recent failures. A part
 * whose service is down is reported as unavailable (with why), never thrown.
 */
export interface SystemStatus {
  at: Date;
  services: Array<ReadinessResult & { target: string; detail?: string }>;
  taskQueues: Section<TaskQueueReport[]>;
  bridgeLag: Section<{ group: string; topic: string; partitions: PartitionLag[]; total: number }>;
  schedules: Section<{ shown: ScheduleRow[]; total: number }>;
  failures: Section<{
    alertsWaiting: number;
    recentAlerts: Array<Pick<AlertDocument, 'kind' | 'summary' | 'createdAt' | 'status' | 'workflowId'>>;
    failedMessagesLastDay: number;
    recentFailedMessages: Array<Pick<FailedMessageDocument, 'workflowId' | 'step' | 'errorType' | 'error' | 'failedAt' | 'status'>>;
  }>;
  /** One line per reason the system is not healthy; empty when it is. */
  problems: string[];
}

export type Section<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ScheduleRow {
  id: string;
  workflowType?: string;
  paused: boolean;
  note?: string;
  nextRun?: Date;
  lastRun?: Date;
}

export interface GatherStatusOptions {
  /** How long each service may take to answer. @default 3000 */
  timeoutMs?: number;
  /** How many recent alerts and failed messages to list. @default 5 */
  recent?: number;
  /** Most schedules listed. @default 20 */
  maxSchedules?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function gatherSystemStatus(config: Config, options: GatherStatusOptions = {}): Promise<SystemStatus> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const recent = options.recent ?? 5;
  const at = new Date();
  const clients = await connectAll(config, timeoutMs);
  try {
    // The readiness round trip also tells the server's version: one call for both.
    let serverVersion: string | undefined;
    const temporalCheck = clients.temporal.ok
      ? temporalReadinessNotingVersion(clients.temporal.value, (version) => (serverVersion = version))
      : failing('temporal', clients.temporal.error);
    const checks: Array<{ check: ReadinessCheck; target: string }> = [
      { check: temporalCheck, target: config.temporal.address },
      { check: kafkaReadiness(clients.kafka), target: config.kafka.brokers.join(',') },
      { check: clients.mongo.ok ? mongoReadiness(clients.mongo.value.db) : failing('mongodb', clients.mongo.error), target: redactUri(config.mongo.uri) },
      { check: smtpReadiness(clients.mailer), target: redactUri(config.alerts.smtpUrl) },
    ];
    const results = await runReadinessChecks(
      checks.map((entry) => entry.check),
      timeoutMs,
    );
    const services: SystemStatus['services'] = results.map((result, index) => ({ ...result, target: checks[index]?.target ?? '' }));
    const up = (name: string) => services.find((service) => service.name === name)?.ok === true;
    const temporal = clients.temporal.ok && up('temporal') ? clients.temporal.value : undefined;
    const db = clients.mongo.ok && up('mongodb') ? clients.mongo.value.db : undefined;

    const [taskQueues, bridgeLag, schedules, failures] = await Promise.all([
      section(temporal, 'temporal', () => describeTaskQueues((temporal as Client).workflowService, config.temporal.namespace, config.temporal.taskQueues), timeoutMs),
      section(up('kafka') ? clients.kafka : undefined, 'kafka', () => bridgeLagOf(clients.kafka, config), timeoutMs),
      section(temporal, 'temporal', () => listSchedules(temporal as Client, config.temporal, options.maxSchedules ?? 20), timeoutMs),
      section(db, 'mongodb', () => recentFailures(db as Db, recent, at), timeoutMs),
    ]);
    const temporalRow = services.find((service) => service.name === 'temporal');
    if (temporal && temporalRow && serverVersion) temporalRow.detail = `server ${serverVersion}, namespace ${config.temporal.namespace}`;

    const status: SystemStatus = { at, services, taskQueues, bridgeLag, schedules, failures, problems: [] };
    status.problems = problemsOf(status);
    return status;
  } finally {
    await clients.close();
  }
}

/** Why the system is not healthy: a service down, a queue nobody serves, a part that cannot be read. */
function problemsOf(status: SystemStatus): string[] {
  const problems: string[] = [];
  for (const service of status.services) if (!service.ok) problems.push(`${service.name} is down (${service.error})`);
  if (status.taskQueues.ok) {
    for (const queue of status.taskQueues.value) {
      if (queue.pollers.length === 0) problems.push(`no worker polls ${queue.name} (start: crawlflow worker --queue ${queue.kind})`);
    }
  }
  const parts = { 'task queues': status.taskQueues, 'bridge lag': status.bridgeLag, schedules: status.schedules, failures: status.failures };
  for (const [part, section] of Object.entries(parts)) {
    // A part whose service is down is already counted above.
    if (!section.ok && !section.error.endsWith(' is down')) problems.push(`cannot read ${part}: ${section.error}`);
  }
  return problems;
}

async function connectAll(config: Config, timeoutMs: number) {
  const [temporal, mongo] = await Promise.all([
    attempt(() => connectTemporalClient(config.temporal, { connectTimeoutMs: timeoutMs })),
    attempt(() => connectMongo(config.mongo, { appName: 'crawlflow-status', serverSelectionTimeoutMS: timeoutMs })),
  ]);
  const kafka = createKafka(config.kafka, undefined, 'status', { retry: { retries: 0 } }).admin({ retry: { retries: 0 } });
  const mailer = createMailer(config.alerts);
  return {
    temporal,
    mongo,
    kafka,
    mailer,
    async close() {
      const steps: Array<() => Promise<unknown> | unknown> = [
        () => (temporal.ok ? closeTemporalClient(temporal.value) : undefined),
        () => (mongo.ok ? mongo.value.client.close() : undefined),
        () => kafka.disconnect(),
        () => mailer.close(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch {
          // closing a client of a service that is down: nothing more to do
        }
      }
    },
  };
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: string };

async function attempt<T>(connect: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await connect() };
  } catch (error) {
    return { ok: false, error: errorLine(error) };
  }
}

/** Temporal's readiness check (as in `./readiness`), passing on the server version its answer carries. */
function temporalReadinessNotingVersion(client: Client, note: (version: string | undefined) => void): ReadinessCheck {
  return {
    name: 'temporal',
    check: async () => note((await client.connection.workflowService.getSystemInfo({})).serverVersion ?? undefined),
  };
}

function failing(name: string, error: string): ReadinessCheck {
  return { name, check: () => Promise.reject(new Error(error)) };
}

async function section<T, D>(dependency: D | undefined, name: string, read: () => Promise<T>, timeoutMs: number): Promise<Section<T>> {
  if (dependency === undefined) return { ok: false, error: `${name} is down` };
  try {
    return { ok: true, value: await withTimeout(read(), timeoutMs) };
  } catch (error) {
    return { ok: false, error: errorLine(error) };
  }
}

async function bridgeLagOf(admin: Admin, config: Config): Promise<{ group: string; topic: string; partitions: PartitionLag[]; total: number }> {
  const { consumerGroup: group, inputTopic: topic } = config.kafka;
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new Error(`topic ${topic} does not exist (run: crawlflow setup)`);
  const partitions = await consumerGroupLag(admin, group, topic);
  return { group, topic, partitions, total: partitions.reduce((sum, partition) => sum + partition.lag, 0) };
}

/**
 * This deployment's schedules: ids starting with TASK_QUEUE_PREFIX and a dash whose workflows
 * run on this deployment's workflows queue (so `crawlflow-t-…` test schedules are not ours).
 */
async function listSchedules(client: Client, config: Config['temporal'], max: number): Promise<{ shown: ScheduleRow[]; total: number }> {
  const candidates: ScheduleSummary[] = [];
  for await (const schedule of client.schedule.list({ pageSize: 100 })) {
    if (schedule.scheduleId.startsWith(`${config.prefix}-`)) candidates.push(schedule);
  }
  const ours = await Promise.all(
    candidates.map(async (schedule) => {
      const description = await client.schedule.getHandle(schedule.scheduleId).describe();
      return description.action.taskQueue === config.taskQueues.workflows ? schedule : undefined;
    }),
  );
  const rows = ours
    .filter((schedule): schedule is ScheduleSummary => schedule !== undefined)
    .map((schedule): ScheduleRow => {
      const last = schedule.info.recentActions.at(-1);
      return {
        id: schedule.scheduleId,
        ...(schedule.action?.workflowType ? { workflowType: schedule.action.workflowType } : {}),
        paused: schedule.state.paused,
        ...(schedule.state.note ? { note: schedule.state.note } : {}),
        ...(schedule.info.nextActionTimes[0] ? { nextRun: schedule.info.nextActionTimes[0] } : {}),
        ...(last ? { lastRun: last.takenAt } : {}),
      };
    })
    .sort((a, b) => (a.nextRun?.getTime() ?? Infinity) - (b.nextRun?.getTime() ?? Infinity));
  return { shown: rows.slice(0, max), total: rows.length };
}

async function recentFailures(db: Db, recent: number, now: Date): Promise<Extract<SystemStatus['failures'], { ok: true }>['value']> {
  const alerts = createAlertRepository(db);
  const failedMessages = createFailedMessageRepository(db);
  const [alertsWaiting, recentAlerts, failedMessagesLastDay, recentFailedMessages] = await Promise.all([
    alerts.countPending(),
    alerts.recent(recent),
    failedMessages.countSince(new Date(now.getTime() - DAY_MS)),
    failedMessages.find({ limit: recent }),
  ]);
  return {
    alertsWaiting,
    recentAlerts: recentAlerts.map(({ kind, summary, createdAt, status, workflowId }) => ({ kind, summary, createdAt, status, ...(workflowId ? { workflowId } : {}) })),
    failedMessagesLastDay,
    recentFailedMessages: recentFailedMessages.map(({ workflowId, step, errorType, error, failedAt, status }) => ({ workflowId, step, errorType, error, failedAt, status })),
  };
}

/** A connection string without its password, fit to print. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return uri;
  }
}
