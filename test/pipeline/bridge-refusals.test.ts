import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { capKeywordValue, SEARCH_ATTRIBUTE_VALUE_MAX_BYTES } from '../../common/search-attributes';
import { createFailedMessageRepository } from '../../store/failed-messages';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { requireStack, uniqueName } from '../../support/stack';

describe('search-attribute values are cut to what Temporal stores', () => {
  const encoded = (value: string) => Buffer.byteLength(JSON.stringify(value), 'utf8');

  it('keeps a value that fits, cuts one that does not on a character boundary', () => {
    assert.deepEqual(capKeywordValue('news'), { value: 'news' });
    for (const unit of ['a', '中', '😀', 'é', '"', '\n']) {
      const { value, cut } = capKeywordValue(unit.repeat(3000));
      assert.ok(cut, unit);
      assert.ok(encoded(value) <= SEARCH_ATTRIBUTE_VALUE_MAX_BYTES, `${JSON.stringify(unit)}: ${encoded(value)} bytes`);
      assert.ok(encoded(value + unit) > SEARCH_ATTRIBUTE_VALUE_MAX_BYTES, `${JSON.stringify(unit)}: the longest prefix that fits`);
      assert.equal(value, unit.repeat(value.length / unit.length), `${JSON.stringify(unit)}: whole characters only`);
      assert.equal(cut.keptChars, value.length);
    }
    // 682 CJK characters are 2,046 bytes, 2,048 with the quotes: the server takes exactly that.
    assert.equal(capKeywordValue('中'.repeat(700)).value.length, 682);
  });
});

// The bridge on the real stack with records Temporal would refuse, between ordinary ones, on
// both partitions: nothing ordinary may be held back by them.
describe('bridge: records Temporal refuses never stop the pipeline', () => {
  let pipeline: PipelineHarness;
  let producer: Producer;

  before(async () => {
    await requireStack();
    // Room for a record whose run input is over Temporal's 2 MiB blob limit.
    pipeline = await startPipelineHarness({ env: { KAFKA_MAX_MESSAGE_BYTES: String(3 * 1024 * 1024) } });
    producer = pipeline.kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await producer?.disconnect();
    await pipeline?.close();
  });

  it('runs an oversized job with its search attribute cut, dead-letters a too-long id and a too-large input with the reason, and every ordinary record comes out', async () => {
    const run = uniqueName('refuse');
    const hugeJob = { id: `${run}-job`, type: 1, text: 'stock market', job: 'j'.repeat(3000) };
    const longId = { id: `${run}-${'x'.repeat(1200)}`, type: 1, text: 'a message whose id is too long' };
    // The text goes to MongoDB as a claim check, but the url is in the run's input itself.
    const tooLarge = { id: `${run}-blob`, type: 1, url: `http://big.example/${'a'.repeat(2_200_000)}` };
    const ordinary = (name: string) => ({ id: `${run}-${name}`, type: 1, text: `ordinary ${name}` });
    const send = (partition: number, values: object[]) =>
      producer.send({ topic: pipeline.config.kafka.inputTopic, messages: values.map((value) => ({ partition, value: JSON.stringify(value) })) });
    await send(0, [hugeJob, ordinary('a1'), longId, ordinary('a2'), tooLarge, ordinary('a3')]);
    await send(1, [ordinary('b1'), ordinary('b2')]);

    const expected = ['job', 'a1', 'a2', 'a3', 'b1', 'b2'].map((name) => `${run}-${name}`);
    await pipeline.waitForOutputs(expected.length, 90_000);
    assert.deepEqual(expected.filter((id) => !pipeline.outputs.has(id)), [], 'every ordinary record and the huge job came out');

    // The huge job ran, with its search attribute cut and the cut recorded on the output.
    const job = pipeline.outputs.get(hugeJob.id)!;
    assert.equal(job.value.job, hugeJob.job, 'the message itself is unchanged');
    assert.match(String((job.value.crawlflow.warnings as string[])[0]), /CrawlflowJob cut to its first 2046 characters: the value is 3002 bytes/);
    const described = await pipeline.temporal.workflow.getHandle(`msg-${hugeJob.id}`).describe();
    assert.equal((described.searchAttributes.CrawlflowJob as string[])[0], 'j'.repeat(2046));

    const deadLetters = await pipeline.waitForDeadLetters(2);
    const byOffset = new Map(deadLetters.map((letter) => [letter.headers['crawlflow-source-offset'], letter.headers]));
    assert.equal(deadLetters.length, 2, 'only the two refused records are dead-lettered');
    const idLetter = byOffset.get('2');
    const blobLetter = byOffset.get('4');
    assert.equal(idLetter?.['crawlflow-dead-letter-reason'], 'start_refused');
    assert.match(String(idLetter?.['crawlflow-dead-letter-detail']), /workflow id is 1\d{3} bytes long .*at most 1000/);
    assert.equal(blobLetter?.['crawlflow-dead-letter-reason'], 'start_refused');
    assert.match(String(blobLetter?.['crawlflow-dead-letter-detail']), /Blob data size exceeds limit/, "the server's own reason");

    const failures = await createFailedMessageRepository(pipeline.mongo.db).find({ step: 'bridge' });
    assert.deepEqual(failures.map((failure) => failure.errorType).sort(), ['start_refused', 'start_refused']);
    assert.deepEqual(failures.map((failure) => failure.raw?.offset).sort(), ['2', '4']);
  });
});
