import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { mongoDatabaseName } from '../../infra/config/config';
import { createLogger } from '../../infra/logging/logger';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { createBridgeOnClients, type Bridge } from '../../processes/bridge';
import { startTcpProxy, type TcpProxy } from '../ops/tcp-proxy';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { requireStack, uniqueName } from '../../support/stack';

/** A logger whose JSON lines land in `lines` (level info and up). */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', format: 'json' }, { component: 'bridge-test' }, sink), lines };
}

// A dependency one partition's records need is down: that partition waits, the others flow,
// and the operator reads one warning and one "back" line.
describe('bridge: a record that must wait holds back only its own partition', () => {
  let pipeline: PipelineHarness;
  let producer: Producer;
  let proxy: TcpProxy;
  let proxiedMongo: MongoHandle;
  let bridge: Bridge | undefined;

  before(async () => {
    await requireStack();
    pipeline = await startPipelineHarness({ bridge: false });
    producer = pipeline.kafka.producer();
    await producer.connect();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 27017 });
    const database = mongoDatabaseName(pipeline.config.mongo.uri);
    proxiedMongo = await connectMongo({ ...pipeline.config.mongo, uri: `mongodb://${proxy.address}/${database}` }, { serverSelectionTimeoutMS: 1500 });
  });
  after(async () => {
    await bridge?.stop();
    await proxiedMongo?.client.close();
    await proxy?.close();
    await producer?.disconnect();
    await pipeline?.close();
  });

  it('a claim check MongoDB cannot take pauses partition 0 while partition 1 goes on; all come out once MongoDB is back; one warning, one info', async () => {
    const { logger, lines } = capturingLogger();
    // The bridge keeps its claim checks (and failure records) in MongoDB through the proxy.
    bridge = createBridgeOnClients({ config: pipeline.config, logger, kafka: pipeline.kafka, temporal: pipeline.temporal, db: proxiedMongo.db });
    await proxy.close();

    const run = uniqueName('wait');
    const large = { id: `${run}-large`, type: 1, text: `股票 ${'x'.repeat(40_000)}` }; // over the 32 KiB inline limit
    const small = (name: string) => ({ id: `${run}-${name}`, type: 1, text: `small ${name}` });
    const send = (partition: number, values: object[]) =>
      producer.send({ topic: pipeline.config.kafka.inputTopic, messages: values.map((value) => ({ partition, value: JSON.stringify(value) })) });
    await send(0, [large, small('p0-after')]);
    await send(1, [small('p1-a'), small('p1-b')]);
    await bridge.start();

    await pipeline.waitForOutput(`${run}-p1-a`);
    await pipeline.waitForOutput(`${run}-p1-b`);
    await eventually('partition 0 waiting', () => bridge?.waitingPartitions().includes(0));
    assert.equal(pipeline.outputs.has(large.id), false, 'the large message waits for MongoDB');
    // More records on partition 1 still flow while partition 0 waits.
    await send(1, [small('p1-c')]);
    await pipeline.waitForOutput(`${run}-p1-c`);
    assert.equal(pipeline.outputs.has(large.id), false);

    await proxy.open();
    await pipeline.waitForOutput(large.id, 60_000);
    await pipeline.waitForOutput(`${run}-p0-after`);
    assert.equal(pipeline.outputs.get(large.id)?.value.text, large.text, 'the claim-checked text came through whole');
    await eventually('the "back" line', () => lines.some((line) => line.msg === 'dependency reachable again'));

    const about = (dependency: string) => lines.filter((line) => line.dependency === dependency);
    assert.deepEqual(
      about('mongodb').map((line) => [line.level, line.msg]),
      [
        [40, 'dependency unreachable'],
        [30, 'dependency reachable again'],
      ],
      'one warning and one info line for the whole outage',
    );
    const warning = about('mongodb')[0]!;
    assert.match(String(warning.meanwhile), /wait in Kafka/);
    assert.ok(!Number.isNaN(Date.parse(String(warning.since))));
    assert.ok(Number(about('mongodb')[1]!.failedCalls) >= 1);
    assert.deepEqual(
      lines.filter((line) => Number(line.level) >= 50),
      [],
      'an outage that heals itself is not an error',
    );
  });
});
