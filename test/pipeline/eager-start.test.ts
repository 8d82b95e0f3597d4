import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { metrics } from '../../infra/metrics/metrics';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

const eagerStarts = async (result: 'eager' | 'fallback') =>
  (await metrics.bridgeEagerStarts.get()).values.find((value) => value.labels.result === result)?.value ?? 0;

// TEMPORAL_EAGER_START (the default): the bridge's client shares the NativeConnection of a
// workflows worker in its process, and each run's first workflow task comes back with the start.
describe('eager start from the bridge', () => {
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  const run = uniqueName('eager');

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    pipeline = await startPipelineHarness({ env: { SPIDER_API: spider.spiderUrl } });
  });
  after(async () => {
    await pipeline?.close();
    await spider?.close();
  });

  it('starts runs eagerly, and they fetch, tag and publish', async () => {
    assert.equal(pipeline.config.temporal.eagerStart, true, 'eager start is the default');
    const before = await eagerStarts('eager');
    const ids = [1, 2, 3].map((index) => `${run}-${index}`);
    await pipeline.produce(ids.map((id, index) => ({ id, type: 3, url: `http://news.example/article/${index + 1}` })));
    for (const id of ids) {
      const { value } = await pipeline.waitForOutput(id);
      assert.equal(value.crawlflow.workflowId, `msg-${id}`);
      assert.ok(Array.isArray(value.tags) && value.tags.length > 0, 'tagged');
    }
    assert.ok((await eagerStarts('eager')) - before >= 1, 'the server handed at least one first workflow task back with its start');
  });

  it('a re-delivered record is still one run and one output', async () => {
    const id = `${run}-again`;
    const message = { id, type: 1, text: 'no link' };
    await pipeline.produce([message]);
    await pipeline.waitForOutput(id);
    const outputsBefore = pipeline.outputCount();
    await pipeline.produce([message]);
    const marker = `${run}-marker`;
    await pipeline.produce([{ id: marker, type: 1, text: 'after' }]);
    await pipeline.waitForOutput(marker);
    assert.equal(pipeline.outputCount() - outputsBefore, 1, 'only the marker was published again');
    const runs = await eventually('one run listed', async () => {
      const listed: string[] = [];
      for await (const execution of pipeline.temporal.workflow.list({ query: `WorkflowId = "msg-${id}"` })) listed.push(execution.runId);
      if (listed.length === 0) throw new Error('not listed yet');
      return listed;
    });
    assert.equal(runs.length, 1);
  });
});
