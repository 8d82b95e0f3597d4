/**
 * End-to-end throughput and latency of the message pipeline, beside a plain kafkajs
 * consume → fetch → tag → produce loop doing the same work on the same stack in the same run,
 * plus the Temporal dev server alone (empty workflows) to show its ceiling.
 *
 *   npm run bench:pipeline -- [--messages 600] [--rate-seconds 20]
 *
 * Needs the local stack (`npm run stack -- up`). Results go to stdout as a table; record
 * them in docs/pipeline.md with the machine they ran on.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeHtml } from '../domain/pages/decode-html';
import { htmlToPlainText } from '../domain/pages/html-text';
import { createPageFetcher } from '../domain/pages/page-fetcher';
import { createTaggingEngine } from '../domain/tagging';
import { startPipelineHarness, type PipelineHarness } from '../test/support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../test/support/spider-server';
import { requireStack, uniqueName } from '../test/support/stack';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '600' }, 'rate-seconds': { type: 'string', default: '20' } },
});
const N = Number(values.messages);
const RATE_SECONDS = Number(values['rate-seconds']);

interface Measured {
  name: string;
  messages: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
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
  while (arrived().size < messages.length && Date.now() < deadline) await sleep(50);
  const arrivals = arrived();
  const latencies = [...sentAt.entries()].map(([id, sent]) => (arrivals.get(id) ?? Number.NaN) - sent).sort((a, b) => a - b);
  const last = Math.max(...arrivals.values());
  const seconds = (last - started) / 1000;
  return { name, messages: messages.length, seconds, perSecond: messages.length / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

async function temporalPipeline(harness: PipelineHarness, perSecond?: number): Promise<Measured> {
  const arrivals = new Map<string, number>();
  const seen = new Set<string>(harness.outputs.keys());
  const poll = setInterval(() => {
    for (const key of harness.outputs.keys()) if (!seen.has(key)) {
      seen.add(key);
      arrivals.set(key, Date.now());
    }
  }, 5);
  try {
    const run = uniqueName('bench');
    return await drive(perSecond ? `Temporal pipeline at ${perSecond.toFixed(1)}/s` : 'Temporal pipeline, all at once', (batch) => harness.produce(batch), () => arrivals, messagesFor(run, perSecond ? Math.round(perSecond * RATE_SECONDS) : N), perSecond);
  } finally {
    clearInterval(poll);
  }
}

/** The same work without Temporal: consume → fetch → tag → produce, 32 in flight. */
async function plainLoop(harness: PipelineHarness, spider: SpiderServer): Promise<Measured> {
  const { kafka, config } = harness;
  const admin = kafka.admin();
  await admin.connect();
  const inTopic = uniqueName('bench-plain-in');
  const outTopic = uniqueName('bench-plain-out');
  await admin.createTopics({ topics: [{ topic: inTopic, numPartitions: 2 }, { topic: outTopic, numPartitions: 2 }], waitForLeaders: true });
  const fetcher = createPageFetcher({ ...config.fetch, spiderApi: spider.spiderUrl });
  const engine = await createTaggingEngine({ serviceType: config.tagging.serviceType, threads: config.tagging.threads, watch: false, reloadSignal: null });
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
              const content = htmlToPlainText(html);
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
      'plain kafkajs loop (no Temporal)',
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

async function main(): Promise<void> {
  await requireStack();
  const spider = await startSpiderServer();
  const harness = await startPipelineHarness({ env: { SPIDER_API: spider.spiderUrl, LOG_LEVEL: 'error' } });
  const rows: Measured[] = [];
  try {
    // Warm up: the workflow bundle, connections, JIT.
    await temporalPipeline(harness, 20).catch(() => undefined);
    rows.push(await serverAlone(harness));
    const plain = await plainLoop(harness, spider);
    rows.push(plain);
    const temporal = await temporalPipeline(harness);
    rows.push(temporal);
    rows.push(await temporalPipeline(harness, temporal.perSecond / 2));
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    process.stdout.write(`\nmachine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
    process.stdout.write(`messages per run: ${N} link messages (fetch via a local spider → tag → publish)\n\n`);
    process.stdout.write('| run | messages | seconds | messages/s | p50 latency ms | p99 latency ms |\n| --- | --- | --- | --- | --- | --- |\n');
    for (const row of rows) {
      process.stdout.write(`| ${row.name} | ${row.messages} | ${row.seconds.toFixed(1)} | ${row.perSecond.toFixed(1)} | ${row.p50Ms.toFixed(0)} | ${row.p99Ms.toFixed(0)} |\n`);
    }
    process.stdout.write(`\nTemporal pipeline / plain loop throughput: ${(temporal.perSecond / plain.perSecond).toFixed(3)}×\n`);
  } finally {
    await harness.close();
    await spider.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
