/**
 * Chaos benchmark: N link messages through the real crawlflow processes while each of them
 * is killed with SIGKILL and Kafka, Temporal and MongoDB are restarted, one fault at a time.
 *
 *   npm run bench:chaos -- [--messages 10000] [--rate 8] [--faults all|processes|services|none|<name,…>]
 *                          [--service-fault stop|kill] [--down-seconds 5] [--settle-seconds 10]
 *   CRAWLFLOW_STACK_PROFILE=cluster npm run bench:chaos -- …   (the cluster profile: kill -9 of
 *                          the broker coordinating the bridge's group and of the Temporal server,
 *                          PostgreSQL and MongoDB restarted; kafka-1…3 name one broker)
 *
 * Needs the local stack. It runs `crawlflow worker --queue workflows|io|cpu` and `crawlflow
 * bridge` as children (restarted like `crawlflow up` restarts them), a local spider for the
 * pages, and sends messages at a steady rate; faults are spread over the run, each after the
 * previous one has recovered. At the end it prints messages in / distinct out / lost /
 * duplicates / dead letters and, per fault, when the part was back, when messages flowed
 * again and when latency was back to normal; it exits 1 if any message was lost.
 *
 * WARNING: service faults restart the shared stack's Kafka, Temporal and MongoDB; everything
 * else using them sees the outage. `--faults processes` leaves the services alone. Every
 * service is brought back up at the end, even when the run fails.
 */
import { Collection } from '../store/collections';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { alertDigestScheduleId } from '../domain/alerts/digest-trigger';
import { payloadPruneScheduleId } from '../starters/payload-prune-schedule';
import { loadConfig, type Config } from '../infra/config/config';
import { CLUSTER_PORTS } from '../infra/config/stack-profile';
import { createKafka } from '../infra/kafka/kafka';
import { connectMongo } from '../infra/mongo/client';
import { closeTemporalClient, connectTemporalClient } from '../infra/temporal/connection';
import { isolatedEnv, uniqueName } from '../support/isolated-env';
import { startSpiderServer } from '../support/spider-server';
import { groupCoordinatorNode, outputPause, useAppendTime, watchLeaders } from './chaos/broker-fault';
import { createLedger, faultReports, healthySince, quantile, slowThresholdMs, type Fault, type Ledger } from './chaos/ledger';
import { createProcessGroup, type ProcessGroup, type ProcessSpec } from './chaos/processes';
import { COORDINATOR_BROKER, defaultFaultMode, ensureStackUp, FAULTY_SERVICES, NAMED_SERVICES, PROFILE, restartService, type ServiceFaultMode } from './chaos/services';

const PROCESSES: ProcessSpec[] = [
  { name: 'bridge', args: ['bridge'] },
  { name: 'worker-workflows', args: ['worker', '--queue', 'workflows'] },
  { name: 'worker-io', args: ['worker', '--queue', 'io'] },
  { name: 'worker-cpu', args: ['worker', '--queue', 'cpu'] },
];
const PROCESS_NAMES = PROCESSES.map((spec) => spec.name);

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '8' },
    faults: { type: 'string', default: 'all' },
    'service-fault': { type: 'string' },
    'down-seconds': { type: 'string', default: '5' },
    'settle-seconds': { type: 'string', default: '10' },
    'recovery-timeout-seconds': { type: 'string', default: '240' },
    'drain-seconds': { type: 'string', default: '180' },
  },
});

function positive(name: string, value: string | undefined, allowZero = false): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || (!allowZero && number === 0)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${value}"`);
  return number;
}

function faultList(spec: string): string[] {
  const all = [...PROCESS_NAMES, ...FAULTY_SERVICES];
  if (spec === 'all') return all;
  const accepted = [...all, ...NAMED_SERVICES];
  if (spec === 'processes') return PROCESS_NAMES;
  if (spec === 'services') return [...FAULTY_SERVICES];
  if (spec === 'none') return [];
  const names = spec.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !accepted.includes(name));
  if (unknown.length > 0) throw new Error(`--faults: unknown ${unknown.join(', ')}; choose all, processes, services, none or from ${accepted.join(', ')}`);
  return names;
}

