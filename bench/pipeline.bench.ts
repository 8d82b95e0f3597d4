/**
 * End-to-end throughput and latency of the message pipeline, beside a plain kafkajs
 * consume → fetch → tag → produce loop doing the same work on the same stack in the same run,
 * plus the Temporal dev server alone (empty workflows) to show its ceiling.
 *
 *   npm run bench:pipeline -- [--messages 600] [--rate-seconds 20] [--modes empty,plain,plain-fulltext,message,batch]
 *                             [--own-server [--server-flag KEY=VALUE…] [--drop-server-flag KEY…] [--sqlite-pragma P=V…]]
 *                             [--batch-size 64] [--batch-wait-ms 200] [--env KEY=VALUE…]
 *
 * Each pipeline mode runs all messages at once (its maximum), then at half that rate (its
 * latency), and the histories of a sample of its runs are counted (events and server tasks
 * per message). `--own-server` runs the Temporal modes against a throw-away dev server with the
 * stack's flags as changed by `--server-flag` / `--drop-server-flag` / `--sqlite-pragma`, so
 * one server setting is measured without restarting the shared one; `--env` sets crawlflow
 * variables of the pipeline under test (e.g. `TEMPORAL_EAGER_START=false`), so a lever in
 * code is measured the same way (bench/pipeline-levers.bench.ts alternates them). Needs the local stack.
 * Results go to stdout as a table; the last line is a JSON summary. Record them in
 * docs/pipeline.md with the machine they ran on.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeHtml } from '../domain/pages/decode-html';
import { createContentExtractor } from '../domain/pages/content-extractor';
import { htmlToPlainText } from '../domain/pages/html-text';
import { createPageFetcher } from '../domain/pages/page-fetcher';
import { createTaggingEngine } from '../domain/tagging';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../support/spider-server';
import { requireStack, uniqueName } from '../support/stack';
import { startThrowawayDevServer, type ThrowawayDevServer } from '../support/throwaway-dev-server';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '600' },
    'rate-seconds': { type: 'string', default: '20' },
    modes: { type: 'string', default: 'empty,plain,plain-fulltext,message,batch' },
    'own-server': { type: 'boolean', default: false },
    'server-flag': { type: 'string', multiple: true, default: [] },
    'drop-server-flag': { type: 'string', multiple: true, default: [] },
    'sqlite-pragma': { type: 'string', multiple: true },
    'batch-size': { type: 'string', default: '64' },
    'batch-wait-ms': { type: 'string', default: '200' },
    'history-sample': { type: 'string', default: '40' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const N = positive('messages');
const RATE_SECONDS = positive('rate-seconds');
const HISTORY_SAMPLE = positive('history-sample');
const PIPELINE_MODES = ['message', 'batch'] as const;
type PipelineMode = (typeof PIPELINE_MODES)[number];
const ALL_MODES = ['empty', 'plain', 'plain-fulltext', ...PIPELINE_MODES] as const;
const MODES = values.modes.split(',').map((mode) => mode.trim());
for (const mode of MODES) {
  if (!(ALL_MODES as readonly string[]).includes(mode)) throw new Error(`--modes: unknown mode "${mode}" (known: ${ALL_MODES.join(', ')})`);
}

function positive(option: 'messages' | 'rate-seconds' | 'history-sample' | 'batch-size' | 'batch-wait-ms'): number {
  const value = Number(values[option]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${option} must be a positive number, got "${values[option]}"`);
  return value;
}

function extraEnv(): Record<string, string> {
  return Object.fromEntries(
    values.env.map((entry) => {
      const at = entry.indexOf('=');
      if (at <= 0) throw new Error(`--env takes KEY=VALUE, got "${entry}"`);
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

function serverFlags(): Record<string, string | undefined> {
  const flags: Record<string, string | undefined> = {};
  for (const flag of values['server-flag']) {
    const at = flag.indexOf('=');
    if (at <= 0) throw new Error(`--server-flag takes KEY=VALUE, got "${flag}"`);
    flags[flag.slice(0, at)] = flag.slice(at + 1);
  }
  for (const key of values['drop-server-flag']) flags[key] = undefined;
  return flags;
}

interface Measured {
  name: string;
  messages: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** What the server stores and hands out per message, counted from run histories. */
