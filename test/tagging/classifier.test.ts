import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTaggingEngine, ModelFileError } from '../../domain/tagging';
import { evaluateModel } from '../../domain/tagging/classifier/evaluate';
import { readLabelledFile, splitHoldout, toTrainingExamples } from '../../domain/tagging/classifier/labelled-data';
import { loadModelFile } from '../../domain/tagging/classifier/model-file';
import { trainNaiveBayes } from '../../domain/tagging/classifier/naive-bayes';
import { tokenize } from '../../domain/tagging/classifier/tokenize';

const LABELLED = resolve(__dirname, '..', 'fixtures', 'tagging', 'labelled.jsonl');
const bin = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');

function crawlflow(args: string[], input?: string) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', TAGGER_RULES_FILE: '', TAGGER_MODEL_FILE: '' },
    timeout: 120_000,
  });
}

describe('the classifier', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'crawlflow-classifier-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('segments Chinese into words with the bundled dictionary and folds Latin words', () => {
    const tokens = tokenize('中国人民银行宣布降低存款准备金率。Apple 发布 ＧＰＵ 和 3 款新品');
    assert.ok(tokens.includes('中国人民银行'), tokens.join('|'));
    assert.ok(tokens.includes('准备金率'), tokens.join('|'));
    assert.ok(tokens.includes('apple') && tokens.includes('gpu'), tokens.join('|'));
    assert.ok(tokens.includes('<num>'));
    assert.ok(!tokens.includes('。') && !tokens.includes('和'), 'punctuation and stop words are dropped');
  });

  it('learns the shipped labelled set: per-tag F1 on a held-out split', () => {
    const examples = toTrainingExamples(readLabelledFile(LABELLED, ['text']));
    const { train, test } = splitHoldout(examples, 0.2, 42);
    assert.equal(train.length + test.length, examples.length);
    const model = trainNaiveBayes(train, { name: 'test', fields: ['text'] });
    assert.deepEqual(model.tags, ['finance', 'health', 'sports', 'technology']);
    const evaluation = evaluateModel(model, test);
    assert.equal(evaluation.documents, test.length);
    for (const metrics of evaluation.perTag) {
      assert.ok(metrics.support > 0, `${metrics.tag} appears in the held-out split`);
      assert.ok(metrics.f1 >= 0.75, `${metrics.tag}: F1 ${metrics.f1.toFixed(3)}`);
    }
    assert.ok(evaluation.macro.f1 >= 0.85, `macro F1 ${evaluation.macro.f1.toFixed(3)}`);
    // A model that knows nothing (every word weight zero) is measurably worse: the figures mean something.
    const ignorant = { ...model, weights: model.weights.map(() => 0) };
    assert.ok(evaluateModel(ignorant, test).macro.f1 < evaluation.macro.f1 - 0.3);
  });

  it('trains, evaluates and tags from the command line', () => {
    const modelFile = join(directory, 'wx-model.json');
    const train = crawlflow(['tagger', 'train', '--data', LABELLED, '--out', modelFile, '--fields', 'text']);
    assert.equal(train.status, 0, train.stderr);
    assert.match(train.stdout, /trained wx-model on 300 messages: tags finance, health, sports, technology/);
    const { model, version } = loadModelFile(modelFile);
    assert.equal(model.documents, 300);

    const evaluation = crawlflow(['tagger', 'eval', '--data', LABELLED, '--fields', 'text']);
    assert.equal(evaluation.status, 0, evaluation.stderr);
    for (const tag of ['finance', 'health', 'sports', 'technology', 'micro avg', 'macro avg']) {
      assert.match(evaluation.stdout, new RegExp(`^${tag} +\\d+\\.\\d% +\\d+\\.\\d% +\\d+\\.\\d%`, 'm'));
    }

    const input = [
      JSON.stringify({ id: 1, text: '国足在世界杯预选赛中战胜对手，球员表现出色' }),
      JSON.stringify({ id: 2, text: 'The hospital says the vaccine trial went well for patients' }),
    ].join('\n');
    const tagged = crawlflow(['tagger', 'tag', '--model', modelFile, '--threads', '1'], input);
    assert.equal(tagged.status, 0, tagged.stderr);
    const [first, second] = tagged.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: number; tags: Array<{ name: string; source: string; rule: string; score: number }>; tagging: { modelVersion: string } });
    assert.equal(first!.id, 1);
    assert.ok(first!.tags.some((tag) => tag.name === 'sports' && tag.source === 'model' && tag.rule === 'wx-model' && tag.score >= 0.5));
    assert.ok(second!.tags.some((tag) => tag.name === 'health' && tag.source === 'model'));
    assert.ok(second!.tags.some((tag) => tag.name === 'health' && tag.source === 'keyword'), 'rule tags come out beside model tags');
    assert.equal(first!.tagging.modelVersion, version);
  });

  it('refuses bad labelled data, naming the file and line', () => {
    const bad = join(directory, 'bad.jsonl');
    writeFileSync(bad, '{"text":"ok","tags":["a"]}\n{"text":"no tags"}\n');
    const result = crawlflow(['tagger', 'train', '--data', bad, '--out', join(directory, 'never.json')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /bad\.jsonl:2: "tags" must be an array of tag names/);
  });

  it('runs in the engine beside the rules, and a broken model file never replaces a working one', async () => {
    const modelFile = join(directory, 'engine-model.json');
    const examples = toTrainingExamples(readLabelledFile(LABELLED, ['text']));
    writeFileSync(modelFile, JSON.stringify(trainNaiveBayes(examples, { name: 'nb', fields: ['text', 'content'] })));
    const engine = await createTaggingEngine({ serviceType: 'wx', modelFile, threads: 1, watch: false, reloadSignal: null });
    try {
      const version = engine.modelVersion;
      assert.equal(version, loadModelFile(modelFile).version);
      const [outcome] = await engine.tagBatch([{ type: 3, url: 'https://example.com', text: '', content: '这家芯片公司发布了新一代人工智能大模型' }]);
      assert.equal(outcome!.modelVersion, version);
      assert.ok(outcome!.tags.some((tag) => tag.name === 'technology' && tag.source === 'model' && tag.rule === 'nb'));
      assert.ok(outcome!.tags.some((tag) => tag.name === 'link' && tag.source === 'field'));

      const model = JSON.parse(readFileSync(modelFile, 'utf8')) as { weights: number[] };
      writeFileSync(modelFile, JSON.stringify({ ...model, weights: model.weights.slice(1) }));
      const reload = await engine.reload();
      assert.equal(reload.status, 'failed');
      assert.ok(reload.status === 'failed' && reload.error instanceof ModelFileError);
      assert.match(reload.status === 'failed' ? reload.error.message : '', /engine-model\.json[\s\S]*weights: has \d+ values; \d+ words × 4 tags need/);
      assert.equal(engine.modelVersion, version);
      const [again] = await engine.tagBatch([{ text: '医院的疫苗临床试验' }]);
      assert.equal(again!.modelVersion, version);
      assert.ok(again!.tags.some((tag) => tag.name === 'health' && tag.source === 'model'));
    } finally {
      await engine.close();
    }
  });
});