const MESSAGES = Math.round(positive('messages', args.messages));
const RATE = positive('rate', args.rate);
const FAULTS = faultList(args.faults ?? 'all');
const SERVICE_FAULT = args['service-fault'] as ServiceFaultMode | undefined;
if (SERVICE_FAULT !== undefined && SERVICE_FAULT !== 'stop' && SERVICE_FAULT !== 'kill') throw new Error(`--service-fault must be stop or kill, got "${SERVICE_FAULT}"`);
/** --service-fault when given, else the profile's way for that service (chaos/services.ts). */
const faultMode = (service: string): ServiceFaultMode => SERVICE_FAULT ?? defaultFaultMode(service);
const DOWN_MS = positive('down-seconds', args['down-seconds'], true) * 1000;
const SETTLE_MS = positive('settle-seconds', args['settle-seconds'], true) * 1000;
const RECOVERY_TIMEOUT_MS = positive('recovery-timeout-seconds', args['recovery-timeout-seconds']) * 1000;
const DRAIN_MS = positive('drain-seconds', args['drain-seconds']) * 1000;
/** How far past a broker kill the output pause is looked for. */
const PAUSE_WINDOW_MS = 60_000;

// Ctrl-C stops the run but still cleans up: children stopped, services up, topics removed.
const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted.signal.aborted) process.exit(130);
    say(`${signal}: stopping the run and cleaning up (again to quit at once)`);
    interrupted.abort(new Error(`interrupted by ${signal}`));
  });
}
/** A sleep that ends the run when it is interrupted. */
const pause = (ms: number) => sleep(ms, undefined, { signal: interrupted.signal });

const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function main(): Promise<number> {
  say(`chaos (${PROFILE} profile): ${MESSAGES} messages at ${RATE}/s; faults: ${FAULTS.join(', ') || 'none'}; ${loadLine()}`);
  await ensureStackUp();
  const id = uniqueName('chaos');
  const spider = await startSpiderServer();
  const env: Record<string, string> = {
    ...isolatedEnv(id),
    SPIDER_API: spider.spiderUrl,
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    ALERT_DIGEST_INTERVAL_SECONDS: '60',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    LOG_FORMAT: 'json',
  };
  const config = loadConfig(env);
  const logPath = join(tmpdir(), `crawlflow-${id}.log`);
  say(`run ${id}; process logs in ${logPath}`);
  const ledger = createLedger();
  const kafka = createKafka(config.kafka);
  const processes = createProcessGroup(env, logPath);
  let collector: Collector | undefined;
  const faults: Fault[] = [];
  try {
    await runCli(['setup'], env, logPath);
    // Output records carry the broker's append time: when each one was output, whatever the collector's delay.
    await withAdmin(kafka, (admin) => useAppendTime(admin, config.kafka.outputTopic));
    collector = await startCollector(kafka, config, ledger);
    await processes.start(PROCESSES);
    await Promise.all(PROCESS_NAMES.map((name) => processes.ready(name)));
    say('processes ready');

    const segment = MESSAGES / (FAULTS.length + 1);
    let produced = 0;
    // Half a segment per fault not yet injected is held back, so a run whose recoveries are slow
    // still has messages to send after its last faults (to measure their recovery by). The
    // producer never waits for a recovery: that needs fresh messages to be seen.
    const allowed = () => MESSAGES - (FAULTS.length - faults.length) * Math.floor(segment / 2);
    const producing = produce(kafka, config, ledger, id, allowed, (count) => (produced = count));
    producing.catch(() => undefined); // awaited below; a failure must not end the process before the cleanup

    const progress = setInterval(() => say(`  progress: ${progressLine(ledger)}`), 15_000);
    progress.unref();
    let threshold = Number.POSITIVE_INFINITY;
    for (const [index, name] of FAULTS.entries()) {
      while (produced < (index + 1) * segment) await pause(100);
      if (index === 0) {
        threshold = slowThresholdMs(ledger.arrivals(), Date.now());
        const keptUp = ledger.arrivals().length / Math.max(1, ledger.messagesIn);
        say(`before any fault: ${ledger.arrivals().length} of ${ledger.messagesIn} messages out; "slow" means over ${seconds(threshold)}`);
        if (keptUp < 0.8) say(`  WARNING: the pipeline does not keep up with ${RATE}/s on this machine now; recoveries will look slow (try a lower --rate)`);
      }
      const fault: Fault = { name, injectedAt: Date.now() };
      faults.push(fault);
      say(`fault ${index + 1}/${FAULTS.length}: ${describeFault(name)}`);
      fault.backAt = await inject(name, processes, config, fault);
      say(`  ${name} back after ${seconds(fault.backAt - fault.injectedAt)}`);
      const window = Math.max(5, Math.min(20, Math.round(RATE * 2)));
      const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
      // Healthy: the latest messages were sent after the fault and came out at normal latency —
      // or everything sent is out (the producer may be holding back its reserve).
      const caughtUp = () => ledger.distinctOut === ledger.messagesIn && ledger.arrivals().some((arrival) => arrival.sentAt >= fault.injectedAt);
      while (!healthySince(ledger.arrivals(), fault.injectedAt, threshold, window) && !caughtUp() && Date.now() < deadline) await pause(250);
      if (Date.now() < deadline) {
        fault.healthyAt = Date.now();
        say(`  healthy again ${seconds(fault.healthyAt - fault.injectedAt)} after the fault`);
      } else {
        say(`  not healthy again within ${seconds(RECOVERY_TIMEOUT_MS)}; going on`);
      }
      await pause(SETTLE_MS);
    }
    await producing;
    say(`all ${ledger.messagesIn} messages in; waiting for the last to come out`);
    await drain(ledger);
    clearInterval(progress);

    const totals = ledger.totals();
    const lost = ledger.lost();
    await report(config, ledger, faults, threshold, processes, lost);
    return totals.lost > 0 || totals.messagesIn < MESSAGES ? 1 : 0;
  } finally {
    await processes.stop();
    await collector?.stop();
    // Whatever happened, leave every service running for everyone else.
    await ensureStackUp().catch((error: Error) => say(`could not bring the stack back up: ${error.message} — run: npm run stack -- up`));
    await cleanUp(config, kafka).catch((error: Error) => say(`cleanup incomplete: ${error.message}`));
    await spider.close();
  }
}

