import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTaggingEngine, RulesFileError, UntaggableMessageError } from '../../domain/tagging';
import { InProcessTagger } from '../../domain/tagging/engine/in-process';
import { defaultRulesFile } from '../../domain/tagging/engine/load-snapshot';
import { loadRulesFile } from '../../domain/tagging/rules/load-rules';
import { eventually } from '../../support/eventually';
import { rulesYaml, tagNames } from './support';

/** Replaces a file the way deploy tools do: write beside it, then rename over it. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

const wordsRule = (word: string) => rulesYaml(`  - { name: rule-${word}, tag: ${word}, keywords: [${word}] }\n`);

describe('the pooled tagging engine', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'crawlflow-tagging-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('serves many concurrent batches from two threads with the same answers as in-process tagging', async () => {
    const engine = await createTaggingEngine({ serviceType: 'wx', threads: 2, watch: false, reloadSignal: null });
    try {
      const reference = InProcessTagger.fromDefinition(loadRulesFile(defaultRulesFile('wx'), { serviceType: 'wx' }));
      const samples = [
        { text: '央行降准，A股和基金大涨' },
        { type: 3, url: 'https://mp.weixin.qq.com/s/x', text: 'link', content: '人工智能芯片 GPU' },
        { text: '加微信 wx: zhang_san88 免费领取优惠券 13812345678' },
        { text: 'Hospital patients got the new vaccine' },
        { text: 'nothing to see' },
      ];
      const batches = Array.from({ length: 120 }, (_, i) => Array.from({ length: 1 + (i % 7) }, (_, j) => samples[(i + j) % samples.length]!));
      const results = await Promise.all(batches.map((batch) => engine.tagBatch(batch)));
      results.forEach((outcomes, i) => {
        assert.equal(outcomes.length, batches[i]!.length);
        outcomes.forEach((outcome, j) => {
          assert.deepEqual(outcome.tags, reference.tag(batches[i]![j]!).tags, `batch ${i} message ${j}`);
          assert.equal(outcome.rulesVersion, engine.rulesVersion);
        });
      });
      assert.deepEqual(tagNames(results[0]![0]!), ['finance']);
      assert.equal(engine.stats().threads, 2);
      assert.ok(engine.stats().keywords > 100);
    } finally {
      await engine.close();
      await engine.close();
    }
    await assert.rejects(engine.tagBatch([{ text: 'x' }]), /closed/);
  });

  it('fails a batch with a message that is not an object, naming its index, and keeps serving', async () => {
    const engine = await createTaggingEngine({ serviceType: 'wx', threads: 1, watch: false, reloadSignal: null });
    try {
      await assert.rejects(engine.tagBatch([{ text: 'ok' }, [] as never]), (error: unknown) => {
        assert.ok(error instanceof UntaggableMessageError);
        assert.equal(error.index, 1);
        return true;
      });
      const [outcome] = await engine.tagBatch([{ text: '股票 基金', content: 'x'.repeat(2_000_000) }]);
      assert.deepEqual(tagNames(outcome!), ['finance']);
      assert.equal(outcome!.truncated, true);
      assert.equal(outcome!.scannedChars, 1_000_000);
    } finally {
      await engine.close();
    }
  });

  it('reloads a changed rules file by itself and keeps the working rules when the new file is broken', async () => {
    const file = join(directory, 'watched.yaml');
    writeFileSync(file, wordsRule('alpha'));
    const engine = await createTaggingEngine({ serviceType: 'wx', rulesFile: file, threads: 1, watchDebounceMs: 20, reloadSignal: null });
    try {
      const first = engine.rulesVersion;
      assert.deepEqual(tagNames((await engine.tagBatch([{ text: 'alpha beta' }]))[0]!), ['alpha']);

      replaceFile(file, wordsRule('beta'));
      await eventually('the watcher to load the new rules', () => engine.rulesVersion !== first);
      const [outcome] = await engine.tagBatch([{ text: 'alpha beta' }]);
      assert.deepEqual(tagNames(outcome!), ['beta']);
      assert.equal(outcome!.rulesVersion, engine.rulesVersion);

      const working = engine.rulesVersion;
      replaceFile(file, rulesYaml(`  - { name: broken, keywords: [x], minHits: 0 }\n`));
      const reload = await engine.reload();
      assert.equal(reload.status, 'failed');
      assert.ok(reload.status === 'failed' && reload.error instanceof RulesFileError);
      assert.match(reload.status === 'failed' ? reload.error.message : '', /watched\.yaml[\s\S]*rule "broken" \(rules\[0\]\.minHits\)/);
      assert.equal(engine.rulesVersion, working);
      assert.deepEqual(tagNames((await engine.tagBatch([{ text: 'alpha beta' }]))[0]!), ['beta']);

      replaceFile(file, wordsRule('gamma'));
      assert.equal((await engine.reload()).status, 'reloaded');
      assert.equal((await engine.reload()).status, 'unchanged');
      assert.deepEqual(tagNames((await engine.tagBatch([{ text: 'gamma' }]))[0]!), ['gamma']);
    } finally {
      await engine.close();
    }
  });

  it('reads keywords from a file beside the rules and reloads when that file changes', async () => {
    const rulesFile = join(directory, 'with-keywords.yaml');
    const keywordsFile = join(directory, 'finance-words.txt');
    writeFileSync(keywordsFile, '# finance words\n股票\n基金  # funds\n\n');
    writeFileSync(rulesFile, rulesYaml(`  - { name: finance, keywordsFile: finance-words.txt, minDistinct: 2 }\n`));
    const engine = await createTaggingEngine({ serviceType: 'wx', rulesFile, threads: 1, watchDebounceMs: 20, reloadSignal: null });
    try {
      assert.equal(engine.stats().keywords, 2);
      assert.deepEqual(tagNames((await engine.tagBatch([{ text: '股票 基金' }]))[0]!), ['finance']);
      assert.deepEqual(tagNames((await engine.tagBatch([{ text: '股票 债券' }]))[0]!), []);
      const first = engine.rulesVersion;
      replaceFile(keywordsFile, '股票\n基金\n债券\n');
      await eventually('the keyword file change to reload the rules', () => engine.rulesVersion !== first);
      assert.equal(engine.stats().keywords, 3);
      assert.deepEqual(tagNames((await engine.tagBatch([{ text: '股票 债券' }]))[0]!), ['finance']);
    } finally {
      await engine.close();
    }
  });

  it('reloads on SIGHUP', async () => {
    const file = join(directory, 'signalled.json');
    writeFileSync(file, JSON.stringify({ format: 1, rules: [{ name: 'one', keywords: ['one'] }] }));
    const engine = await createTaggingEngine({ serviceType: 'wx', rulesFile: file, threads: 1, watch: false });
    try {
      const first = engine.rulesVersion;
      writeFileSync(file, JSON.stringify({ format: 1, rules: [{ name: 'two', keywords: ['two'] }] }));
      process.kill(process.pid, 'SIGHUP');
      await eventually('the signal to reload the rules', () => engine.rulesVersion !== first);
      assert.deepEqual(tagNames((await engine.tagBatch([{ text: 'one two' }]))[0]!), ['two']);
    } finally {
      await engine.close();
    }
  });

  it('refuses to start on a broken rules file, naming the file, the rule and the problem', async () => {
    const file = join(directory, 'broken.yaml');
    writeFileSync(file, rulesYaml(`  - { name: a, keywords: [x], regex: 'y' }\n  - { name: b, all: [missing] }\n`));
    await assert.rejects(createTaggingEngine({ serviceType: 'wx', rulesFile: file, threads: 1 }), (error: unknown) => {
      assert.ok(error instanceof RulesFileError);
      assert.equal(error.file, file);
      assert.match(error.message, /rule "a" \(rules\[0\]\): mixes keywords and regex/);
      assert.match(error.message, /rule "b" \(rules\[1\]\): refers to unknown rule "missing"/);
      return true;
    });
  });

  it('has built-in rules for wx only, and says so for another service type', async () => {
    await assert.rejects(createTaggingEngine({ serviceType: 'weibo', threads: 1 }), /no built-in rules for service type "weibo" \(built in: wx\); set TAGGER_RULES_FILE/);
  });
});
