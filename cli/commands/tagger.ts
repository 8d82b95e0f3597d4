import { writeFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { createTaggingEngine, ENGINE_VERSION, ModelFileError, RulesFileError, type TaggableMessage } from '../../domain/tagging';
import {
  compareModels,
  DEFAULT_MODEL_TYPE,
  EVALUATED_TYPES,
  formatComparison,
  MODEL_TYPES,
  trainModel,
  type EvaluatedType,
  type ModelType,
} from '../../domain/tagging/classifier/compare-models';
import { evaluateModel, formatEvaluation } from '../../domain/tagging/classifier/evaluate';
import { LabelledDataError, readLabelledData, splitHoldout, toTrainingExamples } from '../../domain/tagging/classifier/labelled-data';
import type { TrainingProgress } from '../../domain/tagging/classifier/linear-model';
import { LINEAR_FORMAT, loadModelFile } from '../../domain/tagging/classifier/model-file';
import type { TrainingExample } from '../../domain/tagging/classifier/naive-bayes';
import { TrainingDataError } from '../../domain/tagging/classifier/training-data-error';
import { loadSnapshot } from '../../domain/tagging/engine/load-snapshot';
import { automatonBytes } from '../../domain/tagging/keywords/automaton';
import { ByteDecoding, readLines } from '../../infra/text/lines';
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
            (model ? `model ${model.name} (${model.kind})\n  version ${model.version}\n  tags ${model.tags.join(', ')}; ${model.vocabularySize} ${model.kind === 'linear' ? 'features' : 'words'}\n` : ''),
        );
      }),
    );

  withTrainingOptions(
    tagger.command('train').description('train the classifier on labelled messages (JSON lines with "tags") and write the model'),
  )
    .requiredOption('--out <file>', 'model file to write')
    .option('--type <type>', `model type: ${MODEL_TYPES.join(' or ')}`, DEFAULT_MODEL_TYPE)
    .option('--name <name>', 'model name shown on its tags (default: the file name)')
    .action((options: TrainCliOptions & { out: string; type: string; name?: string }) =>
      withInputErrors(() => {
        const type = parseModelType(options.type);
        const fields = parseFields(options.fields);
        const progress = createProgress(process.stderr);
        const examples = readExamples(options.data, fields, progress);
        const started = performance.now();
        const model = trainModel(type, examples, {
          ...trainOptions(options, fields),
          name: options.name ?? basename(options.out, extname(options.out)),
          onProgress: (event) => progress(describeProgress(type, event)),
        });
        const seconds = (performance.now() - started) / 1000;
        progress.done();
        const text = JSON.stringify(model);
        writeFileSync(options.out, text);
        const { version } = loadModelFile(options.out);
        const counts = new Map(model.tags.map((tag) => [tag, 0]));
        for (const example of examples) for (const label of example.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
        const features = model.format === LINEAR_FORMAT ? `${model.features.count} features` : `${model.vocabulary.length} words`;
        const thresholds = model.format === LINEAR_FORMAT ? `; thresholds ${model.tags.map((tag, t) => `${tag} ${model.thresholds[t]!.toFixed(2)}`).join(', ')}` : '';
        const rare = model.tags.filter((tag) => counts.get(tag)! < 10);
        process.stdout.write(
          `trained ${model.name} (${type}) on ${model.documents} messages in ${seconds.toFixed(1)} s: tags ${model.tags.map((tag) => `${tag} (${counts.get(tag)})`).join(', ')}; ${features}${thresholds}\n` +
            (rare.length > 0 ? `warning: fewer than 10 messages carry ${rare.join(', ')}: the model knows little about ${rare.length === 1 ? 'it' : 'them'}\n` : '') +
            `wrote ${resolve(options.out)} (${model.format}, ${(text.length / 1e6).toFixed(1)} MB, version ${version})\n`,
        );
      }),
    );

  withTrainingOptions(
    tagger
      .command('eval')
      .description('compare model types on one held-out split — per-tag precision, recall, F1 and a TF-IDF baseline (or test --model on all of the data)'),
  )
    .option('--types <list>', `what to train and compare, of ${EVALUATED_TYPES.join(', ')}`, EVALUATED_TYPES.join(','))
    .option('--holdout <fraction>', 'share of messages held out for testing', '0.2')
    .option('--seed <n>', 'seed of the split', '42')
    .option('--model <file>', 'evaluate this trained model on every message instead')
    .option('--json', 'print the figures as JSON')
    .action((options: TrainCliOptions & { types: string; holdout: string; seed: string; model?: string; json?: boolean }) =>
      withInputErrors(() => {
        const progress = createProgress(process.stderr);
        if (options.model) {
          const { model } = loadModelFile(options.model);
          const evaluation = evaluateModel(model, readExamples(options.data, model.fields, progress));
          progress.done();
          process.stdout.write(options.json ? `${JSON.stringify(evaluation, null, 2)}\n` : `${formatEvaluation(evaluation)}\n`);
          return;
        }
        const types = parseEvaluatedTypes(options.types);
        const holdout = parseNumber('--holdout', options.holdout, Number.MIN_VALUE, 1);
        const seed = parseNumber('--seed', options.seed, 0);
        const fields = parseFields(options.fields);
        const split = splitHoldout(readExamples(options.data, fields, progress), holdout, seed);
        if (split.train.length === 0) throw new UsageError('--holdout leaves nothing to train on');
        let current: EvaluatedType = types[0]!;
        const comparison = compareModels(split.train, split.test, types, {
          ...trainOptions(options, fields),
          name: 'evaluation',
          onStart: (type) => {
            current = type;
            progress(`training ${type} on ${split.train.length} messages`);
          },
          onProgress: (event) => progress(describeProgress(current, event)),
          onBaselineTag: (tag, t, tags) => progress(`training baseline: tag ${tag} (${t + 1}/${tags})`),
        });
        progress.done();
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ trained: split.train.length, tested: split.test.length, holdout, seed, ...comparison }, null, 2)}\n`);
          return;
        }
        const sections = comparison.results.map((result) => `${result.type} — ${result.description}\n${formatEvaluation(result.evaluation)}`);
        process.stdout.write(`${sections.join('\n\n')}\n\n${formatComparison(comparison)}\n(trained on ${split.train.length} messages, tested on ${split.test.length}, seed ${seed})\n`);
      }),
    );
}

/** The options `train` and `eval` share: the data and how the model is trained. */
function withTrainingOptions(command: Command): Command {
  return command
    .requiredOption('--data <file>', 'labelled messages: JSON lines with the text fields and "tags"')
    .option('--fields <list>', 'message fields the model reads', 'text,content')
    .option('--min-documents <n>', 'leave out words (features) seen in fewer messages (default: naive-bayes 1, linear 2)')
    .option('--threshold <score>', 'score at which a tag is added (default: naive-bayes 0.5; linear tunes one per tag)')
    .option('--c <value>', 'linear: inverse regularization strength, as scikit-learn\'s C (default 4)')
    .option('--validation <fraction>', 'linear: share of the training messages held back to tune the thresholds (default 0.1; 0: no tuning)');
}

interface TrainCliOptions {
  data: string;
  fields: string;
  minDocuments?: string;
  threshold?: string;
  c?: string;
  validation?: string;
}

function trainOptions(options: TrainCliOptions, fields: string[]) {
  return {
    fields,
    ...(options.minDocuments === undefined ? {} : { minDocuments: parseNumber('--min-documents', options.minDocuments, 1) }),
    ...(options.threshold === undefined ? {} : { threshold: parseNumber('--threshold', options.threshold, Number.MIN_VALUE, 1) }),
    ...(options.c === undefined ? {} : { c: parseNumber('--c', options.c, Number.MIN_VALUE) }),
    ...(options.validation === undefined ? {} : { validation: parseNumber('--validation', options.validation, 0, 1) }),
  };
}

function parseModelType(value: string): ModelType {
  if (!(MODEL_TYPES as readonly string[]).includes(value)) throw new UsageError(`--type must be one of ${MODEL_TYPES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as ModelType;
}

function parseEvaluatedTypes(list: string): EvaluatedType[] {
  const types = [...new Set(list.split(',').map((type) => type.trim()).filter((type) => type !== ''))];
  const unknown = types.filter((type) => !(EVALUATED_TYPES as readonly string[]).includes(type));
  if (types.length === 0 || unknown.length > 0) {
    throw new UsageError(`--types must list some of ${EVALUATED_TYPES.join(', ')}${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`);
  }
  return types as EvaluatedType[];
}

/** Reads and tokenizes labelled data, telling how far it got; warns about messages without text. */
function readExamples(file: string, fields: string[], progress: Progress): TrainingExample[] {
  progress(`reading ${file}`);
  const { messages, withoutText } = readLabelledData(file, fields);
  if (withoutText > 0) {
    progress.note(`warning: ${withoutText} of ${messages.length} messages have no text in ${fields.join(', ')} (kept, as messages about nothing)`);
  }
  return toTrainingExamples(messages, (done, total) => progress(`tokenizing ${done}/${total} messages`));
}

function describeProgress(type: EvaluatedType, event: TrainingProgress): string {
  if (event.stage === 'features') return `training ${type}: TF-IDF features of ${event.messages} messages`;
  const stage = event.stage === 'validation' ? 'tuning the threshold of' : 'fitting';
  return `training ${type}: ${stage} tag ${event.tag} (${event.tagIndex + 1}/${event.tags}), iteration ${event.iteration}`;
}

interface Progress {
  (status: string): void;
  /** A line that stays (a warning). */
  note(line: string): void;
  /** Clears the status line. */
  done(): void;
}

/**
 * Progress on stderr for long training: a status line rewritten in place on a terminal;
 * elsewhere (a log, a CI run) a line at most every five seconds, so a 30-second training
 * shows it is alive without flooding the log.
 */
function createProgress(stream: NodeJS.WriteStream): Progress {
  let last = Number.NEGATIVE_INFINITY; // the first status always shows
  let shown = false;
  const progress = ((status: string) => {
    const now = performance.now();
    if (stream.isTTY) {
      if (now - last < 100) return;
      stream.write(`\r\x1b[K${status}`);
      shown = true;
    } else {
      if (now - last < 5000) return;
      stream.write(`${status}\n`);
    }
    last = now;
  }) as Progress;
  progress.note = (line) => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
    stream.write(`${line}\n`);
  };
  progress.done = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return progress;
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
    for await (const line of readLines(process.stdin as AsyncIterable<Buffer>, { decoding: ByteDecoding.Utf8PerLine })) {
      // Lines are not capped here (a message is as long as it is), so none is overlong.
      if (line.kind !== 'line' || line.text.trim() === '') continue;
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
        ...(line.validUtf8 === false ? { warning: `line ${line.number} is not valid UTF-8: invalid bytes replaced by U+FFFD` } : {}),
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
    if (error instanceof RulesFileError || error instanceof ModelFileError || error instanceof LabelledDataError || error instanceof TrainingDataError) {
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
