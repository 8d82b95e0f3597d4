import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTaggingEngine, ModelFileError } from '../../domain/tagging';
import { compareModels } from '../../domain/tagging/classifier/compare-models';
import { evaluateModel, modelScorer } from '../../domain/tagging/classifier/evaluate';
import { featureCounts, hashBigram, hashToken } from '../../domain/tagging/classifier/features';
import { trainLinear } from '../../domain/tagging/classifier/linear-model';
import { logisticScores, trainLogistic } from '../../domain/tagging/classifier/logistic-regression';
import { tuneThreshold } from '../../domain/tagging/classifier/thresholds';
import { TrainingDataError } from '../../domain/tagging/classifier/training-data-error';
import { readLabelledFile, splitHoldout, toTrainingExamples } from '../../domain/tagging/classifier/labelled-data';
import { loadModelFile, type LinearModelFile } from '../../domain/tagging/classifier/model-file';
import { trainNaiveBayes } from '../../domain/tagging/classifier/naive-bayes';
import { tokenize } from '../../domain/tagging/classifier/tokenize';

const LABELLED = resolve(__dirname, '..', 'fixtures', 'tagging', 'labelled.jsonl');
const TOPICS = resolve(__dirname, '..', 'fixtures', 'tagging', 'topics.jsonl');
/** A model file written by the naive Bayes trainer before the linear model existed. */
const NAIVE_BAYES_V1 = resolve(__dirname, '..', 'fixtures', 'tagging', 'naive-bayes-v1.json');
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

  it('learns realistic multi-label Chinese and English topics better than tagging everything', () => {
    // Hand-written news, posts and headlines: five topics that share vocabulary (市场, stock,
    // game, player, platform…), a quarter of the messages with two topics, a tenth with none.
    const examples = toTrainingExamples(readLabelledFile(TOPICS, ['text']));
    assert.ok(examples.length >= 300);
    assert.ok(examples.filter((example) => example.labels.length === 2).length >= 60);
    const { train, test } = splitHoldout(examples, 0.2, 42);
    const comparison = compareModels(train, test, ['linear', 'naive-bayes', 'baseline'], { name: 'topics', fields: ['text'] });
    const [linear, naiveBayes, baseline] = comparison.results;
    assert.deepEqual(linear!.evaluation.perTag.map((m) => m.tag), ['entertainment', 'finance', 'health', 'sports', 'technology']);
    // Tagging every message with every tag: the F1 a model must clearly beat.
    const everything = linear!.evaluation.perTag.map((m) => (2 * m.support) / (m.support + test.length));
    const trivial = everything.reduce((sum, f1) => sum + f1, 0) / everything.length;
    for (const result of [linear!, naiveBayes!]) {
      assert.ok(result.evaluation.macro.f1 > trivial + 0.15, `${result.type}: macro-F1 ${result.evaluation.macro.f1.toFixed(3)} vs ${trivial.toFixed(3)} for tagging everything`);
      for (const m of result.evaluation.perTag) assert.ok(m.support > 0 && m.f1 > 0, `${result.type} ${m.tag}`);
    }
    assert.equal(comparison.baselineGap, linear!.evaluation.macro.f1 - baseline!.evaluation.macro.f1);
  });

  it('trains, evaluates and tags from the command line', () => {
    const modelFile = join(directory, 'wx-model.json');
    const train = crawlflow(['tagger', 'train', '--data', LABELLED, '--out', modelFile, '--fields', 'text']);
    assert.equal(train.status, 0, train.stderr);
    assert.match(train.stdout, /trained wx-model \(linear\) on 300 messages in [\d.]+ s: tags finance \(\d+\), health \(\d+\), sports \(\d+\), technology \(\d+\); \d+ features; thresholds finance 0\.\d\d/);
    assert.match(train.stdout, /crawlflow-linear\/1/);
    assert.match(train.stderr, /reading .*labelled\.jsonl/, 'progress goes to stderr');
    const { model, version } = loadModelFile(modelFile);
    assert.equal(model.documents, 300);
    assert.equal(model.format, 'crawlflow-linear/1');

    const evaluation = crawlflow(['tagger', 'eval', '--data', LABELLED, '--fields', 'text']);
    assert.equal(evaluation.status, 0, evaluation.stderr);
    for (const tag of ['finance', 'health', 'sports', 'technology', 'micro avg', 'macro avg']) {
      // One table per compared model type.
      assert.equal(evaluation.stdout.match(new RegExp(`^${tag} +\\d+\\.\\d% +\\d+\\.\\d% +\\d+\\.\\d%`, 'gm'))?.length, 3, tag);
    }
    for (const type of ['linear', 'naive-bayes', 'baseline']) assert.match(evaluation.stdout, new RegExp(`^${type} +0\\.\\d{4} +0\\.\\d{4} +[\\d.]+ `, 'm'));
    assert.match(evaluation.stdout, /^linear − baseline macro-F1: [+-]0\.\d{4} — /m);

    const input = [
      JSON.stringify({ id: 1, text: '国足在世界杯预选赛中战胜对手，球员表现出色' }),
      JSON.stringify({ id: 2, text: 'The hospital says the vaccine trial went well for patients' }),
    ].join('\n');
    const tagged = crawlflow(['tagger', 'tag', '--model', modelFile, '--threads', '1'], input);
    assert.equal(tagged.status, 0, tagged.stderr);
    const [first, second] = tagged.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: number; tags: Array<{ name: string; source: string; rule: string; score: number }>; tagging: { modelVersion: string } });
    assert.equal(first!.id, 1);
    const threshold = (model as LinearModelFile).thresholds[model.tags.indexOf('sports')]!;
    assert.ok(first!.tags.some((tag) => tag.name === 'sports' && tag.source === 'model' && tag.rule === 'wx-model' && tag.score >= threshold), tagged.stdout);
    assert.ok(second!.tags.some((tag) => tag.name === 'health' && tag.source === 'model'));
    assert.ok(second!.tags.some((tag) => tag.name === 'health' && tag.source === 'keyword'), 'rule tags come out beside model tags');
    assert.equal(first!.tagging.modelVersion, version);
  });

  it('refuses bad labelled data, naming the file and line, and data whose text is in other fields', () => {
    const bad = join(directory, 'bad.jsonl');
    writeFileSync(bad, '{"text":"ok","tags":["a"]}\n{"text":"no tags"}\n');
    const result = crawlflow(['tagger', 'train', '--data', bad, '--out', join(directory, 'never.json')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /bad\.jsonl:2: "tags" must be an array of tag names/);

    const elsewhere = join(directory, 'reviews.jsonl');
    writeFileSync(elsewhere, '{"review":"很好","label":1}\n{"review":"很差","label":0}\n');
    const noText = crawlflow(['tagger', 'eval', '--data', elsewhere]);
    assert.equal(noText.status, 2);
    assert.match(noText.stderr, /reviews\.jsonl: no message has text in the fields text, content \(the first line's keys: review, label\); name the text fields with --fields/);
    assert.ok(!existsSync(join(directory, 'never.json')));
  });

  it('reads what public corpora look like: numeric labels, a byte-order mark, CRLF lines', () => {
    const lines = readFileSync(LABELLED, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { text: string; tags: string[] });
    const file = join(directory, 'numeric.jsonl');
    // "label": 1 / 0 as many corpora write a binary class; both classes become tags.
    writeFileSync(file, `\ufeff${lines.map((line) => JSON.stringify({ review: line.text, label: line.tags.includes('sports') ? 1 : 0 })).join('\r\n')}\r\n`);
    const messages = readLabelledFile(file, ['review']);
    assert.equal(messages.length, lines.length);
    assert.deepEqual([...new Set(messages.flatMap((message) => message.labels))].sort(), ['0', '1']);
    assert.ok(!messages[0]!.text.startsWith('\ufeff'));
    const model = trainLinear(toTrainingExamples(messages), { name: 'numeric', fields: ['review'] });
    assert.deepEqual(model.tags, ['0', '1']);
    // Data without a single tag is bad input (exit code 2 in the CLI), for every model type.
    const untagged = messages.map((message) => ({ ...message, labels: [] }));
    for (const type of ['linear', 'naive-bayes', 'baseline'] as const) {
      assert.throws(() => compareModels(toTrainingExamples(untagged.slice(0, 20)), [], [type], { name: 'none', fields: ['review'] }), TrainingDataError);
    }
  });

  it('keeps the model file format versioned: a naive Bayes file of format 1 still loads; others are named', async () => {
    const { model } = loadModelFile(NAIVE_BAYES_V1);
    assert.equal(model.format, 'crawlflow-naive-bayes/1');
    const engine = await createTaggingEngine({ serviceType: 'wx', modelFile: NAIVE_BAYES_V1, threads: 1, watch: false, reloadSignal: null });
    try {
      const [outcome] = await engine.tagBatch([{ text: '国足在世界杯预选赛中战胜对手，球员表现出色' }]);
      assert.ok(outcome!.tags.some((tag) => tag.name === 'sports' && tag.source === 'model' && tag.rule === 'nb-v1'), JSON.stringify(outcome!.tags));
    } finally {
      await engine.close();
    }
    const raw = JSON.parse(readFileSync(NAIVE_BAYES_V1, 'utf8')) as Record<string, unknown>;
    const write = (name: string, content: unknown) => {
      const file = join(directory, name);
      writeFileSync(file, JSON.stringify(content));
      return file;
    };
    assert.throws(() => loadModelFile(write('v2.json', { ...raw, format: 'crawlflow-naive-bayes/2' })), (error: Error) => {
      assert.ok(error instanceof ModelFileError);
      assert.match(error.message, /v2\.json[\s\S]*format: "crawlflow-naive-bayes\/2" is version 2 of crawlflow-naive-bayes, written by another crawlflow version \(this crawlflow reads "crawlflow-naive-bayes\/1" and "crawlflow-linear\/1"\): retrain it/);
      return true;
    });
    const { format: _format, ...unversioned } = raw;
    assert.throws(() => loadModelFile(write('none.json', unversioned)), /format: missing — not a crawlflow model file/);
    assert.throws(() => loadModelFile(write('other.json', { ...raw, format: 'sklearn-pickle' })), /format: "sklearn-pickle" is not a crawlflow model format/);
  });

  it('fits logistic regression to its optimum and tunes a threshold that maximizes F1', () => {
    // Two features, three rows, C = 1: at the optimum the gradient of the objective is zero.
    const matrix = { rows: 4, columns: 2, start: Int32Array.from([0, 1, 2, 4, 5]), index: Int32Array.from([0, 1, 0, 1, 0]), value: Float32Array.from([1, 1, 0.6, 0.8, 1]) };
    const targets = Uint8Array.from([1, 0, 1, 0]);
    const fitted = trainLogistic(matrix, targets, { c: 1, lbfgs: { gradientTolerance: 1e-9, relativeTolerance: 0 } });
    assert.ok(fitted.converged);
    const scores = logisticScores(matrix, fitted.weights, fitted.bias);
    const n = matrix.rows;
    // d/dw of mean log loss + ‖w‖²/(2Cn): Σ (p − y)·x / n + w / n.
    for (let j = 0; j < 2; j++) {
      let gradient = fitted.weights[j]! / n;
      for (let r = 0; r < n; r++) for (let k = matrix.start[r]!; k < matrix.start[r + 1]!; k++) if (matrix.index[k] === j) gradient += ((scores[r]! - targets[r]!) * matrix.value[k]!) / n;
      assert.ok(Math.abs(gradient) < 1e-6, `gradient ${gradient}`);
    }
    assert.ok(fitted.weights[0]! > 0 && fitted.weights[1]! < 0);

    const tuned = tuneThreshold([0.9, 0.8, 0.35, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0, 0]);
    assert.equal(tuned.f1, 1);
    assert.ok(tuned.threshold > 0.3 && tuned.threshold < 0.35, String(tuned.threshold));
  });

  it('hashes word bigrams in order and scores a text the same in the engine as in evaluation', async () => {
    const counts = featureCounts(['不', '好', '好'], 2);
    assert.equal(counts.get(hashToken('好')), 2);
    assert.equal(counts.get(hashBigram(hashToken('不'), hashToken('好'))), 1);
    assert.equal(counts.get(hashBigram(hashToken('好'), hashToken('不'))), undefined);
    assert.equal(counts.size, 4); // 不, 好, 不→好, 好→好

    const examples = toTrainingExamples(readLabelledFile(LABELLED, ['text']));
    const model = trainLinear(examples, { name: 'lin', fields: ['text', 'content'] });
    const modelFile = join(directory, 'linear.json');
    writeFileSync(modelFile, JSON.stringify(model));
    const text = '医院引进人工智能辅助诊断系统，医生说准确率很高';
    const expected = modelScorer(model).scores(tokenize(text, { keepStopWords: true }));
    const engine = await createTaggingEngine({ serviceType: 'wx', modelFile, threads: 1, watch: false, reloadSignal: null });
    try {
      const [outcome] = await engine.tagBatch([{ text }]);
      const modelTags = outcome!.tags.filter((tag) => tag.source === 'model');
      const wanted = model.tags.filter((_, t) => expected[t]! >= model.thresholds[t]!);
      assert.ok(wanted.length > 0);
      assert.deepEqual(modelTags.map((tag) => tag.name).sort(), wanted.sort());
      for (const tag of modelTags) assert.ok(Math.abs(tag.score - expected[model.tags.indexOf(tag.name)]!) < 1e-4);

      // A linear file whose arrays do not fit its tags fails with the array named.
      writeFileSync(modelFile, JSON.stringify({ ...model, tags: [...model.tags, 'extra'], bias: [...model.bias, 0], thresholds: [...model.thresholds, 0.5] }));
      const reload = await engine.reload();
      assert.equal(reload.status, 'failed');
      assert.match(reload.status === 'failed' ? reload.error.message : '', /linear\.json[\s\S]*weights: holds \d+ values; \d+ features × 5 tags need \d+/);
    } finally {
      await engine.close();
    }
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