let lastProgress = { at: Date.now(), out: 0 };
function progressLine(ledger: Ledger): string {
  const now = Date.now();
  const out = ledger.distinctOut;
  const rate = ((out - lastProgress.out) / (now - lastProgress.at)) * 1000;
  lastProgress = { at: now, out };
  const latest = ledger.arrivals().slice(-20).map((arrival) => arrival.at - arrival.sentAt);
  return `${ledger.messagesIn} in, ${out} out (${rate.toFixed(1)}/s), latest latency p50 ${seconds(quantile(latest, 0.5))}`;
}

function describeFault(name: string): string {
  if (PROCESS_NAMES.includes(name)) return `kill -9 ${name} (restarted 1 s later, as crawlflow up does)`;
  return `${faultMode(name) === 'kill' ? 'kill -9' : 'stop'} ${name}, ${seconds(DOWN_MS)} down, start it again`;
}

async function inject(name: string, processes: ProcessGroup, config: Config, fault: Fault): Promise<number> {
  if (PROCESS_NAMES.includes(name)) {
    await processes.killHard(name);
    return processes.ready(name, RECOVERY_TIMEOUT_MS);
  }
  if (name === COORDINATOR_BROKER) {
    const nodeId = await withAdmin(createKafka(config.kafka), (admin) => groupCoordinatorNode(admin, config.kafka.consumerGroup));
    say(`  the bridge's group ${config.kafka.consumerGroup} is coordinated by kafka-${nodeId}`);
    name = `kafka-${nodeId}`;
  }
  const broker = clusterBroker(name);
  if (!broker) {
    await restartService(name, faultMode(name), DOWN_MS);
    return Date.now();
  }
  // A broker of the cluster: watch its partitions' leaders from the other brokers meanwhile.
  const survivors = config.kafka.brokers.filter((address) => address !== broker.address);
  const topics = [config.kafka.inputTopic, config.kafka.outputTopic, config.kafka.deadLetterTopic];
  const watch = await watchLeaders(survivors, broker.nodeId, topics, RECOVERY_TIMEOUT_MS);
  fault.injectedAt = Date.now();
  const polling = watch.start();
  say(`  ${name} (node ${broker.nodeId}) led ${watch.led.length} partitions: ${watch.led.join(', ') || 'none'}`);
  const restarting = restartService(name, faultMode(name), DOWN_MS);
  polling.elected.then(
    (at) => say(at === undefined ? `  no new leader for ${name}'s partitions within ${seconds(RECOVERY_TIMEOUT_MS)}` : `  leaders moved off ${name} ${seconds(at - fault.injectedAt)} after the kill`),
    () => undefined,
  );
  try {
    await restarting;
  } finally {
    fault.election = { led: watch.led.length, electedAt: await polling.elected.catch(() => undefined) };
    await polling.stop();
  }
  return Date.now();
}

