import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { ObjectId, type Db } from 'mongodb';
import { createAlertRepository } from '../../store/alert-repository';
import type { Config } from '../../infra/config/config';
import { Collection } from '../../store/collections';
import { RunLogStatus } from '../../store/seed-fields';
import { LOWEST_OBJECT_ID, objectIdFrom } from '../../store/object-id-range';
import { consumerGroupLag } from '../../infra/metrics/consumer-lag';
import { errorLine } from '../../infra/metrics/readiness';
import type { Section } from './system-status';
import { describeTaskQueues } from '../../infra/metrics/task-queue-stats';
import { withTimeout } from '../../infra/metrics/timeout';

/**
 * The monitoring panel's data (seed 000's 监控), from what `crawlflow status` reads — Kafka
 * offsets and consumer lag, Temporal's task-queue stats and pollers, MongoDB's failure, run and
 * alert records — with no process of its own: the web process samples the topics' end offsets
 * every `sampleEveryMs`, so messages in and out per minute are the growth of the input and
 * output topics between samples (kept in memory: the chart starts when the web process does).
 * Every part whose service is down is reported as unavailable with why, never thrown.
 */
export interface OverviewDeps {
  config: Config;
  db: Db;
  /** A connected Kafka admin (connects on first use). */
  kafkaAdmin: () => Promise<Admin>;
  temporal: () => Promise<Client>;
}

export interface OverviewOptions {
  /** How often the topics' end offsets are read. @default 10000 */
  sampleEveryMs?: number;
  /** Samples kept (the chart's length). @default 360 (an hour at 10 s) */
  keepSamples?: number;
  /** How long each service may take to answer. @default 3000 */
  timeoutMs?: number;
  /** A snapshot is reused this long, however many pages ask. @default 2000 */
  cacheMs?: number;
  /** Most records read to count recent failures and generator runs (counts say "at least" beyond). @default 10000 */
  countCap?: number;
}

export interface ThroughputPoint {
  /** End of the interval (ISO). */
  at: string;
  inPerMinute: number;
  outPerMinute: number;
  failuresPerMinute: number;
}

export interface Overview {
  at: string;
  sampleEverySeconds: number;
  throughput: Section<{ series: ThroughputPoint[]; inputEnd: number; outputEnd: number }>;
  failures: Section<{ windowMinutes: number; byStep: Record<string, number>; total: number; atLeast: boolean }>;
  bridgeLag: Section<{ group: string; topic: string; total: number; partitions: Array<{ partition: number; lag: number }> }>;
  taskQueues: Section<Array<{ kind: string; name: string; backlog: number; oldestSeconds: number; workers: number; identities: string[] }>>;
  feederBacklog: Section<{ waiting: number; atLeast: boolean; oldestAt: string | null }>;
  generators: Section<{ windowHours: number; runs: number; failed: number; atLeast: boolean }>;
  alerts: Section<{ waiting: number; lastDigestAt: string | null; inTrouble: boolean }>;
}

interface OffsetSample {
  at: number;
  input: number;
  output: number;
}

const FAILURE_WINDOW_MINUTES = 60;
const GENERATOR_WINDOW_HOURS = 24;

