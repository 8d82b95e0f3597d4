import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Outcome } from '../../common/pipeline';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

// PIPELINE_LOCAL_FETCH=true: the workflows worker that runs a run (here the bridge's own, with
// eager start, or the standalone one) fetches its page as a local activity, with its own page
// fetcher and extraction threads; only tagging is left to a remote worker, on the cpu queue.
describe('fetching as a local activity of the workflows worker (PIPELINE_LOCAL_FETCH)', () => {
  let spider: SpiderServer;
  let pipeline: PipelineHarness;
  const run = uniqueName('local-fetch');

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    pipeline = await startPipelineHarness({ env: { SPIDER_API: spider.spiderUrl, PIPELINE_LOCAL_FETCH: 'true' } });
  });
  after(async () => {
    await pipeline?.close();
    await spider?.close();
  });

  it('fetches, tags and publishes a link message with only the tagging as an activity task', async () => {
    const id = `${run}-happy`;
    await pipeline.produce([{ id, type: 3, url: 'http://news.example/article/2' }]);
    const { value } = await pipeline.waitForOutput(id);
    assert.match(String(value.content), /Article 2/);
    assert.equal((value.crawlflow.fetch as { status: string }).status, 'ok');
    assert.ok(Array.isArray(value.tags) && value.tags.length > 0, 'tagged');
    const handle = pipeline.temporal.workflow.getHandle(`msg-${id}`);
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    assert.deepEqual(scheduled, ['tagMessages']);
    const markers = events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    assert.equal(markers.length, 2, 'the fetch and the publish ran as local activities');
    assert.deepEqual((await handle.describe()).searchAttributes.CrawlflowOutcome, [Outcome.Published]);
  });

  it('retries a spider that fails twice in place, then publishes the page', async () => {
    const id = `${run}-flaky`;
    await pipeline.produce([{ id, type: 3, url: `http://news.example/flaky/${id}` }]);
    const { value } = await pipeline.waitForOutput(id);
    assert.match(String(value.content), new RegExp(`Article flaky-${id}`));
    assert.equal(spider.hits.get(`/flaky/${id}`), 3);
  });
});
