/**
 * One lever of the message pipeline against its baseline, back to back on the same machine:
 * runs `bench/pipeline.bench.ts --modes message --own-server` alternately with the baseline's
 * and the lever's arguments (A B B A …, so a drift of the shared machine hits both alike), each
 * on a fresh throw-away dev server, and prints each run, the lever/baseline ratio of each pair
 * and their median.
 *
 *   npm run bench:levers -- --lever="--server-flag history.shardIOConcurrency=4" [--baseline="…"]
 *                           [--pairs 2] [--messages 400] [--rate-seconds 10]
 *
 * `--baseline` and `--lever` are argument strings of bench:pipeline (`--server-flag K=V`,
 * `--drop-server-flag K`, `--env K=V`), split on spaces. Record the results in docs/pipeline.md.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string', default: '' },
    lever: { type: 'string' },
    pairs: { type: 'string', default: '2' },
    messages: { type: 'string', default: '400' },
    'rate-seconds': { type: 'string', default: '10' },
  },
});
if (!values.lever) throw new Error('--lever "<bench:pipeline arguments>" is required');
const pairs = Number(values.pairs);
if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs must be a whole number ≥ 1, got "${values.pairs}"`);

interface RunResult {
  variant: 'baseline' | 'lever';
  perSecond: number;
  p99HalfMs: number | null;
  eventsPerMessage: number | null;
  workflowTasksPerMessage: number | null;
  activityTasksPerMessage: number | null;
  loadAverage: number;
}

const split = (args: string) => args.split(/\s+/).filter((part) => part.length > 0);

function runOnce(variant: RunResult['variant'], args: string): Promise<RunResult> {
  const argv = ['tsx', 'bench/pipeline.bench.ts', '--modes', 'message', '--own-server', '--messages', values.messages, '--rate-seconds', values['rate-seconds'], ...split(args)];
  return new Promise((resolve, reject) => {
    const child = spawn('npx', argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench:pipeline ${argv.slice(2).join(' ')} exited with ${code}:\n${stdout.slice(-2000)}`));
      const lines = stdout.trim().split('\n');
      const summary = JSON.parse(lines[lines.length - 1] ?? '{}') as {
        message: number;
        p99HalfLoadMs: { message: number | null };
        eventsPerMessage: { message: number | null };
        loadAverage: number;
      };
      // | message | runs | messages | events | workflow tasks | activity tasks | local activities |
      const row = lines.find((line) => line.startsWith('| message |'))?.split('|').map((cell) => cell.trim());
      const cell = (index: number) => (row?.[index] !== undefined ? Number(row[index]) : null);
      resolve({
        variant,
        perSecond: summary.message,
        p99HalfMs: summary.p99HalfLoadMs.message,
        eventsPerMessage: summary.eventsPerMessage.message,
        workflowTasksPerMessage: cell(5),
        activityTasksPerMessage: cell(6),
        loadAverage: summary.loadAverage,
      });
    });
  });
}

async function main(): Promise<void> {
  const runs: RunResult[] = [];
  const ratios: number[] = [];
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`baseline: ${values.baseline || '(stack flags, defaults)'}\nlever:    ${values.lever}\nload average at start: ${(loadavg()[0] ?? 0).toFixed(1)}\n`);
  out('| pair | variant | messages/s | p99 at half load ms | events / message | workflow tasks / message | activity tasks / message | load |\n| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (let pair = 1; pair <= pairs; pair++) {
    // A B, then B A: the order alternates so a machine getting busier or quieter hits both.
    const order: Array<[RunResult['variant'], string]> =
      pair % 2 === 1 ? [['baseline', values.baseline], ['lever', values.lever as string]] : [['lever', values.lever as string], ['baseline', values.baseline]];
    const results: Partial<Record<RunResult['variant'], RunResult>> = {};
    for (const [variant, args] of order) {
      const result = await runOnce(variant, args);
      results[variant] = result;
      runs.push(result);
      out(
        `| ${pair} | ${variant} | ${result.perSecond} | ${result.p99HalfMs ?? '-'} | ${result.eventsPerMessage ?? '-'} | ${result.workflowTasksPerMessage ?? '-'} | ${result.activityTasksPerMessage ?? '-'} | ${result.loadAverage} |`,
      );
    }
    ratios.push((results.lever?.perSecond ?? Number.NaN) / (results.baseline?.perSecond ?? Number.NaN));
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : ((sorted[sorted.length / 2 - 1] ?? 0) + (sorted[sorted.length / 2] ?? 0)) / 2;
  out(`\nlever / baseline throughput per pair: ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')}; median ${median?.toFixed(2)}`);
  out(JSON.stringify({ baseline: values.baseline, lever: values.lever, ratios: ratios.map((ratio) => Number(ratio.toFixed(3))), median: Number(median?.toFixed(3)), runs }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