export function createOverview(deps: OverviewDeps, options: OverviewOptions = {}) {
  const sampleEveryMs = options.sampleEveryMs ?? 10_000;
  const keepSamples = options.keepSamples ?? 360;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const cacheMs = options.cacheMs ?? 2_000;
  const countCap = options.countCap ?? 10_000;
  const { config, db } = deps;
  const samples: OffsetSample[] = [];
  let lastSampleError: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let cached: { at: number; overview: Promise<Overview> } | undefined;

  async function topicEnd(admin: Admin, topic: string): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  }

  async function sample(): Promise<void> {
    try {
      const admin = await deps.kafkaAdmin();
      const [input, output] = await withTimeout(Promise.all([topicEnd(admin, config.kafka.inputTopic), topicEnd(admin, config.kafka.outputTopic)]), timeoutMs);
      samples.push({ at: Date.now(), input, output });
      if (samples.length > keepSamples + 1) samples.splice(0, samples.length - keepSamples - 1);
      lastSampleError = undefined;
    } catch (error) {
      lastSampleError = errorLine(error);
    }
  }

  /** Failed-message ids of the last hour (newest first, at most countCap): by step, and per minute for the chart. */
  async function recentFailures(now: number) {
    const since = objectIdFrom(new Date(now - FAILURE_WINDOW_MINUTES * 60_000));
    const records = await db
      .collection<{ _id: ObjectId; step: string }>(Collection.FailedMessage)
      .find({ _id: { $gte: since } }, { projection: { _id: 1, step: 1 } })
      .sort({ _id: -1 })
      .limit(countCap + 1)
      .toArray();
    return { records: records.slice(0, countCap), atLeast: records.length > countCap };
  }

  async function throughput(failureTimes: number[]): Promise<Extract<Overview['throughput'], { ok: true }>['value']> {
    if (samples.length === 0) throw new Error(lastSampleError ?? 'no sample of the topics yet');
    const series: ThroughputPoint[] = [];
    for (let index = 1; index < samples.length; index++) {
      const previous = samples[index - 1]!;
      const current = samples[index]!;
      const minutes = (current.at - previous.at) / 60_000;
      if (minutes <= 0) continue;
      // A failure's time is its record id's, whole seconds: take the end of that second, and let
      // the newest interval keep whatever came after its sample, so a failure written in the same
      // second as a sample is counted once, never dropped.
      const newest = index === samples.length - 1;
      const failures = failureTimes.filter((time) => time + 999 > previous.at && (newest || time + 999 <= current.at)).length;
      series.push({
        at: new Date(current.at).toISOString(),
        inPerMinute: round(Math.max(0, current.input - previous.input) / minutes),
        outPerMinute: round(Math.max(0, current.output - previous.output) / minutes),
        failuresPerMinute: round(failures / minutes),
      });
    }
    const last = samples.at(-1)!;
    return { series, inputEnd: last.input, outputEnd: last.output };
  }

  async function build(): Promise<Overview> {
    const now = Date.now();
    const failures = await section(() => recentFailures(now), timeoutMs);
    const failureTimes = failures.ok ? failures.value.records.map((record) => record._id.getTimestamp().getTime()) : [];
    const [flow, lag, queues, feeder, generators, alerts] = await Promise.all([
      section(() => throughput(failureTimes), timeoutMs),
      section(async () => {
        const partitions = await consumerGroupLag(await deps.kafkaAdmin(), config.kafka.consumerGroup, config.kafka.inputTopic);
        return {
          group: config.kafka.consumerGroup,
          topic: config.kafka.inputTopic,
          total: partitions.reduce((sum, partition) => sum + partition.lag, 0),
          partitions: partitions.map(({ partition, lag: behind }) => ({ partition, lag: behind })),
        };
      }, timeoutMs),
      section(async () => {
        const reports = await describeTaskQueues((await deps.temporal()).workflowService, config.temporal.namespace, config.temporal.taskQueues, now);
        return reports.map((report) => ({
          kind: report.kind,
          name: report.name,
          backlog: report.backlog,
          oldestSeconds: report.backlog > 0 ? Math.round(report.backlogAgeSeconds) : 0,
          workers: report.pollers.length,
          identities: report.pollers.map((poller) => poller.identity),
        }));
      }, timeoutMs),
      section(async () => {
        const entries = await db
          .collection<{ _id: ObjectId }>(Collection.CrawlerTaskQueue)
          .find({ _id: { $gt: LOWEST_OBJECT_ID } }, { projection: { _id: 1 } })
          .sort({ _id: 1 })
          .limit(countCap + 1)
          .toArray();
        return { waiting: Math.min(entries.length, countCap), atLeast: entries.length > countCap, oldestAt: entries[0]?._id.getTimestamp().toISOString() ?? null };
      }, timeoutMs),
      section(async () => {
        const since = objectIdFrom(new Date(now - GENERATOR_WINDOW_HOURS * 3_600_000));
        const runs = await db
          .collection<{ _id: ObjectId; status: number }>(Collection.CrawlerGeneratorLog)
          .find({ _id: { $gte: since } }, { projection: { _id: 1, status: 1 } })
          .sort({ _id: -1 })
          .limit(countCap + 1)
          .toArray();
        const counted = runs.slice(0, countCap);
        return { windowHours: GENERATOR_WINDOW_HOURS, runs: counted.length, failed: counted.filter((run) => run.status === RunLogStatus.Failed).length, atLeast: runs.length > countCap };
      }, timeoutMs),
      section(async () => {
        const repository = createAlertRepository(db);
        const [waiting, state] = await Promise.all([repository.countPending(), repository.digestState()]);
        return { waiting, lastDigestAt: state.lastSentAt?.toISOString() ?? null, inTrouble: state.inTrouble };
      }, timeoutMs),
    ]);
    const byStep: Record<string, number> = {};
    if (failures.ok) for (const record of failures.value.records) byStep[record.step] = (byStep[record.step] ?? 0) + 1;
    return {
      at: new Date(now).toISOString(),
      sampleEverySeconds: sampleEveryMs / 1000,
      throughput: flow,
      failures: failures.ok
        ? { ok: true, value: { windowMinutes: FAILURE_WINDOW_MINUTES, byStep, total: failures.value.records.length, atLeast: failures.value.atLeast } }
        : failures,
      bridgeLag: lag,
      taskQueues: queues,
      feederBacklog: feeder,
      generators,
      alerts,
    };
  }

  return {
    /** Starts sampling (one sample at once). Safe to call twice. */
    start(): Promise<void> {
      if (timer) return Promise.resolve();
      timer = setInterval(() => void sample(), sampleEveryMs);
      timer.unref();
      return sample();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    /** Takes a sample now (tests; the page never needs to). */
    sample,
    snapshot(): Promise<Overview> {
      if (!cached || Date.now() - cached.at > cacheMs) {
        const overview = build();
        cached = { at: Date.now(), overview };
        overview.catch(() => (cached = undefined));
      }
      return cached.overview;
    },
  };
}

export type OverviewSource = ReturnType<typeof createOverview>;

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

async function section<T>(read: () => Promise<T>, timeoutMs: number): Promise<Section<T>> {
  try {
    return { ok: true, value: await withTimeout(read(), timeoutMs) };
  } catch (error) {
    return { ok: false, error: errorLine(error) };
  }
}
