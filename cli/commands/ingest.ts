import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { IngestInputError, IngestSaveError } from '../../domain/ingest/errors';
import type { IngestProgress, IngestReceipt, ReceiptLine } from '../../domain/ingest/receipt';
import { receiptText } from '../../domain/ingest/receipt-text';
import { createIngestService, type IngestService } from '../../domain/ingest/service';
import { spoolToTempFile } from '../../domain/ingest/spool';
import { connectMongo } from '../../infra/mongo/client';
import { GENERATOR_STATUS_NAMES } from '../../store/generators';
import { createStore } from '../../store/store';
import { createScheduleSync } from '../../starters/generator-schedule-sync';
import { loadCliContext, UsageError } from '../context';

interface IngestOptions {
  job: string;
  file?: string;
  uri?: string[];
  config?: string;
  script?: string;
  format?: 'txt' | 'csv';
  column?: string;
  header?: boolean;
  delimiter?: string;
  encoding?: string;
  maxBytes?: string;
  receipt?: string;
  progress: boolean;
  cron?: string;
  priority?: string;
  status?: string;
  timeout?: string;
  network?: boolean;
  name?: string;
  language?: string;
}

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description("store URIs as crawler tasks (a file, URIs given here, or '-' for standard input), a configuration string, or a generator script")
    .argument('[stdin]', "'-' reads URIs, one per line, from standard input")
    .requiredOption('-j, --job <name>', 'the job the URIs belong to')
    .option('-f, --file <path>', 'a .txt (one URI per line) or .csv file')
    .option('-u, --uri <uri...>', 'URIs given on the command line')
    .option('--config <string>', 'one configuration string protocol://domain/path/file?param=value')
    .option('--script <path>', 'a Python (.py) or Shell (.sh) generator script to store')
    .option('--format <txt|csv>', 'file format, instead of the extension (standard input is txt unless told)')
    .option('--column <name|number>', 'CSV: the URI column, by header name or 1-based number')
    .option('--header', 'CSV: the first row is a header')
    .option('--no-header', 'CSV: the first row is data')
    .option('--delimiter <char>', 'CSV: the field delimiter (detected by default)')
    .option('--encoding <name>', 'the file encoding (detected by default: UTF-8, GB18030, Big5, …)')
    .option('--max-bytes <n>', 'largest file accepted (default INGEST_MAX_UPLOAD_BYTES)')
    .option('--receipt <path>', 'write every line\'s outcome to this file as JSON lines')
    .option('--no-progress', 'no progress bar')
    .option('--cron <expr>', 'script: five-field cron schedule (empty: run by hand only)')
    .option('--priority <p>', 'script: very high, high, medium (default) or low')
    .option('--status <s>', 'script: alpha (default), beta, production, on, off')
    .option('--timeout <seconds>', 'script: wall-time limit of one run (default GENERATOR_TIMEOUT_SECONDS)')
    .option('--network', 'script: let it reach the network')
    .option('--name <name>', 'script: its name (default: the file name)')
    .option('--language <python|shell>', 'script: instead of the extension')
    .action(async (stdin: string | undefined, options: IngestOptions) => {
      const inputs = [options.file, options.uri, options.config, options.script, stdin].filter((value) => value !== undefined);
      if (stdin !== undefined && stdin !== '-') throw new UsageError(`unexpected argument ${JSON.stringify(stdin)}: use --file, --uri or '-' for standard input`);
      if (inputs.length !== 1) throw new UsageError('give exactly one input: --file F, --uri U…, --config S, --script F or - (standard input)');
      if (options.format !== undefined && !['txt', 'csv'].includes(options.format)) throw new UsageError(`--format ${options.format}: txt or csv`);
      const maxBytes = options.maxBytes !== undefined ? Number(options.maxBytes) : undefined;
      if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) throw new UsageError(`--max-bytes ${options.maxBytes}: a positive whole number`);

      const { config, logger } = loadCliContext('ingest');
      const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-ingest' });
      const store = createStore(mongo.db);
      const schedules = createScheduleSync({ config, store, logger });
      const service = createIngestService({ store, config, logger, onGeneratorCreated: schedules.onGeneratorCreated });
      try {
        if (options.script !== undefined) {
          await storeScript(service, options);
          return;
        }
        const receipt = await ingestUris(service, options, maxBytes ?? config.ingest.maxUploadBytes);
        process.stdout.write(receiptText(receipt));
        if (receipt.status !== 'done' || receipt.counts.failed > 0) process.exitCode = 1;
      } catch (error) {
        if (error instanceof IngestInputError) throw new UsageError(error.message);
        if (error instanceof IngestSaveError) throw new Error(error.message, { cause: error });
        throw error;
      } finally {
        await schedules.close();
        await mongo.client.close();
      }
    });
}

async function storeScript(service: IngestService, options: IngestOptions): Promise<void> {
  const path = options.script!;
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${path}: ${error.code ?? error.message}`);
  });
  const { generator, warning } = await service.submitScript({
    job: options.job,
    bytes,
    filename: path,
    language: options.language,
    cron: options.cron,
    priority: options.priority,
    status: options.status,
    timeoutSeconds: options.timeout,
    networkAllowed: options.network === true,
    name: options.name,
  });
  process.stdout.write(
    `stored generator "${generator.name}" ${generator.id.toHexString()} (${generator.language}, ` +
      `cron ${generator.cron ?? 'none: runs by hand'}, priority ${generator.priority}, status ${GENERATOR_STATUS_NAMES[generator.status]})\n`,
  );
  if (warning) process.stderr.write(`warning: ${warning}\n`);
}

async function ingestUris(service: IngestService, options: IngestOptions, maxBytes: number): Promise<IngestReceipt> {
  const receiptFile = options.receipt ? createWriteStream(options.receipt) : undefined;
  const bar = options.progress && process.stderr.isTTY && !options.uri && !options.config ? createBar() : undefined;
  const hooks = {
    onProgress: bar?.update,
    onLine: receiptFile ? (line: ReceiptLine) => receiptFile.write(`${JSON.stringify(line)}\n`) : undefined,
  };
  try {
    if (options.uri) return await service.submitUris({ job: options.job, uris: options.uri, ...hooks });
    if (options.config !== undefined) return await service.submitConfig({ job: options.job, config: options.config, ...hooks });
    const csv = { column: options.column, header: options.header, delimiter: options.delimiter, encoding: options.encoding, maxBytes };
    if (options.file) {
      return await service.submitFile({ job: options.job, path: options.file, filename: options.file, format: options.format, ...csv, ...hooks });
    }
    // Standard input is spooled to a private temp file first: its size is then known, and an
    // over-large input is refused before anything is stored.
    await service.resolveJob(options.job);
    const spooled = await spoolToTempFile(process.stdin, { maxBytes });
    try {
      return await service.submitFile({ job: options.job, path: spooled.path, filename: null, format: options.format ?? 'txt', ...csv, ...hooks });
    } finally {
      await spooled.remove();
    }
  } finally {
    bar?.stop();
    if (receiptFile) await closeStream(receiptFile);
  }
}

function createBar(): { update: (progress: IngestProgress) => void; stop: () => void } {
  const bar = new SingleBar(
    {
      format: '{bar} {percentage}% | {lines} lines: {accepted} accepted, {duplicate} duplicate, {invalid} invalid, {failed} failed',
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const payload = { ...progress.counts };
      if (!started) {
        started = true;
        bar.start(progress.totalBytes ?? 0, 0, payload);
      }
      bar.update(progress.bytesRead, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
}