/** kafka-N of the cluster profile: its node id and address (stack/cluster-services.ts numbers them from 1). */
function clusterBroker(name: string): { nodeId: number; address: string } | undefined {
  const match = PROFILE === 'cluster' ? /^kafka-(\d+)$/.exec(name) : null;
  if (!match) return undefined;
  const nodeId = Number(match[1]);
  const port = CLUSTER_PORTS.kafkaBrokers[nodeId - 1];
  return port === undefined ? undefined : { nodeId, address: `127.0.0.1:${port}` };
}

async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Link messages at RATE per second, in batches every 100 ms; a failed send is retried until Kafka takes it. */
async function produce(kafka: Kafka, config: Config, ledger: Ledger, run: string, allowed: () => number, progress: (count: number) => void): Promise<void> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const perBatch = Math.max(1, Math.round(RATE / 10));
  let sent = 0;
  let next = Date.now();
  try {
    while (sent < MESSAGES) {
      const limit = Math.min(MESSAGES, allowed());
      if (sent >= limit) {
        await pause(100);
        next = Date.now();
        continue;
      }
      if (next > Date.now()) await pause(next - Date.now());
      const count = Math.min(perBatch, limit - sent);
      const ids = Array.from({ length: count }, (_, index) => `${run}-${sent + index}`);
      const messages = ids.map((id, index) => ({
        key: id,
        value: JSON.stringify({ id, type: 3, url: `http://chaos.example/article/${sent + index}`, text: 'chaos run' }),
      }));
      ledger.trying(ids, Date.now());
      let failingSince: number | undefined;
      for (;;) {
        try {
          await producer.send({ topic: config.kafka.inputTopic, acks: -1, messages });
          break;
        } catch (error) {
          if (failingSince === undefined) say(`  producer: send failed (${(error as Error).message}); retrying until Kafka takes it`);
          failingSince ??= Date.now();
          await pause(1000);
        }
      }
      if (failingSince !== undefined) say(`  producer: sending again after ${seconds(Date.now() - failingSince)}`);
      ledger.acknowledged(ids);
      sent += count;
      progress(sent);
      next += (count / RATE) * 1000;
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

interface Collector {
  stop(): Promise<void>;
}

/**
 * Reads the output and dead-letter topics from the start. Each Kafka position counts once, so
 * a record the collector itself reads twice (after its own reconnect) is not a duplicate; a
 * consumer that crashes for good is replaced.
 */
async function startCollector(kafka: Kafka, config: Config, ledger: Ledger): Promise<Collector> {
  const seen = new Set<string>();
  let consumer: Consumer | undefined;
  let stopped = false;
  const start = async (): Promise<void> => {
    const current = kafka.consumer({ groupId: `${config.kafka.consumerGroup}-chaos-collector` });
    consumer = current;
    current.on(current.events.CRASH, ({ payload }) => {
      if (payload.restart || stopped) return;
      say(`  collector: consumer stopped (${payload.error.message}); starting a new one`);
      void current.disconnect().catch(() => undefined);
      void retryForever(start);
    });
    await current.connect();
    await current.subscribe({ topics: [config.kafka.outputTopic, config.kafka.deadLetterTopic], fromBeginning: true });
    await current.run({
      eachMessage: async ({ topic, partition, message }) => {
        const position = `${topic}/${partition}/${message.offset}`;
        if (seen.has(position)) return;
        seen.add(position);
        if (topic === config.kafka.deadLetterTopic) return ledger.deadLetter();
        const value = JSON.parse(String(message.value)) as { crawlflow?: { fetch?: { status?: unknown } } };
        ledger.output(String(message.key), Date.now(), value.crawlflow?.fetch?.status, Number(message.timestamp));
      },
    });
  };
  const retryForever = async (attempt: () => Promise<void>): Promise<void> => {
    while (!stopped) {
      try {
        return await attempt();
      } catch {
        await sleep(2000);
      }
    }
  };
  await start();
  return {
    async stop() {
      stopped = true;
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}

/** Waits until every message is out, or nothing new came out for DRAIN_MS. */
async function drain(ledger: Ledger): Promise<void> {
  let last = ledger.distinctOut;
  let lastChange = Date.now();
  while (ledger.distinctOut < ledger.messagesIn && Date.now() - lastChange < DRAIN_MS) {
    await pause(500);
    if (ledger.distinctOut !== last) {
      last = ledger.distinctOut;
      lastChange = Date.now();
    }
  }
}

async function report(config: Config, ledger: Ledger, faults: Fault[], threshold: number, processes: ProcessGroup, lost: string[]): Promise<void> {
  const totals = ledger.totals();
  const latencies = ledger.arrivals().map((arrival) => arrival.at - arrival.sentAt);
  const lines = [
    '',
    `messages in       ${totals.messagesIn}  (${totals.inputRecords} records acknowledged)`,
    `distinct out      ${totals.distinctOut}`,
    `lost              ${totals.lost}`,
    `duplicates        ${totals.duplicates}  (output records beyond one per message: at-least-once delivery)`,
    `dead letters      ${totals.deadLetters}`,
    `fetch failed      ${totals.fetchFailed}  (published with empty content)`,
    `latency           p50 ${seconds(quantile(latencies, 0.5))}, p99 ${seconds(quantile(latencies, 0.99))}, max ${seconds(quantile(latencies, 1))}`,
    `throughput        ${throughputLine(ledger)}`,
    `machine           ${loadLine()} at the end`,
    `process exits     ${processes.unexpectedExits().length} by themselves${processes.unexpectedExits().length ? `: ${processes.unexpectedExits().map((exit) => `${exit.name} (${exit.code ?? exit.signal})`).join(', ')}` : ''}`,
  ];
  if (totals.strangers > 0) lines.push(`unknown ids out   ${totals.strangers}`);
  const failures = await failedMessagesByStep(config).catch((error: Error) => `unreadable (${error.message})`);
  lines.push(`failed_message    ${failures}`);
  if (faults.length > 0) {
    lines.push('', `recovery per fault ("slow" = over ${seconds(threshold)}, from the messages before the first fault)`);
    lines.push('fault             back     flowing  normal   messages sent after it');
    for (const fault of faultReports(faults, ledger.arrivals(), threshold)) {
      lines.push(`${fault.name.padEnd(18)}${seconds(fault.backMs).padEnd(9)}${seconds(fault.resumedMs).padEnd(9)}${seconds(fault.recoveredMs).padEnd(9)}${fault.measured}`);
    }
    lines.push('  back: the killed process answered /readyz, or the service was up again; flowing: the first');
    lines.push('  message sent after the fault came out; normal: the last one sent after it (before the next');
    lines.push('  fault) that came out slow. All measured from the moment of the fault.');
    const kills = faults.filter((fault) => fault.election);
    if (kills.length > 0) lines.push('', 'broker kill: leader election beside the output pause (output = the brokers\' append time of output records)');
    for (const fault of kills) {
      const election = fault.election!;
      const until = faults[faults.indexOf(fault) + 1]?.injectedAt ?? Number.POSITIVE_INFINITY;
      const pause = outputPause(ledger.appended(), fault.injectedAt, Math.min(PAUSE_WINDOW_MS, until - fault.injectedAt));
      const elected = election.electedAt === undefined ? 'not seen' : seconds(election.electedAt - fault.injectedAt);
      lines.push(`${fault.name.padEnd(18)}leader election ${elected} (${election.led} partitions it led, metadata polled from the other brokers every 100 ms)`);
      if (!pause) {
        lines.push(`${''.padEnd(18)}no output after the fault`);
        continue;
      }
      lines.push(`${''.padEnd(18)}longest output pause ${seconds(pause.longestMs)}, from ${seconds(pause.startsAtMs)} after the kill (longest before it: ${seconds(pause.beforeMs)})`);
      lines.push(`${''.padEnd(18)}outputs per second from 5 s before the kill: ${pause.perSecond.join(' ')}`);
    }
  }
  if (lost.length > 0) lines.push('', `lost (first ${Math.min(10, lost.length)} of ${lost.length}):`, ...(await describeLost(config, lost.slice(0, 10))));
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Sent and out per second over the run: first send to last send, first send to last output. */
function throughputLine(ledger: Ledger): string {
  const arrivals = ledger.arrivals();
  if (arrivals.length === 0) return '-';
  const firstSent = Math.min(...arrivals.map((arrival) => arrival.sentAt));
  const lastSent = Math.max(...arrivals.map((arrival) => arrival.sentAt));
  const lastOut = Math.max(...arrivals.map((arrival) => arrival.at));
  const perSecond = (count: number, ms: number) => (ms > 0 ? ((count / ms) * 1000).toFixed(1) : '-');
  return `${perSecond(arrivals.length, lastSent - firstSent)}/s sent, ${perSecond(arrivals.length, lastOut - firstSent)}/s out (first send to last output, ${seconds(lastOut - firstSent)})`;
}

async function failedMessagesByStep(config: Config): Promise<string> {
  const mongo = await connectMongo(config.mongo);
  try {
    const rows = await mongo.db.collection(Collection.FailedMessage).aggregate<{ _id: string; count: number }>([{ $group: { _id: '$step', count: { $sum: 1 } } }]).toArray();
    return rows.length === 0 ? '0' : rows.map((row) => `${row._id} ${row.count}`).join(', ');
  } finally {
    await mongo.client.close();
  }
}

/** Where each lost message got to: its workflow's status, or no workflow (it never left Kafka). */
async function describeLost(config: Config, ids: string[]): Promise<string[]> {
  const client = await connectTemporalClient(config.temporal);
  try {
    return await Promise.all(
      ids.map(async (id) => {
        const description = await client.workflow
          .getHandle(`msg-${id}`)
          .describe()
          .then((workflow) => `workflow ${workflow.status.name}`, () => 'no workflow');
        return `  ${id}: ${description}`;
      }),
    );
  } finally {
    await closeTemporalClient(client);
  }
}

/** Removes what the run made: its open workflows, digest schedule, topics and database. */
async function cleanUp(config: Config, kafka: Kafka): Promise<void> {
  const client = await connectTemporalClient(config.temporal);
  try {
    const open = client.workflow.list({ query: `TaskQueue = '${config.temporal.taskQueues.workflows}' AND ExecutionStatus = 'Running'` });
    for await (const workflow of open) await client.workflow.getHandle(workflow.workflowId).terminate('chaos run over').catch(() => undefined);
    await client.schedule.getHandle(alertDigestScheduleId(config.temporal.prefix)).delete().catch(() => undefined);
    await client.schedule.getHandle(payloadPruneScheduleId(config.temporal.prefix)).delete().catch(() => undefined);
  } finally {
    await closeTemporalClient(client);
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [config.kafka.inputTopic, config.kafka.outputTopic, config.kafka.deadLetterTopic] }).catch(() => undefined);
    await admin.deleteGroups([config.kafka.consumerGroup, `${config.kafka.consumerGroup}-chaos-collector`]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const mongo = await connectMongo(config.mongo);
  await mongo.db.dropDatabase();
  await mongo.client.close();
}

function runCli(argv: string[], env: Record<string, string>, logPath: string): Promise<void> {
  const log = openSync(logPath, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'bin', 'crawlflow.js'), ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`crawlflow ${argv.join(' ')} exited with ${code}; see ${logPath}`))));
  }).finally(() => closeSync(log));
}

function loadLine(): string {
  return `load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}`;
}

function seconds(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(1)} s`;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`chaos bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
