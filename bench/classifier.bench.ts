/**
 * Classifier benchmark: naive Bayes, the linear model and the TF-IDF baseline on one split of
 * a synthetic 37,500-review corpus (30,000 to train, 7,500 to test): macro-F1, training time
 * and tagging rate, all in the same run. See docs/tagging.md ("Classifier benchmark").
 *
 *   npx tsx bench/classifier.bench.ts [--messages 37500] [--seed 7] [--json out.json] [--export-tokens dir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trainBaseline } from '../domain/tagging/classifier/baseline';
import { classify, compileModel } from '../domain/tagging/classifier/compiled-model';
import { evaluateModel, evaluateScorer } from '../domain/tagging/classifier/evaluate';
import { splitHoldout } from '../domain/tagging/classifier/labelled-data';
import { trainLinear } from '../domain/tagging/classifier/linear-model';
import type { ModelFile } from '../domain/tagging/classifier/model-file';
import { trainNaiveBayes, type TrainingExample } from '../domain/tagging/classifier/naive-bayes';
import { segmenter, tokenize } from '../domain/tagging/classifier/tokenize';
import { generateReviewCorpus } from './classifier-corpus';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '37500' },
    seed: { type: 'string', default: '7' },
    json: { type: 'string' },
    'export-tokens': { type: 'string' },
    c: { type: 'string' },
  },
});

/** CPU seconds of this process (user + system): figures per core that hold on a shared machine. */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function timed<T>(run: () => T): { result: T; cpu: number; wall: number } {
  const cpu = cpuSeconds();
  const wall = performance.now();
  const result = run();
  return { result, cpu: cpuSeconds() - cpu, wall: (performance.now() - wall) / 1000 };
}

segmenter();
const corpus = generateReviewCorpus({ messages: Number(args.messages), seed: Number(args.seed) });
const { train, test } = splitHoldout(corpus, 0.2, 42);
console.log(`corpus: ${corpus.length} synthetic reviews (${train.length} train / ${test.length} test), mean ${Math.round(corpus.reduce((s, m) => s + m.text.length, 0) / corpus.length)} characters`);

const tokenizing = timed(() => train.map((m): TrainingExample => ({ tokens: tokenize(m.text, { keepStopWords: true }), labels: m.tags })));
const trainExamples = tokenizing.result;
const testExamples = test.map((m): TrainingExample => ({ tokens: tokenize(m.text, { keepStopWords: true }), labels: m.tags }));
console.log(`tokenizing the training messages: ${tokenizing.cpu.toFixed(2)} CPU-s`);

if (args['export-tokens']) {
  // For an out-of-band cross-check of the baseline with scikit-learn (not a dependency).
  mkdirSync(args['export-tokens'], { recursive: true });
  const lines = (examples: TrainingExample[]) => examples.map((e) => JSON.stringify({ tokens: e.tokens, tags: e.labels })).join('\n');
  writeFileSync(join(args['export-tokens'], 'train.jsonl'), lines(trainExamples));
  writeFileSync(join(args['export-tokens'], 'test.jsonl'), lines(testExamples));
}

const naiveBayes = timed(() => trainNaiveBayes(trainExamples, { name: 'nb', fields: ['text'] }));
const linear = timed(() => trainLinear(trainExamples, { name: 'linear', fields: ['text'], ...(args.c ? { c: Number(args.c) } : {}) }));
const baseline = timed(() => trainBaseline(trainExamples));

const rows: Array<Record<string, unknown>> = [];
const tagRate = (model: ModelFile) => {
  const compiled = compileModel({ model, version: 'bench', file: '' });
  const messages = test.map((m) => ({ text: m.text }));
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const started = cpuSeconds();
    let done = 0;
    while (cpuSeconds() - started < 1) {
      for (const m of messages) classify(compiled, m);
      done += messages.length;
    }
    best = Math.max(best, done / (cpuSeconds() - started));
  }
  return best;
};
for (const [name, trained] of [['naive Bayes', naiveBayes], ['linear (default)', linear]] as const) {
  const evaluation = evaluateModel(trained.result, testExamples);
  rows.push({ model: name, macroF1: evaluation.macro.f1, microF1: evaluation.micro.f1, trainCpuSeconds: trained.cpu, trainWithTokenizingCpuSeconds: trained.cpu + tokenizing.cpu, tagsPerCpuSecond: tagRate(trained.result), fileBytes: JSON.stringify(trained.result).length });
}
const baselineEvaluation = evaluateScorer(baseline.result, testExamples);
rows.push({ model: 'TF-IDF uni+bigram LR baseline', macroF1: baselineEvaluation.macro.f1, microF1: baselineEvaluation.micro.f1, trainCpuSeconds: baseline.cpu, trainWithTokenizingCpuSeconds: baseline.cpu + tokenizing.cpu });

console.log('\nmodel                          macro-F1  micro-F1  train CPU-s (+tokenizing)  tag msg/CPU-s  file');
for (const row of rows) {
  console.log(
    `${String(row.model).padEnd(30)} ${(row.macroF1 as number).toFixed(4).padStart(8)}  ${(row.microF1 as number).toFixed(4).padStart(8)}  ${(row.trainCpuSeconds as number).toFixed(2).padStart(11)} (${(row.trainWithTokenizingCpuSeconds as number).toFixed(2)})` +
      `${row.tagsPerCpuSecond ? `  ${Math.round(row.tagsPerCpuSecond as number).toLocaleString('en').padStart(13)}  ${((row.fileBytes as number) / 1e6).toFixed(1)} MB` : ''}`,
  );
}
const gap = (rows[1]!.macroF1 as number) - baselineEvaluation.macro.f1;
console.log(`\nlinear − baseline macro-F1: ${gap >= 0 ? '+' : ''}${gap.toFixed(4)} (goal: ≥ −0.01)`);
console.log(`linear training: ${JSON.stringify((linear.result.training as { perTag: unknown }).perTag)}`);
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}`);
if (args.json) writeFileSync(args.json, JSON.stringify({ machine, corpus: { messages: corpus.length, train: train.length, test: test.length }, rows, gap }, null, 2));
