import { Collection } from '../../store/collections';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import { batchWorkflowId } from '../../common/messages';
import { BatchOutcome, FailureStep, Outcome, type BatchWorkflowResult } from '../../common/pipeline';
import { createFailedMessageRepository } from '../../store/failed-messages';
import { replayFailedMessages } from '../../starters/replay';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type OutputRecord, type PipelineHarness } from '../../support/pipeline-harness';
import { startSpiderServer, type SpiderServer } from '../../support/spider-server';
import { requireStack, uniqueName } from '../../support/stack';

// Batch mode end to end on the real stack: one window of one partition becomes one batch
// workflow; every message keeps its own identity (search attribute, output, failure, replay).
describe('batch mode end to end', () => {
  let spider: SpiderServer;
  let batch: PipelineHarness;
  let message: PipelineHarness;
  let producer: Producer;
  const run = uniqueName('batch');
  const id = (name: string) => `${run}-${name}`;
  // The output limit leaves `huge` no room once the metadata is added: it fails to publish alone.
  const maxMessageBytes = 200_000;

  before(async () => {
    await requireStack();
    spider = await startSpiderServer();
    const env = { SPIDER_API: spider.spiderUrl, SPIDER_TIMEOUT_SECONDS: '2', KAFKA_MAX_MESSAGE_BYTES: String(maxMessageBytes) };
    batch = await startPipelineHarness({ env: { ...env, PIPELINE_MODE: 'batch', PIPELINE_BATCH_SIZE: '16', PIPELINE_BATCH_WAIT_MS: '1500' } });
    message = await startPipelineHarness({ env });
    producer = batch.kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await producer?.disconnect();
    await batch?.close();
    await message?.close();
    await spider?.close();
  });

  const failures = () => createFailedMessageRepository(batch.mongo.db);
  const runsCarrying = async (messageId: string) => {
    const runs: WorkflowExecutionInfo[] = [];
    for await (const execution of batch.temporal.workflow.list({ query: `CrawlflowMessageIds = "${messageId}"` })) runs.push(execution);
    return runs;
  };
  /** An output without what differs between any two runs of one message (how long they took). */
  const comparable = (output: OutputRecord) => {
    const { timings, ...crawlflow } = output.value.crawlflow;
    const { webCrawlConsume, ...value } = output.value;
    return { key: output.key, headers: output.headers, value: { ...value, crawlflow, webCrawlConsume: typeof webCrawlConsume, timings: Object.keys(timings as object).sort() } };
  };

  it('runs a window as one workflow: messages published as in message mode, a failing one recorded alone and replayed alone', async () => {
    const large = `finance ${'股票市场 '.repeat(8_000)}`; // ~100 KB: a claim check in both modes
    const records = [
      { id: id('link'), type: 3, url: 'http://news.example/article/1', text: '股票 消息' },
      { id: id('text'), type: 1, text: 'the stock market rallied' },
      { id: id('toggle'), type: 3, url: `http://news.example/toggle/${run}` },
      { id: id('large'), type: 1, text: large },
      'not json',
      { id: id('huge'), type: 1, text: 'x'.repeat(maxMessageBytes - 1_000) },
      { id: id('link2'), type: 3, url: 'http://news.example/article/2' },
    ];
    // One partition, well within the wait: a single window (7 records < 16, started after the wait).
    // One send per record: together they are more than the topic takes in one request.
    for (const record of records) {
      await producer.send({ topic: batch.config.kafka.inputTopic, messages: [{ partition: 0, value: typeof record === 'string' ? record : JSON.stringify(record) }] });
    }
    const windowId = batchWorkflowId({ topic: batch.config.kafka.inputTopic, partition: 0, firstOffset: '0' });
    const handle = batch.temporal.workflow.getHandle(windowId);
    await eventually('the window to start its run', () => handle.describe(), { timeoutMs: 60_000 });
    const result = (await handle.result()) as BatchWorkflowResult;
    assert.deepEqual(result, { outcome: BatchOutcome.PartlyFailed, messages: 6, published: 5, failed: 1, fetchFailed: 1 });

    for (const name of ['link', 'text', 'toggle', 'large', 'link2']) await batch.waitForOutput(id(name));
    assert.equal(batch.outputs.has(id('huge')), false, 'the message too large to publish is not published');
    assert.equal((await batch.waitForDeadLetters(1)).length, 1, 'the record that is not JSON is dead-lettered');
    assert.match(String(batch.outputs.get(id('link'))?.value.content), /央行宣布加息/);
    assert.equal(batch.outputs.get(id('large'))?.value.text, large, 'the claim-checked message is published whole');
    assert.equal((batch.outputs.get(id('toggle'))?.value.crawlflow.fetch as { status: string }).status, 'failed');

    // Output records are those of message mode: key, headers, value (publish time aside).
    await message.produce(records.filter((record) => typeof record !== 'string' && ['link', 'text', 'large'].some((name) => record.id === id(name))) as Array<Record<string, unknown>>);
    for (const name of ['link', 'text', 'large']) {
      const inMessageMode = await message.waitForOutput(id(name));
      assert.deepEqual(comparable(batch.outputs.get(id(name)) as OutputRecord), comparable(inMessageMode), `${name}: same output in both modes`);
    }
    assert.equal(batch.outputs.get(id('text'))?.headers['crawlflow-workflow-id'], `msg-${id('text')}`);

    // Each message finds the window's run by its id.
    for (const name of ['link', 'huge', 'toggle']) {
      const runs = await eventually(`the run carrying ${name} is searchable`, async () => {
        const found = await runsCarrying(id(name));
        return found.length > 0 ? found : undefined;
      });
      assert.deepEqual(runs.map((execution) => execution.workflowId), [windowId]);
    }
    const description = await batch.temporal.workflow.getHandle(windowId).describe();
    assert.deepEqual(description.searchAttributes.CrawlflowOutcome, [BatchOutcome.PartlyFailed]);
    assert.equal((description.searchAttributes.CrawlflowMessageIds as string[]).length, 6);

    // Each failing message has a failure record and an alert of its own, under its own workflow id.
    const records_ = await failures().find({});
    const huge = records_.find((record) => record.workflowId === `msg-${id('huge')}`);
    assert.ok(huge, 'the message that could not be published has its own failure record');
    assert.equal(huge.step, FailureStep.Publish);
    assert.equal(huge.errorType, 'OutputTooLarge');
    assert.equal(huge.batchWorkflowId, windowId);
    assert.equal(huge.runId, description.runId);
    const toggle = records_.find((record) => record.workflowId === `msg-${id('toggle')}`);
    assert.ok(toggle, 'the page that could not be fetched has its own failure record');
    assert.equal(toggle.step, FailureStep.Fetch);
    const alerts = await batch.mongo.db.collection(Collection.Alert).find({}).toArray();
    for (const failure of [huge, toggle]) {
      const alert = alerts.find((candidate) => (candidate.detail as { failedMessageId?: string })?.failedMessageId === failure._id.toHexString());
      assert.ok(alert, `an alert for ${failure.workflowId}`);
      assert.equal(alert.workflowId, windowId, 'the alert links the run that exists: the window');
    }

    // A replay runs the message alone as a message workflow, under its own id.
    spider.fixToggle(run);
    const [replay] = await replayFailedMessages({ client: batch.temporal, config: batch.config, failedMessages: failures() }, { ids: [toggle._id.toHexString()] });
    assert.equal(replay?.result, 'started');
    const replayed = await batch.temporal.workflow.getHandle(`msg-${id('toggle')}`).result();
    assert.equal((replayed as { outcome: string }).outcome, Outcome.Published);
    await eventually('the replayed page is published with its content', () => /Article toggle-/.test(String(batch.outputs.get(id('toggle'))?.value.content)));
    await eventually('the replay is recorded as done', async () => (await failures().find({ ids: [toggle._id.toHexString()] }))[0]?.status === 'replayed');
  });

  it('cuts windows where their message ids would pass what Temporal takes in one search attribute', async () => {
    // 16 ids of ~200 characters: ~3.3 KB as one CrawlflowMessageIds value, over the 2048 bytes
    // Temporal accepts. The bridge must cut two windows, not start one the server refuses.
    const longIds = Array.from({ length: 16 }, (_, index) => id(`long-${index}-${'长'.repeat(60)}-${'x'.repeat(60)}`));
    await producer.send({
      topic: batch.config.kafka.inputTopic,
      messages: longIds.map((messageId) => ({ partition: 1, value: JSON.stringify({ id: messageId, type: 1, text: 'the stock market rallied' }) })),
    });
    for (const messageId of longIds) await batch.waitForOutput(messageId);

    const windows = new Map<string, string[]>();
    for (const messageId of longIds) {
      const runs = await eventually(`the run carrying ${messageId.slice(0, 40)}… is searchable`, async () => {
        const found = await runsCarrying(messageId);
        return found.length > 0 ? found : undefined;
      });
      assert.equal(runs.length, 1);
      const [carrying] = runs as [WorkflowExecutionInfo];
      assert.match(carrying.workflowId, /^batch-/, 'carried by a batch window, not started alone after a refusal');
      windows.set(carrying.workflowId, carrying.searchAttributes.CrawlflowMessageIds as string[]);
    }
    assert.ok(windows.size >= 2, `the 16 ids are split over windows (${windows.size})`);
    for (const [windowId, ids] of windows) {
      assert.ok(Buffer.byteLength(JSON.stringify(ids)) <= 2048, `${windowId}: ${Buffer.byteLength(JSON.stringify(ids))} bytes of ids`);
    }
    assert.equal([...windows.values()].flat().length, longIds.length, 'every id in exactly one window');
  });
});
