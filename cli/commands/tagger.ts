import { writeFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { createTaggingEngine, ENGINE_VERSION, ModelFileError, RulesFileError, type TaggableMessage } from '../../domain/tagging';
import { evaluateModel, formatEvaluation } from '../../domain/tagging/classifier/evaluate';
import { LabelledDataError, readLabelledFile, splitHoldout, toTrainingExamples } from '../../domain/tagging/classifier/labelled-data';
import { loadModelFile, type ModelFile } from '../../domain/tagging/classifier/model-file';
import { trainNaiveBayes } from '../../domain/tagging/classifier/naive-bayes';
import { loadSnapshot } from '../../domain/tagging/engine/load-snapshot';
import { automatonBytes } from '../../domain/tagging/keywords/automaton';
import { readByteLines } from '../../domain/tagging/text/byte-lines';
import { loadCliContext, UsageError } from '../context';

/** `crawlflow tagger …`: tag JSON lines, check a rules file, train and evaluate the classifier. */
export function registerTaggerCommand(program: Command): void {
  const tagger = program.command('tagger').description('tag messages, check rules, train and evaluate the classifier');

  tagger
    .command('tag')
    .description('tag JSON messages, one a line, from stdin to stdout (the engine the CPU worker runs)')
    .option('--rules <file>', 'rules file (default: TAGGER_RULES_FILE, else the built-in rules of SERVICE_TYPE)')
    .option('--model <file>', 'classifier model (default: TAGGER_MODEL_FILE)')
    .option('--threads <n>', 'tagging threads (default: TAGGER_THREADS)')
    .option('--batch <n>', 'messages handed to the pool at a time', '512')
    .action((options: { rules?: string; model?: string; threads?: string; batch: string }) => withInputErrors(() => tagStdin(options)));

  tagger
    .command('check')
    .description('validate a rules file (and model) and print what it holds')
    .option('--rules <file>', 'rules file (default: TAGGER_RULES_FILE, else the built-in rules of SERVICE_TYPE)')
    .option('--model <file>', 'classifier model (default: TAGGER_MODEL_FILE)')
    .action((options: { rules?: string; model?: string }) =>
      withInputErrors(() => {
        const { config } = loadCliContext('tagger');
        const { snapshot } = loadSnapshot({
          serviceType: config.tagging.serviceType,
          rulesFile: options.rules ?? config.tagging.rulesFile,
          modelFile: options.model ?? config.tagging.modelFile,
        });
        const { rules, model } = snapshot;
        process.stdout.write(
          `rules ${rules.source}\n  version ${rules.version}\n  ${rules.rules.length} rules, ${rules.keywordCount} keywords, ` +
            `automaton ${(automatonBytes(rules.keywords.automaton) / 1024).toFixed(0)} KiB\n  scans ${rules.scan.fields.join(', ')} ` +
            `(at most ${rules.scan.maxChars} characters)\n` +
            (model ? `model ${model.name}\n  version ${model.version}\n  tags ${model.tags.join(', ')}; ${model.vocabularySize} words\n` : ''),
        );
      }),
    );

  withTrainingOptions(
    tagger.command('train').description('train the classifier on labelled messages (JSON lines with "tags") and write the model'),
  )
    .requiredOption('--out <file>', 'model file to write')
    .option('--name <name>', 'model name shown on its tags (default: the file name)')
    .action((options: TrainCliOptions & { out: string; name?: string }) =>
      withInputErrors(() => {
        const fields = parseFields(options.fields);
        const examples = toTrainingExamples(readLabelledFile(options.data, fields));
        const model = trainNaiveBayes(examples, {
          ...trainOptions(options, fields),
          name: options.name ?? basename(options.out, extname(options.out)),
        });
        writeFileSync(options.out, JSON.stringify(model));
        const { version } = loadModelFile(options.out);
        process.stdout.write(
          `trained ${model.name} on ${model.documents} messages: tags ${model.tags.join(', ')}; ${model.vocabulary.length} words\n` +
            `wrote ${resolve(options.out)} (version ${version})\n`,
        );
      }),
    );

  withTrainingOptions(
    tagger
      .command('eval')
      .description('precision, recall and F1 per tag: trains on the data and tests on a held-out split (or tests --model on all of it)'),
  )
    .option('--holdout <fraction>', 'share of messages held out for testing', '0.2')
    .option('--seed <n>', 'seed of the split', '42')
    .option('--model <file>', 'evaluate this trained model on every message instead')
    .option('--json', 'print the figures as JSON')
    .action((options: TrainCliOptions & { holdout: string; seed: string; model?: string; json?: boolean }) =>
      withInputErrors(() => {
        let model: ModelFile;
        let test;
        if (options.model) {
          model = loadModelFile(options.model).model;
          test = toTrainingExamples(readLabelledFile(options.data, model.fields));
        } else {
          const holdout = parseNumber('--holdout', options.holdout, 0, 1);
          const fields = parseFields(options.fields);
          const split = splitHoldout(toTrainingExamples(readLabelledFile(options.data, fields)), holdout, parseNumber('--seed', options.seed, 0));
          if (split.train.length === 0) throw new UsageError('--holdout leaves nothing to train on');
          model = trainNaiveBayes(split.train, { ...trainOptions(options, fields), name: 'evaluation' });
          test = split.test;
        }
        const evaluation = evaluateModel(model, test);
        process.stdout.write(options.json ? `${JSON.stringify(evaluation, null, 2)}\n` : `${formatEvaluation(evaluation)}\n`);
      }),
    );
}

/** The options `train` and `eval` share: the data and how the model is trained. */
function withTrainingOptions(command: Command): Command {
  return command
    .requiredOption('--data <file>', 'labelled messages')
    .option('--fields <list>', 'message fields the model reads', 'text,content')
    .option('--min-documents <n>', 'leave out words seen in fewer messages', '1')
    .option('--threshold <score>', 'score at which a tag is added', '0.5');
}

interface TrainCliOptions {
  data: string;
  fields: string;
  minDocuments: string;
  threshold: string;
}

function trainOptions(options: TrainCliOptions, fields: string[]) {
  return {
    fields,
    minDocuments: parseNumber('--min-documents', options.minDocuments, 1),
    threshold: parseNumber('--threshold', options.threshold, Number.MIN_VALUE, 1),
  };
}

async function tagStdin(options: { rules?: string; model?: string; threads?: string; batch: string }): Promise<void> {
  const { config, logger } = loadCliContext('tagger');
  const batchSize = parseNumber('--batch', options.batch, 1);
  const engine = await createTaggingEngine({
    serviceType: config.tagging.serviceType,
    rulesFile: options.rules ?? config.tagging.rulesFile,
    modelFile: options.model ?? config.tagging.modelFile,
    threads: options.threads === undefined ? config.tagging.threads : parseNumber('--threads', options.threads, 1),
    logger,
    watch: false,
    reloadSignal: null,
  });
  let tagged = 0;
  let failed = 0;
  try {
    let batch: Array<{ message: TaggableMessage; warning?: string }> = [];
    const flush = async () => {
      const outcomes = await engine.tagBatch(batch.map((entry) => entry.message));
      let out = '';
      outcomes.forEach((outcome, i) => {
        const { tags, ...tagging } = outcome;
        const { message, warning } = batch[i]!;
        if (warning) tagging.warnings = [warning, ...(tagging.warnings ?? [])];
        out += `${JSON.stringify({ ...message, tags, tagging: { engineVersion: ENGINE_VERSION, ...tagging } })}\n`;
      });
      tagged += outcomes.length;
      batch = [];
      await write(process.stdout, out);
    };
    for await (const line of readByteLines(process.stdin)) {
      if (line.text.trim() === '') continue;
      let message: unknown;
      try {
        message = JSON.parse(line.text);
      } catch (error) {
        failed++;
        process.stderr.write(`crawlflow: line ${line.number}: not JSON (${(error as Error).message}); skipped\n`);
        continue;
      }
      if (message === null || typeof message !== 'object' || Array.isArray(message)) {
        failed++;
        process.stderr.write(`crawlflow: line ${line.number}: not a JSON object; skipped\n`);
        continue;
      }
      batch.push({
        message: message as TaggableMessage,
        ...(line.validUtf8 ? {} : { warning: `line ${line.number} is not valid UTF-8: invalid bytes replaced by U+FFFD` }),
      });
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    await engine.close();
  }
  process.stderr.write(`crawlflow: tagged ${tagged} messages${failed > 0 ? `, skipped ${failed} bad lines` : ''} (rules ${engine.rulesVersion}${engine.modelVersion ? `, model ${engine.modelVersion}` : ''})\n`);
  if (failed > 0) process.exitCode = 1;
}

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((done, fail) => {
    stream.write(text, (error) => (error ? fail(error) : done()));
  });
}

/** Bad files are bad input: a clear message and exit code 2, not a stack trace. */
async function withInputErrors(action: () => unknown): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof RulesFileError || error instanceof ModelFileError || error instanceof LabelledDataError) {
      throw new UsageError(error.message);
    }
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') throw new UsageError(error.message);
    throw error;
  }
}

function parseFields(list: string): string[] {
  const fields = list.split(',').map((field) => field.trim()).filter((field) => field !== '');
  if (fields.length === 0) throw new UsageError('--fields names no field');
  return fields;
}

function parseNumber(option: string, value: string, min: number, maxExclusive = Number.POSITIVE_INFINITY): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < min || number >= maxExclusive) {
    throw new UsageError(`${option} must be a number ${maxExclusive === Number.POSITIVE_INFINITY ? `of at least ${min}` : `from ${min} up to (not including) ${maxExclusive}`}, got ${JSON.stringify(value)}`);
  }
  return number;
}
