/**
 * Records what a healthy crawlflow looks like: runs the real processes (`crawlflow worker
 * --queue all` and `crawlflow bridge`) on the local stack with names of their own, sends
 * them a steady stream of messages with a burst in the middle and a few bad ones, scrapes
 * both /metrics endpoints every second, and draws the dashboard's main panels from those
 * scrapes into a PNG (inline SVG rendered by headless Chromium).
 *
 *   npm run ops:record-run -- [--seconds 75] [--rate 8] [--burst 250] [--drain 20] [--out docs/img/healthy-run.png]
 *
 * Needs the local stack (`npm run stack -- up`). Cleans up its topics, database, schedule
 * and workflows afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { alertDigestScheduleId } from '../domain/alerts/digest-trigger';
import { payloadPruneScheduleId } from '../starters/payload-prune-schedule';
import { loadConfig } from '../infra/config/config';
import { createKafka } from '../infra/kafka/kafka';
import { findFreeMetricsPort } from '../infra/metrics/ports';
import { connectMongo } from '../infra/mongo/client';
import { closeTemporalClient, connectTemporalClient } from '../infra/temporal/connection';
import { stack } from '../stack/stack';
import { startSpiderServer } from '../support/spider-server';
import { uniqueName } from '../support/stack';
import { isolatedEnv } from '../support/isolated-env';
import { lineChart, type ChartSeries } from './run-chart/line-chart';
import { parsePrometheusText, quantileBetween, sumOf, type Sample } from './run-chart/prometheus-text';
import { renderHtmlToPng } from './run-chart/render-png';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '75' },
    rate: { type: 'string', default: '8' },
    burst: { type: 'string', default: '250' },
    drain: { type: 'string', default: '20' },
    out: { type: 'string', default: 'docs/img/healthy-run.png' },
  },
});
const LOAD_SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const BURST = Number(args.burst);
const BURST_AT = Math.round(LOAD_SECONDS / 2);
const DRAIN_SECONDS = Number(args.drain);
const CLI = resolve(__dirname, '../bin/crawlflow.js');

interface Scrape {
  t: number;
  worker: Sample[];
  bridge: Sample[];
}

async function main(): Promise<void> {
  await stack.up(stack.services);
  const id = uniqueName('run');
  const spider = await startSpiderServer();
  const env: Record<string, string> = {
    ...isolatedEnv(id),
    SPIDER_API: spider.spiderUrl,
    SPIDER_TIMEOUT_SECONDS: '2',
    ALERT_DIGEST_INTERVAL_SECONDS: '15',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  const config = loadConfig(env);
  const ports = { worker: await findFreeMetricsPort('127.0.0.1'), bridge: await findFreeMetricsPort('127.0.0.1') };
  const logPath = join(tmpdir(), `crawlflow-${id}.log`);
  const log = openSync(logPath, 'a');
  const children: ChildProcess[] = [];
  const run = (argv: string[], port?: number) => {
    const child = spawn(process.execPath, [CLI, ...argv], {
      env: { ...process.env, ...env, ...(port ? { METRICS_PORT: String(port) } : {}) },
      stdio: ['ignore', log, log],
    });
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) => new Promise<number | null>((done) => (child.exitCode !== null ? done(child.exitCode) : child.once('exit', done)));

  process.stderr.write(`recording run ${id} (process logs: ${logPath})\n`);
  try {
    if ((await exited(run(['setup']))) !== 0) throw new Error(`crawlflow setup failed; see ${logPath}`);
    run(['worker', '--queue', 'all'], ports.worker);
    run(['bridge'], ports.bridge);
    const urls = { worker: `http://127.0.0.1:${ports.worker}`, bridge: `http://127.0.0.1:${ports.bridge}` };
    await Promise.all(Object.values(urls).map((url) => untilReady(url)));

    const scrapes: Scrape[] = [];
    const started = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const tick = Date.now();
        const [worker, bridge] = await Promise.all([scrape(urls.worker), scrape(urls.bridge)]);
        scrapes.push({ t: (tick - started) / 1000, worker, bridge });
        await sleep(Math.max(0, 1000 - (Date.now() - tick)));
      }
    })();

    // What an operator sees mid-run: `crawlflow status` a few seconds after the burst.
    const statusScreen = sleep((BURST_AT + 3) * 1000).then(() => captureStatus(env));
    const sent = await sendLoad(config, 'http://news.example', started, id);
    await sleep(DRAIN_SECONDS * 1000);
    sampling = false;
    await sampler;

    const last = scrapes.at(-1);
    const published = last ? sumOf(last.worker, 'crawlflow_messages_published_total') : 0;
    process.stderr.write(`sent ${sent.messages} messages and ${sent.bad} bad records; ${published} published\n`);
    process.stderr.write(`crawlflow status, ${BURST_AT + 3} s into the run:\n${await statusScreen}\n`);
    const outPath = resolve(args.out);
    await renderHtmlToPng(pageOf(scrapes, id), outPath, { width: 1180, height: 1200 });
    process.stdout.write(`${outPath}\n`);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map(exited));
    await cleanUp(config, id);
    await spider.close();
  }
}

function captureStatus(env: Record<string, string>): Promise<string> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, 'status'], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => done(`${output}(exit code ${code})`));
  });
}

async function untilReady(url: string): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    const status = await fetch(`${url}/readyz`).then((response) => response.status, () => 0);
    if (status === 200) return;
    await sleep(500);
  }
  throw new Error(`${url}/readyz never answered 200`);
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`);
  return parsePrometheusText(await response.text());
}

/**
 * RATE messages a second for LOAD_SECONDS (mostly link messages; 1 in 20 a plain text
 * message, 1 in 25 a link to a page that answers 404), BURST links at once halfway, and a
 * record that is not JSON every 10 seconds.
 */
