import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { lazyClient } from '../../infra/clients/lazy-client';
import { createKafka } from '../../infra/kafka/kafka';
import { createOverview, type Overview } from '../../domain/monitoring/overview';
import { connectMongo } from '../../infra/mongo/client';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { loadCliContext, UsageError } from '../context';

/** The page's monitoring panel in a terminal: two samples of the topics `--interval` apart, then every part. */
export function registerOverviewCommand(program: Command): void {
  program
    .command('overview')
    .description('monitoring at a glance: messages in/out per minute, failures by step, bridge lag, queues and workers, generators, alerts')
    .option('--interval <seconds>', 'seconds between the two samples of the topics (the rate)', '10')
    .option('--json', 'the overview as JSON (as GET /api/overview)')
    .action(async (options: { interval: string; json?: boolean }) => {
      const seconds = Number(options.interval);
      if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) throw new UsageError(`--interval must be 1 to 600 seconds, got ${options.interval}`);
      const { config } = loadCliContext('overview');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-overview' });
      const admin = createKafka(config.kafka, undefined, 'overview', { retry: { retries: 1 } }).admin();
      const connected = lazyClient(async () => (await admin.connect(), admin));
      const temporal = connectTemporalClient(config.temporal);
      temporal.catch(() => undefined);
      try {
        const overview = createOverview(
          { config, db: mongo.db, kafkaAdmin: () => connected.get(), temporal: () => temporal },
          { sampleEveryMs: seconds * 1000, cacheMs: 0 },
        );
        await overview.sample();
        await sleep(seconds * 1000);
        await overview.sample();
        const snapshot = await overview.snapshot();
        process.stdout.write(options.json ? `${JSON.stringify(snapshot, null, 2)}\n` : formatOverview(snapshot));
      } finally {
        await admin.disconnect().catch(() => undefined);
        await temporal.then(closeTemporalClient, () => undefined);
        await mongo.client.close();
      }
    });
}

export function formatOverview(overview: Overview): string {
  const part = <T>(name: string, section: { ok: true; value: T } | { ok: false; error: string }, show: (value: T) => string) =>
    `${name.padEnd(16)} ${section.ok ? show(section.value) : `unavailable: ${section.error}`}`;
  const lines = [
    `crawlflow overview at ${overview.at}`,
    part('messages', overview.throughput, (flow) => {
      const last = flow.series.at(-1);
      return last ? `in ${last.inPerMinute}/min, out ${last.outPerMinute}/min, failures ${last.failuresPerMinute}/min` : 'one sample only';
    }),
    part('failures', overview.failures, (failures) => {
      const steps = Object.entries(failures.byStep).map(([step, count]) => `${step} ${count}`);
      return `${failures.total}${failures.atLeast ? '+' : ''} in the last ${failures.windowMinutes} min${steps.length > 0 ? ` (${steps.join(', ')})` : ''}`;
    }),
    part('bridge lag', overview.bridgeLag, (lag) => `${lag.total} records behind on ${lag.topic} (group ${lag.group})`),
    part('feeder backlog', overview.feederBacklog, (feeder) => `${feeder.waiting}${feeder.atLeast ? '+' : ''} new tasks waiting${feeder.oldestAt ? `, oldest since ${feeder.oldestAt}` : ''}`),
    part('generators', overview.generators, (runs) => `${runs.runs}${runs.atLeast ? '+' : ''} runs in ${runs.windowHours} h, ${runs.failed} failed`),
    part('alerts', overview.alerts, (alerts) => `${alerts.waiting} waiting, last digest ${alerts.lastDigestAt ?? 'never'}${alerts.inTrouble ? ' (in trouble)' : ''}`),
    part('task queues', overview.taskQueues, (queues) =>
      queues.map((queue) => `\n  ${queue.kind.padEnd(10)} ${queue.name.padEnd(32)} workers ${queue.workers}  backlog ${queue.backlog}${queue.backlog > 0 ? ` (oldest ${queue.oldestSeconds} s)` : ''}`).join(''),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
