import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

const bin = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');

/** A crawlflow worker process of the test's own configuration, to be killed for real. */
function startWorkerProcess(harness: PipelineHarness, queue: string): ChildProcess {
  return spawn(process.execPath, [bin, 'worker', '--queue', queue], {
    env: { ...process.env, ...harness.env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function killHard(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await new Promise((done) => child.once('exit', done));
}

/** Each mode's settings: batch windows as large as message mode's 32 starts in flight, so the crashing bridge below reaches every record. */
const MODES = {
  message: {},
  batch: { PIPELINE_MODE: 'batch', PIPELINE_BATCH_SIZE: '32', PIPELINE_BATCH_WAIT_MS: '200' },
} as const;

for (const [mode, modeEnv] of Object.entries(MODES)) describe(`resilience (${mode} mode)`, () => {
  let spider: SpiderServer;
  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
  });
  after(() => spider?.close());

  it('delivers every one of 1,000 messages while the cpu and io workers are killed with SIGKILL mid-run', async () => {
    const harness = await startPipelineHarness({ workers: false, env: { ...modeEnv, SPIDER_API: spider.spiderUrl, SPIDER_TIMEOUT_SECONDS: '2' } });
    const children: ChildProcess[] = [];
    try {
      const workflows = startWorkerProcess(harness, 'workflows');
      let io = startWorkerProcess(harness, 'io');
      let cpu = startWorkerProcess(harness, 'cpu');
      children.push(workflows, io, cpu);
      const run = uniqueName('kill');
      const ids = Array.from({ length: 1000 }, (_, index) => `${run}-${index}`);
      const messages = ids.map((id, index) =>
        index % 4 === 0 ? { id, type: 3, url: `http://news.example/article/${index}` } : { id, type: 1, text: `stock market message ${index}` },
      );
      for (let start = 0; start < messages.length; start += 100) await harness.produce(messages.slice(start, start + 100));

      await harness.waitForOutputs(150, 180_000);
      await killHard(cpu);
      cpu = startWorkerProcess(harness, 'cpu');
      children.push(cpu);

      await harness.waitForOutputs(450, 180_000);
      await killHard(io);
      io = startWorkerProcess(harness, 'io');
      children.push(io);

      await harness.waitForOutputs(ids.length, 300_000);
      const missing = ids.filter((id) => !harness.outputs.has(id));
      assert.deepEqual(missing, [], 'every message reached the output topic');
      for (const index of [0, 4, 996]) {
        assert.match(String(harness.outputs.get(ids[index] as string)?.value.content), new RegExp(`Article ${index}`));
      }
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await harness.close();
    }
  });

  it('loses nothing and runs nothing twice when the bridge dies between starting workflows and committing', async () => {
    const harness = await startPipelineHarness({ bridge: false, env: { ...modeEnv, SPIDER_API: spider.spiderUrl } });
    try {
      const run = uniqueName('crash');
      const ids = Array.from({ length: 40 }, (_, index) => `${run}-${index}`);
      await harness.produce(ids.map((id) => ({ id, type: 1, text: 'finance news' })));

      // This bridge starts workflows but dies before every commit.
      const firstStarts = new Set<string>();
      const crashing = await harness.startBridge({
        onRecord: (event) => {
          if (event.outcome === 'started') firstStarts.add(`${event.origin.partition}@${event.origin.offset}`);
        },
        beforeCommit: async () => {
          throw new Error('simulated crash before the offset commit');
        },
      });
      await eventually('the first bridge to start every workflow', () => firstStarts.size >= ids.length, { timeoutMs: 60_000 });
      assert.equal(firstStarts.size, ids.length, 'the first bridge started every workflow');
      await crashing.stop();

      // Its replacement gets every record again: all are "already started".
      const outcomes: string[] = [];
      await harness.startBridge({ onRecord: (event) => void outcomes.push(event.outcome) });
      await harness.waitForOutputs(ids.length);
      await eventually('every record re-delivered after the crash', () => outcomes.length >= ids.length);
      assert.ok(outcomes.every((outcome) => outcome === 'duplicate'), 'no second run was started');
      for (const id of ids.slice(0, 5)) {
        // Batch mode: the one window run that carried the message (visibility catches up a little later).
        const query = mode === 'batch' ? `CrawlflowMessageIds = '${id}'` : `WorkflowId = 'msg-${id}'`;
        const runs = await eventually(`the run of ${id} to be listed`, async () => {
          const found = [];
          for await (const execution of harness.temporal.workflow.list({ query })) found.push(execution);
          return found.length > 0 ? found : undefined;
        });
        assert.equal(runs.length, 1, `one run of ${id}`);
      }
      assert.equal(harness.outputCount(), ids.length, 'each message published exactly once');
    } finally {
      await harness.close();
    }
  });
});

