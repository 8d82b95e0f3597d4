import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { createKafka } from '../../infra/kafka/kafka';
import { requireStack, testConfig, uniqueName } from '../../support/stack';

const bin = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');

describe('crawlflow produce', () => {
  before(() => requireStack());

  it('sends each stdin line to the topic, and names a missing topic', async () => {
    const config = testConfig();
    const kafka = createKafka(config.kafka);
    const topic = uniqueName('produce-cli');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    try {
      const lines = ['{"id":"a","type":1,"text":"one"}', '', 'not json at all', '{"id":"b"}'];
      const result = spawnSync(process.execPath, [bin, 'produce', '--topic', topic], { input: lines.join('\n'), encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`sent 3 message\\(s\\) to ${topic}`));
      const offsets = await admin.fetchTopicOffsets(topic);
      assert.equal(offsets[0]?.high, '3');

      const missing = spawnSync(process.execPath, [bin, 'produce', '--topic', `${topic}-nope`], { input: '{}', encoding: 'utf8' });
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /does not exist: run `crawlflow setup`/);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
