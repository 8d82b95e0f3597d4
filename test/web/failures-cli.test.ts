import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ObjectId } from 'mongodb';
import { createIngestService } from '../../domain/ingest/service';
import { createFailedMessageRepository } from '../../store/failed-messages';
import { CrawlerTaskStatus } from '../../store/crawler-tasks';
import { createStore, type Store } from '../../store/store';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

const bin = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');

/** The CLI equivalents of the page's failures, dead letters, task story and overview, on the real pipeline. */
describe('crawlflow replay / dead-letters / task / overview (real pipeline)', () => {
  const run = uniqueName('wfcli');
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  let store: Store;

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    pipeline = await startPipelineHarness({ env: { SPIDER_API: spider.spiderUrl, SPIDER_TIMEOUT_SECONDS: '2' } });
    store = createStore(pipeline.mongo.db);
  });
  after(async () => {
    await pipeline?.mongo.db.dropDatabase();
    await pipeline?.close();
    await spider?.close();
  });

  /** Runs the CLI as a child with the pipeline's environment (async: the workers run in this process). */
  async function crawlflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, ...pipeline.env }, timeout: 90_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }
  const runEnded = (workflowId: string) => pipeline.temporal.workflow.getHandle(workflowId).result().catch(() => undefined);

  it('lists failures with filters, shows one, replays by filter and shows the outcome', async () => {
    const id = `${run}-m`;
    await pipeline.produce([{ id, type: 3, url: `http://news.example/toggle/${id}` }]);
    await pipeline.waitForOutput(id);
    await runEnded(`msg-${id}`);
    const [record] = await eventually('the failure', async () => {
      const found = (await createFailedMessageRepository(pipeline.mongo.db).byWorkflowId(`msg-${id}`)).filter((r) => r.step === 'fetch');
      return found.length > 0 ? found : undefined;
    });
    const failureId = record!._id.toHexString();

    const listed = await crawlflow('replay', 'list', '--step', 'fetch', '--error-type', 'HttpClientError', '--status', 'failed');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${failureId}  .* fetch +failed +HttpClientError: `, 'm'));
    assert.match(listed.stdout, new RegExp(`/workflows/msg-${id}/`));
    assert.match((await crawlflow('replay', 'list', '--error-type', 'Nothing')).stdout, /no failed messages match/);
    const badStep = await crawlflow('replay', 'list', '--step', 'fly');
    assert.equal(badStep.code, 2);
    assert.match(badStep.stderr, /unknown step fly: choose fetch, tag/);
    assert.match((await crawlflow('replay', 'list', '--job', 'nobody')).stderr, /no job named "nobody"/);

    spider.fixToggle(id);
    const replayed = await crawlflow('replay', 'run', '--step', 'fetch', '--error-type', 'HttpClientError');
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.match(replayed.stdout, new RegExp(`^${failureId}  started  `, 'm'));
    assert.match(replayed.stdout, /^1 of 1 matching replayed/m);
    const shown = await eventually('the replay ends', async () => {
      const result = await crawlflow('replay', 'show', failureId);
      return /replay +\S+ +published/.test(result.stdout) ? result : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1000 });
    assert.match(shown.stdout, new RegExp(`^failed message ${failureId}  replayed$`, 'm'));
    assert.match(shown.stdout, /^ {2}error +HttpClientError: /m);
  });

  it('lists and shows dead letters with hostile bytes escaped', async () => {
    await pipeline.produce([Buffer.from('<img src=x onerror=alert(1)>\u202Etxt.exe\u0007', 'utf8')]);
    await pipeline.waitForDeadLetters(1);
    const listed = await eventually('listed', async () => {
      const result = await crawlflow('dead-letters', 'list');
      return result.stdout.includes('invalid_json') ? result : undefined;
    }, { timeoutMs: 30_000, intervalMs: 1000 });
    assert.ok(!['\u202E', '\u0007'].some((char) => listed.stdout.includes(char)), 'no bidi or bell character reaches the terminal');
    assert.match(listed.stdout, /<img src=x onerror=alert\(1\)>⟨U\+202E⟩txt\.exe⟨U\+0007⟩/);
    const id = /^([0-9a-f]{24}) /m.exec(listed.stdout)?.[1];
    assert.ok(id);
    const shown = await crawlflow('dead-letters', 'show', id);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^ {2}reason +invalid_json$/m);
    assert.match(shown.stdout, new RegExp(`^ {2}source +${pipeline.config.kafka.inputTopic}/\\d+@\\d+$`, 'm'));
    assert.match(shown.stdout, /2 invisible or control characters shown/);
    assert.match(shown.stdout, /^ {4}3c 69 6d 67 /m);
    assert.match((await crawlflow('dead-letters', 'show', new ObjectId().toHexString())).stderr, /no dead-lettered record/);
  });

  it("shows a task's story and retries its failed download", async () => {
    const job = await store.jobs.create({ name: `${run}-job` });
    const key = `${run}-t`;
    const uri = `http://news.example/toggle/${key}`;
    const receipt = await createIngestService({ store, config: pipeline.config, logger: pipeline.logger }).submitUris({ job: job.name, uris: [uri] });
    const taskId = receipt.lines[0]!.taskId!;
    const early = await crawlflow('task', 'retry', taskId);
    assert.equal(early.code, 2);
    assert.match(early.stderr, /is "new", not "download failed"/);
    await pipeline.produce([{ id: taskId, type: 3, url: uri, job: job.id.toHexString(), taskId, source: 'crawler_task' }]);
    await pipeline.waitForOutput(taskId);
    await runEnded(`msg-${taskId}`);
    const story = await eventually('download failed', async () => {
      const result = await crawlflow('task', 'show', taskId);
      return /^task \S+ {2}download failed {2}\(retry: /m.test(result.stdout) ? result : undefined;
    }, { timeoutMs: 30_000, intervalMs: 1000 });
    assert.match(story.stdout, /^ {4}\S+ {2}stored +new +manual/m);
    assert.match(story.stdout, /^ {4}\S+ {2}fetch_failed +download failed +.*404/m);

    spider.fixToggle(key);
    const retried = await crawlflow('task', 'retry', taskId);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, new RegExp(`^${taskId}  started  `, 'm'));
    await eventually('analysed', async () => (await store.tasks.get(new ObjectId(taskId)))?.status === CrawlerTaskStatus.Analysed, { timeoutMs: 60_000 });
    const json = JSON.parse((await crawlflow('task', 'show', taskId, '--json')).stdout) as { task: { status: string }; fetches: unknown[] };
    assert.equal(json.task.status, 'analysed');
    assert.equal(json.fetches.length, 2);
  });

  it('prints the overview', async () => {
    const result = await crawlflow('overview', '--interval', '1');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^messages +in [\d.]+\/min, out [\d.]+\/min/m);
    assert.match(result.stdout, /^failures +\d+ in the last 60 min \(.*fetch \d+/m);
    assert.match(result.stdout, /^bridge lag +\d+ records behind/m);
    assert.match(result.stdout, /^ {2}io +\S+ +workers [1-9]/m);
    const json = JSON.parse((await crawlflow('overview', '--interval', '1', '--json')).stdout) as { throughput: { ok: boolean } };
    assert.equal(json.throughput.ok, true);
  });
});
