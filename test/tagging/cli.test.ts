import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const bin = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');

describe('crawlflow tagger tag', () => {
  it('tags good lines, repairs invalid UTF-8, reports bad lines by number and exits 1', () => {
    const input = Buffer.concat([
      Buffer.from(`${JSON.stringify({ id: 'a', text: '央行降准，股市和基金大涨' })}\n`),
      Buffer.from('this is not json\n'),
      Buffer.from('[1, 2]\n'),
      Buffer.from('{"id":"b","text":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' 股票 基金"}\n\n'),
      Buffer.from(JSON.stringify({ id: 'c', text: 42 })),
    ]);
    const result = spawnSync(process.execPath, [bin, 'tagger', 'tag', '--threads', '1'], {
      input,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', SERVICE_TYPE: 'wx', TAGGER_RULES_FILE: '', TAGGER_MODEL_FILE: '' },
      timeout: 120_000,
    });
    assert.equal(result.status, 1, result.stderr);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as {
      id: string;
      tags: Array<{ name: string }>;
      tagging: { rulesVersion: string; engineVersion: string; warnings: string[] };
    });
    assert.deepEqual(lines.map((line) => line.id), ['a', 'b', 'c'], 'in input order, bad lines left out');
    assert.ok(lines[0]!.tags.some((tag) => tag.name === 'finance'));
    assert.match(lines[0]!.tagging.rulesVersion, /^[0-9a-f]{16}$/);
    assert.equal(lines[0]!.tagging.engineVersion, 'crawlflow-tagger/1');
    assert.ok(lines[1]!.tags.some((tag) => tag.name === 'finance'), 'the repaired line is still tagged');
    assert.match(lines[1]!.tagging.warnings.join(), /line 4 is not valid UTF-8/);
    assert.deepEqual(lines[2]!.tags, []);
    assert.match(lines[2]!.tagging.warnings.join(), /field "text" is number/);
    assert.match(result.stderr, /line 2: not JSON/);
    assert.match(result.stderr, /line 3: not a JSON object/);
    assert.match(result.stderr, /tagged 3 messages, skipped 2 bad lines/);
  });
});