interface HistoryCounts {
  runs: number;
  messages: number;
  eventsPerMessage: number;
  workflowTasksPerMessage: number;
  activityTasksPerMessage: number;
  localActivitiesPerMessage: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function messagesFor(run: string, count: number): Array<Record<string, unknown>> {
  // Every message is a link: each one is fetched through the spider, tagged and published.
  return Array.from({ length: count }, (_, index) => ({ id: `${run}-${index}`, type: 3, url: `http://news.example/article/${index}` }));
}

/** Produces `messages` at `perSecond` (or all at once), and measures produce → output latency. */
async function drive(
  name: string,
  produce: (batch: Array<Record<string, unknown>>) => Promise<void>,
  arrived: () => Map<string, number>,
  messages: Array<Record<string, unknown>>,
  perSecond?: number,
): Promise<Measured> {
  const sentAt = new Map<string, number>();
  const started = Date.now();
  const batchSize = perSecond ? Math.max(1, Math.round(perSecond / 10)) : 100;
  for (let index = 0; index < messages.length; index += batchSize) {
    const batch = messages.slice(index, index + batchSize);
    const now = Date.now();
    for (const message of batch) sentAt.set(String(message.id), now);
    await produce(batch);
    if (perSecond) {
      const due = started + ((index + batch.length) / perSecond) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }
  const deadline = Date.now() + 600_000;
  while ([...sentAt.keys()].some((id) => !arrived().has(id)) && Date.now() < deadline) await sleep(50);
  const arrivals = arrived();
  const latencies = [...sentAt.entries()].map(([id, sent]) => (arrivals.get(id) ?? Number.NaN) - sent).sort((a, b) => a - b);
  const last = Math.max(...[...sentAt.keys()].map((id) => arrivals.get(id) ?? Number.NaN));
  const seconds = (last - started) / 1000;
  return { name, messages: messages.length, seconds, perSecond: messages.length / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/** Arrival time of every output key, from the harness's collector. */
function watchArrivals(harness: PipelineHarness): { arrivals: Map<string, number>; stop(): void } {
  const arrivals = new Map<string, number>();
  for (const key of harness.outputs.keys()) arrivals.set(key, 0);
  const poll = setInterval(() => {
    for (const key of harness.outputs.keys()) if (!arrivals.has(key)) arrivals.set(key, Date.now());
  }, 5);
  return { arrivals, stop: () => clearInterval(poll) };
}

async function pipelineRun(harness: PipelineHarness, mode: PipelineMode, count: number, perSecond?: number): Promise<{ measured: Measured; ids: string[] }> {
  const watch = watchArrivals(harness);
  try {
    const messages = messagesFor(uniqueName(`bench-${mode}`), count);
    const name = perSecond ? `${mode} mode at ${perSecond.toFixed(1)}/s (half)` : `${mode} mode, all at once`;
    const measured = await drive(name, (batch) => harness.produce(batch), () => watch.arrivals, messages, perSecond);
    return { measured, ids: messages.map((message) => String(message.id)) };
  } finally {
    watch.stop();
  }
}

/** The runs that carried a sample of `ids`, with how many messages each carried. */
async function runsCarrying(harness: PipelineHarness, mode: PipelineMode, ids: string[]): Promise<Map<string, number>> {
  const messagesPerRun = new Map<string, number>();
  if (mode === 'message') {
    for (const id of ids) {
      const workflowId = String(harness.outputs.get(id)?.value.crawlflow.workflowId ?? '');
      if (workflowId) messagesPerRun.set(workflowId, (messagesPerRun.get(workflowId) ?? 0) + 1);
      if (messagesPerRun.size >= HISTORY_SAMPLE) break;
    }
    return messagesPerRun;
  }
  // Batch mode: an output names its message's own id; the window's run is found by search attribute.
  for (let index = 0; index < ids.length && messagesPerRun.size < HISTORY_SAMPLE; index += Math.max(1, Math.floor(ids.length / HISTORY_SAMPLE))) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found: string[] = [];
      for await (const execution of harness.temporal.workflow.list({ query: `CrawlflowMessageIds = "${ids[index]}"` })) found.push(execution.workflowId);
      const [workflowId] = found;
      if (workflowId) {
        if (!messagesPerRun.has(workflowId)) {
          const result = (await harness.temporal.workflow.getHandle(workflowId).result()) as { messages: number };
          messagesPerRun.set(workflowId, result.messages);
        }
        break;
      }
      if (Date.now() > deadline) throw new Error(`no batch run lists message ${ids[index]} after 30 s`);
      await sleep(200);
    }
  }
  return messagesPerRun;
}

/** Counts events and tasks in the histories of the runs that carried a sample of `ids`. */
async function countHistories(harness: PipelineHarness, mode: PipelineMode, ids: string[]): Promise<HistoryCounts> {
  const messagesPerRun = await runsCarrying(harness, mode, ids);
  const sample = [...messagesPerRun.keys()];
  const totals = { messages: 0, events: 0, workflowTasks: 0, activityTasks: 0, localActivities: 0 };
  for (const workflowId of sample) {
    const handle = harness.temporal.workflow.getHandle(workflowId);
    await handle.result(); // the output is published before the run records its outcome and closes
    const events = (await handle.fetchHistory()).events ?? [];
    totals.messages += messagesPerRun.get(workflowId) ?? 0;
    totals.events += events.length;
    for (const event of events) {
      if (event.workflowTaskScheduledEventAttributes) totals.workflowTasks++;
      if (event.activityTaskScheduledEventAttributes) totals.activityTasks++;
      if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') totals.localActivities++;
    }
  }
  const per = (value: number) => (totals.messages ? value / totals.messages : Number.NaN);
  return {
    runs: sample.length,
    messages: totals.messages,
    eventsPerMessage: per(totals.events),
    workflowTasksPerMessage: per(totals.workflowTasks),
    activityTasksPerMessage: per(totals.activityTasks),
    localActivitiesPerMessage: per(totals.localActivities),
  };
}

/** The same work without Temporal: consume → fetch → tag → produce, 32 in flight. */
/**
 * The plain loop does the pipeline's work without Temporal: fetch, main content (the same
 * extractor and threads the io worker uses), tag, produce. `fulltext` skips the main-content
 * extraction (the whole page's text, on the loop's thread) — the baseline before the
 * extractor existed, kept to compare runs recorded then.
 */
async function plainLoop(harness: PipelineHarness, spider: SpiderServer, extraction: 'main' | 'fulltext'): Promise<Measured> {
  const { kafka, config } = harness;
  const admin = kafka.admin();
  await admin.connect();
  const inTopic = uniqueName('bench-plain-in');
  const outTopic = uniqueName('bench-plain-out');
  await admin.createTopics({ topics: [{ topic: inTopic, numPartitions: 2 }, { topic: outTopic, numPartitions: 2 }], waitForLeaders: true });
  const fetcher = createPageFetcher({ ...config.fetch, spiderApi: spider.spiderUrl });
  const engine = await createTaggingEngine({ serviceType: config.tagging.serviceType, threads: config.tagging.threads, watch: false, reloadSignal: null });
  const extractor = extraction === 'main' ? createContentExtractor(config.extract) : undefined;
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: uniqueName('bench-plain') });
  const collector = kafka.consumer({ groupId: uniqueName('bench-plain-collector') });
  const arrivals = new Map<string, number>();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: inTopic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 2,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (let start = 0; start < batch.messages.length; start += 32) {
          const window = batch.messages.slice(start, start + 32);
          const out = await Promise.all(
            window.map(async (record) => {
              const message = JSON.parse(String(record.value)) as Record<string, unknown>;
              const page = await fetcher.fetchPage(String(message.url));
              const html = decodeHtml(page.body, page.contentType);
              const content = extractor ? (await extractor.extract(html)).text : htmlToPlainText(html);
              const [tagged] = await engine.tagBatch([{ ...message, content }]);
              return { key: String(message.id), value: JSON.stringify({ ...message, content, contentHtml: html, tags: tagged?.tags ?? [] }) };
            }),
          );
          await producer.send({ topic: outTopic, acks: -1, messages: out });
          resolveOffset(window[window.length - 1]?.offset as string);
          await heartbeat();
        }
      },
    });
    await collector.connect();
    await collector.subscribe({ topic: outTopic, fromBeginning: true });
    await collector.run({ eachMessage: async ({ message }) => void arrivals.set(String(message.key), Date.now()) });
    const sender = kafka.producer();
    await sender.connect();
    const result = await drive(
      extraction === 'main' ? 'plain kafkajs loop (no Temporal)' : 'plain loop, full text instead of main content',
      async (batch) => void (await sender.send({ topic: inTopic, messages: batch.map((message) => ({ value: JSON.stringify(message) })) })),
      () => arrivals,
      messagesFor(uniqueName('plain'), N),
    );
    await sender.disconnect();
    return result;
  } finally {
    await consumer.disconnect();
    await collector.disconnect();
    await producer.disconnect();
    await engine.close();
    await extractor?.close();
    await fetcher.close();
    await admin.deleteTopics({ topics: [inTopic, outTopic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** The dev server alone: N self-check workflows with no activity queues, as fast as it takes them. */
async function serverAlone(harness: PipelineHarness): Promise<Measured> {
  const started = Date.now();
  const latencies: number[] = [];
  const ids = Array.from({ length: N }, () => uniqueName('bench-empty'));
  await Promise.all(
    ids.map(async (workflowId, index) => {
      await sleep(index); // spread the starts a little, as the bridge would
      const t0 = Date.now();
      await harness.temporal.workflow.execute('selfCheckWorkflow', {
        taskQueue: harness.config.temporal.taskQueues.workflows,
        workflowId,
        args: [{ taskQueues: harness.config.temporal.taskQueues, queues: [], scheduleToStartSeconds: 5 }],
      });
      latencies.push(Date.now() - t0);
    }),
  );
  latencies.sort((a, b) => a - b);
  const seconds = (Date.now() - started) / 1000;
  return { name: 'dev server alone (empty workflows)', messages: N, seconds, perSecond: N / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

interface ModeResult {
  max: Measured;
  half: Measured;
  histories: HistoryCounts;
}

async function measureMode(harness: PipelineHarness, mode: PipelineMode): Promise<ModeResult> {
  // Warm up: the workflow bundle, connections, JIT.
  await pipelineRun(harness, mode, 60, 20);
  const max = await pipelineRun(harness, mode, N);
  const histories = await countHistories(harness, mode, max.ids);
  const halfRate = max.measured.perSecond / 2;
  const half = await pipelineRun(harness, mode, Math.max(20, Math.round(halfRate * RATE_SECONDS)), halfRate);
  return { max: max.measured, half: half.measured, histories };
}

function harnessEnv(spider: SpiderServer, server: ThrowawayDevServer | undefined, mode: PipelineMode): Record<string, string> {
  return {
    SPIDER_API: spider.spiderUrl,
    LOG_LEVEL: 'error',
    ...(server ? { TEMPORAL_ADDRESS: server.address } : {}),
    ...extraEnv(),
    // Message mode is the default: passing nothing keeps the bench runnable on code without modes.
    ...(mode === 'batch' ? { PIPELINE_MODE: 'batch', PIPELINE_BATCH_SIZE: values['batch-size'], PIPELINE_BATCH_WAIT_MS: values['batch-wait-ms'] } : {}),
  };
}

const round = (value: number | undefined, digits = 1) => (value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits)));

async function main(): Promise<void> {
  await requireStack();
  const spider = await startSpiderServer();
  const server = values['own-server']
    ? await startThrowawayDevServer({ dynamicConfig: serverFlags(), ...(values['sqlite-pragma'] ? { sqlitePragmas: values['sqlite-pragma'] } : {}) })
    : undefined;
  const rows: Measured[] = [];
  const modes = new Map<PipelineMode, ModeResult>();
  let plain: Measured | undefined;
  let plainFullText: Measured | undefined;
  let empty: Measured | undefined;
  const load = loadavg()[0] ?? Number.NaN;
  try {
    for (const mode of MODES) {
      if (mode === 'plain' || mode === 'plain-fulltext') {
        const harness = await startPipelineHarness({ env: harnessEnv(spider, server, 'message'), workers: false, bridge: false });
        try {
          const measured = await plainLoop(harness, spider, mode === 'plain' ? 'main' : 'fulltext');
          if (mode === 'plain') plain = measured;
          else plainFullText = measured;
          rows.push(measured);
        } finally {
          await harness.close();
        }
        continue;
      }
      const pipelineMode: PipelineMode = mode === 'batch' ? 'batch' : 'message';
      const harness = await startPipelineHarness({ env: harnessEnv(spider, server, pipelineMode) });
      try {
        if (mode === 'empty') {
          empty = await serverAlone(harness);
          rows.push(empty);
          continue;
        }
        const result = await measureMode(harness, pipelineMode);
        modes.set(pipelineMode, result);
        rows.push(result.max, result.half);
      } finally {
        await harness.close();
      }
    }
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`\nmachine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${load.toFixed(1)} at start`);
    out(`messages per run: ${N} link messages (fetch via a local spider → tag → publish)`);
    out(`Temporal: ${server ? `throw-away dev server ${server.address}: ${server.args.filter((arg) => arg.includes('=') && !arg.startsWith('Crawlflow')).join(' ')}` : 'the stack’s dev server (127.0.0.1:7233)'}\n`);
    out('| run | messages | seconds | messages/s | p50 latency ms | p99 latency ms |\n| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) {
      out(`| ${row.name} | ${row.messages} | ${row.seconds.toFixed(1)} | ${row.perSecond.toFixed(1)} | ${row.p50Ms.toFixed(0)} | ${row.p99Ms.toFixed(0)} |`);
    }
    if (modes.size > 0) {
      out('\n| mode | runs counted | messages | history events / message | workflow tasks / message | activity tasks / message | local activities / message |\n| --- | --- | --- | --- | --- | --- | --- |');
      for (const [mode, { histories: h }] of modes) {
        out(`| ${mode} | ${h.runs} | ${h.messages} | ${h.eventsPerMessage.toFixed(2)} | ${h.workflowTasksPerMessage.toFixed(2)} | ${h.activityTasksPerMessage.toFixed(2)} | ${h.localActivitiesPerMessage.toFixed(2)} |`);
      }
    }
    const ratio = (mode: PipelineMode) => {
      const measured = modes.get(mode)?.max.perSecond;
      return measured !== undefined && plain ? round(measured / plain.perSecond, 3) : null;
    };
    const summary = {
      plain: round(plain?.perSecond),
      plainFullText: round(plainFullText?.perSecond),
      message: round(modes.get('message')?.max.perSecond),
      batch: round(modes.get('batch')?.max.perSecond),
      messageRatio: ratio('message'),
      batchRatio: ratio('batch'),
      p99HalfLoadMs: { message: round(modes.get('message')?.half.p99Ms, 0), batch: round(modes.get('batch')?.half.p99Ms, 0) },
      emptyWorkflows: round(empty?.perSecond),
      eventsPerMessage: { message: round(modes.get('message')?.histories.eventsPerMessage, 2), batch: round(modes.get('batch')?.histories.eventsPerMessage, 2) },
      messages: N,
      loadAverage: round(load),
      server: server ? server.args.filter((arg) => arg.includes('=') && !arg.startsWith('Crawlflow')) : 'stack',
    };
    out('');
    out(JSON.stringify(summary));
  } finally {
    await server?.close();
    await spider.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
