/**
 * Generator runs, measured on the local stack in one run:
 *  1. URIs per second from a script that prints N URIs (a real generator run: schedule-less
 *     workflow → sandbox → validate → de-duplicate → insert), beside ingesting the same N URIs
 *     from a file through the ingest service, into a job of its own.
 *  2. Time from a schedule tick (Temporal's scheduled time) to the run's first task stored,
 *     and the sandbox's own start-up (bwrap + prlimit + setpriv + python3) for comparison.
 *
 *   npm run bench:generators -- [--uris 1000000] [--ticks 5]
 *
 * Needs the local stack (`npm run stack -- up`) and root (the sandbox switches user).
 * Results go to stdout; record them in docs/generators.md with the machine they ran on.
 */
import { writeFile, rm, mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { desiredGeneratorSchedule } from '../domain/generators/schedule';
import { createIngestService } from '../domain/ingest/service';
import { sandboxLimits } from '../infra/sandbox/limits';
import { runSandboxedScript } from '../infra/sandbox/run-script';
import { ScriptLanguage } from '../infra/sandbox/script-language';
import { Collection } from '../store/collections';
import { startGeneratorHarness } from '../support/generator-harness';
import { requireStack, uniqueName } from '../support/stack';

const { values } = parseArgs({ options: { uris: { type: 'string', default: '1000000' }, ticks: { type: 'string', default: '5' } } });
const N = Number(values.uris);
const TICKS = Number(values.ticks);

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  await requireStack();
  const h = await startGeneratorHarness({ env: { LOG_LEVEL: 'warn' } });
  const dir = await mkdtemp(join(tmpdir(), 'crawlflow-bench-'));
  try {
    process.stdout.write(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; N = ${N}\n\n`);

    // 1a. A generator printing N URIs.
    const script = `for i in range(${N}):\n    print(f"https://example.com/bench/{i}?q=x")\n`;
    const generator = await h.createGenerator(script, { timeoutSeconds: 3600 });
    const started = Date.now();
    const summary = await h.run(generator.id.toHexString(), { timeoutSeconds: 3600 });
    const generatorSeconds = (Date.now() - started) / 1000;
    if (summary.new !== N) throw new Error(`expected ${N} new URIs, got ${JSON.stringify(summary)}`);

    // 1b. The same URIs from a file, through ingest, into a job of its own.
    const file = join(dir, 'uris.txt');
    await writeFile(file, Array.from({ length: N }, (_, i) => `https://example.com/bench/${i}?q=x`).join('\n') + '\n');
    const fileJob = await h.store.jobs.create({ name: uniqueName('bench-file') });
    const ingest = createIngestService({ store: h.store, config: h.config, logger: h.logger });
    const fileStarted = Date.now();
    const receipt = await ingest.submitFile({ job: fileJob.name, path: file, filename: 'uris.txt' });
    const fileSeconds = (Date.now() - fileStarted) / 1000;

    const generatorRate = N / generatorSeconds;
    const fileRate = N / fileSeconds;
    process.stdout.write(
      [
        '| path | URIs | seconds | URIs/s |',
        '| --- | --- | --- | --- |',
        `| generator run (script → sandbox → store) | ${summary.new} | ${generatorSeconds.toFixed(1)} | ${Math.round(generatorRate)} |`,
        `| file ingest (same URIs) | ${JSON.stringify(receipt.counts)} | ${fileSeconds.toFixed(1)} | ${Math.round(fileRate)} |`,
        `| ratio generator / file | | | ${(generatorRate / fileRate).toFixed(2)} (target ≥ 0.5) |`,
        '',
      ].join('\n') + '\n',
    );

    // 2a. The sandbox's own start-up: spawn to first stdout line of a one-line script.
    const startups: number[] = [];
    for (let i = 0; i < 5; i++) {
      const spawned = Date.now();
      let first = 0;
      await runSandboxedScript({
        code: 'print("https://example.com/")',
        language: ScriptLanguage.Python,
        limits: sandboxLimits({ wallTimeSeconds: 30 }),
        mode: h.config.generators.sandboxMode,
        user: h.config.generators.sandboxUser,
        logger: h.logger,
        onLines: () => {
          first ||= Date.now() - spawned;
        },
      });
      startups.push(first);
    }

    // 2b. Ticks of a real schedule (every 5 s) to the first task of each run.
    const ticker = await h.createGenerator('import time\nprint(f"https://example.com/tick/{time.time_ns()}")\n', { cron: '0 0 1 1 *' });
    const desired = desiredGeneratorSchedule(h.config, ticker, h.job);
    if (desired.kind !== 'schedule') throw new Error(desired.reason);
    const schedule = await h.temporal.schedule.create({ ...desired.options, spec: { intervals: [{ every: '5s' }] } });
    try {
      const deadline = Date.now() + (TICKS + 3) * 5000 + 30_000;
      let runs: Array<{ workflowId: string }> = [];
      while (Date.now() < deadline) {
        runs = (await schedule.describe()).info.recentActions.map((action) => ({ workflowId: action.action.workflow.workflowId }));
        const tasks = await h.mongo.db.collection(Collection.CrawlerTask).countDocuments({ task_generator: ticker.id });
        if (runs.length >= TICKS && tasks >= TICKS) break;
        await sleep(500);
      }
      await schedule.pause('benchmark done');
      // Each run stores one task: pair every tick with the first task stored after it.
      const tasks = await h.mongo.db.collection(Collection.CrawlerTask).find({ task_generator: ticker.id }).sort({ add_datetime: 1 }).toArray();
      const stored = tasks.map((task) => (task.add_datetime as Date).getTime());
      const scheduled = (await schedule.describe()).info.recentActions.map((action) => action.scheduledAt.getTime()).sort((a, b) => a - b);
      const ticks = scheduled.flatMap((at, index) => {
        const next = scheduled[index + 1] ?? Infinity;
        const first = stored.find((time) => time >= at && time < next);
        return first === undefined ? [] : [first - at];
      });
      process.stdout.write(
        [
          '| measure | median ms | all (ms) |',
          '| --- | --- | --- |',
          `| sandbox start-up (spawn → first line) | ${median(startups)} | ${startups.join(', ')} |`,
          `| schedule tick → first task stored | ${median(ticks)} | ${ticks.join(', ')} |`,
          `| tick → first task, minus start-up | ${median(ticks) - median(startups)} | target ≤ 2000 |`,
          '',
        ].join('\n') + '\n',
      );
    } finally {
      await schedule.delete().catch(() => undefined);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await h.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