async function sendLoad(config: ReturnType<typeof loadConfig>, site: string, started: number, id: string): Promise<{ messages: number; bad: number }> {
  const producer = createKafka(config.kafka).producer();
  await producer.connect();
  let messages = 0;
  let bad = 0;
  const message = () => {
    const n = messages++;
    if (n % 20 === 7) return { id: `${id}-${n}`, type: 1, text: 'the stock market rallied' };
    if (n % 25 === 11) return { id: `${id}-${n}`, type: 3, url: `${site}/missing` };
    return { id: `${id}-${n}`, type: 3, url: `${site}/article/${n}` };
  };
  try {
    for (let second = 0; second < LOAD_SECONDS; second++) {
      const batch = Array.from({ length: RATE }, message).map((value) => ({ value: JSON.stringify(value) }));
      if (second === BURST_AT) batch.push(...Array.from({ length: BURST }, message).map((value) => ({ value: JSON.stringify(value) })));
      if (second % 10 === 5) {
        batch.push({ value: `not json ${second}` });
        bad++;
      }
      await producer.send({ topic: config.kafka.inputTopic, messages: batch });
      const due = started + (second + 1) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  } finally {
    await producer.disconnect();
  }
  return { messages, bad };
}

/** The recorded scrapes as the dashboard's main panels, in one HTML page. */
function pageOf(scrapes: Scrape[], id: string): string {
  const window = 5;
  const at = (index: number) => scrapes[index] as Scrape;
  const rate = (pick: (scrape: Scrape) => number): ChartSeries['points'] =>
    scrapes.slice(window).map((scrape, index) => [scrape.t, (pick(scrape) - pick(at(index))) / (scrape.t - at(index).t)] as const);
  const gauge = (pick: (scrape: Scrape) => number): ChartSeries['points'] => scrapes.map((scrape) => [scrape.t, pick(scrape)] as const);
  const quantile = (process: 'worker' | 'bridge', histogram: string, q: number, match: Record<string, string> = {}): ChartSeries['points'] =>
    scrapes.slice(window * 2).map((scrape, index) => [scrape.t, quantileBetween(at(index)[process], scrape[process], histogram, q, match)] as const);
  const prefix = `crawlflow-${id}`;
  const failureKinds = [...new Set(scrapes.flatMap((scrape) => [...scrape.worker, ...scrape.bridge].filter((s) => s.name === 'crawlflow_failures_total').map((s) => s.labels.kind ?? '')))];
  const xMax = scrapes.at(-1)?.t ?? 1;
  const marks = [{ at: BURST_AT, label: `burst of ${BURST}` }];

  const charts = [
    lineChart({
      title: 'Throughput',
      unit: 'messages/s',
      xMax,
      marks,
      series: [
        { name: 'consumed (bridge)', points: rate((s) => sumOf(s.bridge, 'crawlflow_bridge_records_consumed_total')) },
        { name: 'tagged', points: rate((s) => sumOf(s.worker, 'crawlflow_messages_tagged_total')) },
        { name: 'published', points: rate((s) => sumOf(s.worker, 'crawlflow_messages_published_total')) },
      ],
    }),
    lineChart({
      title: 'Failures by kind',
      unit: 'per second',
      xMax,
      marks,
      series: failureKinds.map((kind) => ({
        name: kind,
        points: rate((s) => sumOf(s.worker, 'crawlflow_failures_total', { kind }) + sumOf(s.bridge, 'crawlflow_failures_total', { kind })),
      })),
    }),
    lineChart({
      title: 'Bridge consumer lag',
      unit: 'records',
      xMax,
      marks,
      series: [{ name: 'all partitions', points: gauge((s) => sumOf(s.bridge, 'crawlflow_bridge_consumer_lag_messages')) }],
    }),
    lineChart({
      title: 'Task-queue backlog (as Temporal sees it)',
      unit: 'tasks',
      xMax,
      marks,
      series: ['workflows', 'io', 'cpu'].map((queue) => ({
        name: queue,
        points: gauge((s) => sumOf(s.worker, 'crawlflow_task_queue_backlog_tasks', { task_queue: `${prefix}-${queue}` })),
      })),
    }),
    lineChart({
      title: 'Waiting for a worker (schedule-to-start p99)',
      unit: 'seconds',
      xMax,
      marks,
      series: [
        { name: 'workflow tasks', points: quantile('worker', 'temporal_workflow_task_schedule_to_start_latency_seconds', 0.99, { task_queue: `${prefix}-workflows` }) },
        { name: 'io activities', points: quantile('worker', 'temporal_activity_schedule_to_start_latency_seconds', 0.99, { task_queue: `${prefix}-io` }) },
        { name: 'cpu activities', points: quantile('worker', 'temporal_activity_schedule_to_start_latency_seconds', 0.99, { task_queue: `${prefix}-cpu` }) },
      ],
    }),
    lineChart({
      title: 'Worker task slots in use',
      unit: 'slots',
      xMax,
      marks,
      series: ['workflows', 'io', 'cpu'].map((queue) => ({
        name: queue,
        points: gauge((s) => sumOf(s.worker, 'temporal_worker_task_slots_used', { task_queue: `${prefix}-${queue}` })),
      })),
    }),
    lineChart({
      title: 'Fetch latency',
      unit: 'seconds (10 s window)',
      xMax,
      marks,
      series: [
        { name: 'p50', points: quantile('worker', 'crawlflow_fetch_duration_seconds', 0.5, { outcome: 'ok' }) },
        { name: 'p99', points: quantile('worker', 'crawlflow_fetch_duration_seconds', 0.99, { outcome: 'ok' }) },
      ],
    }),
    lineChart({
      title: 'Alerts waiting to be mailed',
      unit: 'alerts',
      xMax,
      marks,
      series: [{ name: 'waiting', points: gauge((s) => sumOf(s.worker, 'crawlflow_alerts_waiting')) }],
    }),
  ];
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body { margin: 0; padding: 18px; background: #111217; color: #ccccdc; font-family: Inter, Helvetica, Arial, sans-serif; width: 1144px; }
    h1 { font-size: 17px; font-weight: 600; margin: 0 0 4px; } p { margin: 0 0 14px; color: #8e8e9e; font-size: 12px; }
    .grid { display: grid; grid-template-columns: 560px 560px; gap: 14px; }
  </style></head><body>
  <h1>crawlflow on the local stack — steady load, then a burst</h1>
  <p>${RATE} messages/s for ${LOAD_SECONDS} s (then ${DRAIN_SECONDS} s without new messages) with a burst of ${BURST} at ${BURST_AT} s, 1 in 25 links answering 404, a record that is not JSON every 10 s;
  one worker process (all queues) and one bridge on the local stack, scraped every second (${new Date().toISOString().slice(0, 10)}).</p>
  <div class="grid">${charts.join('')}</div></body></html>`;
}

async function cleanUp(config: ReturnType<typeof loadConfig>, id: string): Promise<void> {
  const steps: Array<[string, () => Promise<unknown>]> = [
    [
      'workflows',
      async () => {
        const client = await connectTemporalClient(config.temporal);
        try {
          await client.schedule.getHandle(alertDigestScheduleId(config.temporal.prefix)).delete().catch(() => undefined);
          await client.schedule.getHandle(payloadPruneScheduleId(config.temporal.prefix)).delete().catch(() => undefined);
          for await (const execution of client.workflow.list({ query: `TaskQueue = '${config.temporal.taskQueues.workflows}' AND ExecutionStatus = 'Running'` })) {
            await client.workflow.getHandle(execution.workflowId, execution.runId).terminate('recording over');
          }
        } finally {
          await closeTemporalClient(client);
        }
      },
    ],
    [
      'topics',
      async () => {
        const admin = createKafka(config.kafka).admin();
        await admin.connect();
        await admin.deleteTopics({ topics: [config.kafka.inputTopic, config.kafka.outputTopic, config.kafka.deadLetterTopic] });
        await admin.deleteGroups([config.kafka.consumerGroup]).catch(() => undefined);
        await admin.disconnect();
      },
    ],
    [
      'database',
      async () => {
        const mongo = await connectMongo(config.mongo);
        await mongo.db.dropDatabase();
        await mongo.client.close();
      },
    ],
  ];
  for (const [what, step] of steps) {
    await step().catch((error: unknown) => process.stderr.write(`cleaning up ${what} of ${id} failed: ${String(error)}\n`));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
