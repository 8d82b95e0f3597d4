import { message } from '../../infra/i18n/i18n';
import type { Config } from '../../infra/config/config';
import type { Logger } from '../../infra/logging/logger';
import { LogSource } from '../../store/ingest-logs';
import { JobStatus, type Job } from '../../store/jobs';
import type { Generator } from '../../store/generators';
import type { Store } from '../../store/store';
import type { UriPolicy } from '../uris/prepare';
import { cleanFilename, extensionOf, IngestInputError, IngestSaveError, InputProblem } from './errors';
import { probeFile } from './file-probe';
import { ingestLines } from './ingest-uris';
import { csvFileSource, listSource, textFileSource, type CsvOptions } from './line-sources';
import type { IngestProgress, IngestReceipt, ReceiptLine } from './receipt';
import { checkCron, checkScript, parseFlag, parseGeneratorStatus, parsePriority, parseTimeout } from './script';

export interface IngestServiceDeps {
  store: Store;
  config: Pick<Config, 'ingest' | 'generators'>;
  logger: Logger;
  /**
   * Called after a generator script is stored (issue 6 creates its Temporal Schedule here).
   * A failure is logged and reported, the stored generator stays (`crawlflow generator sync` repairs).
   */
  onGeneratorCreated?: (generator: Generator) => Promise<void>;
  /** URIs per database write. @default 1000 */
  batchSize?: number;
}

/** Streaming hooks of a submission. */
export interface IngestHooks {
  onProgress?: (progress: IngestProgress) => void;
  onLine?: (line: ReceiptLine) => void;
}

export interface FileSubmission extends CsvOptions, IngestHooks {
  job: string;
  /** Where the file is on disk (an upload is spooled to a private temp file first). */
  path: string;
  /** The name it was uploaded under: decides TXT or CSV by its extension; never used as a path. */
  filename?: string | null;
  /** Overrides the extension. */
  format?: 'txt' | 'csv';
  /** Stated encoding; detected when absent. */
  encoding?: string;
  /** @default config.ingest.maxUploadBytes */
  maxBytes?: number;
}

export interface ScriptSubmission {
  job: string;
  bytes: Buffer;
  filename?: string | null;
  language?: string;
  cron?: string | null;
  priority?: string | null;
  status?: string | number | null;
  timeoutSeconds?: string | number | null;
  networkAllowed?: string | boolean | null;
  /** @default the file name without its extension */
  name?: string | null;
}

export interface ScriptReceipt {
  generator: Generator;
  /** Set when the generator was stored but `onGeneratorCreated` failed. */
  warning: string | null;
}

/** The seed's data_preprocess (接口1): every way URIs and generator scripts come in. */
export function createIngestService(deps: IngestServiceDeps) {
  const { store, config, logger } = deps;

  async function resolveJob(name: string): Promise<Job> {
    const trimmed = (name ?? '').trim();
    if (trimmed === '') throw new IngestInputError(InputProblem.UnknownJob, message('errors.no_job_given'));
    const job = await store.jobs.findByName(trimmed);
    if (!job) {
      const names = (await store.jobs.list()).map((known) => known.name);
      throw new IngestInputError(InputProblem.UnknownJob, message('errors.unknown_job_listed', { job: trimmed, known: names.length ? 'yes' : 'no', jobs: names.slice(0, 20).join(', ') }));
    }
    if (job.status !== JobStatus.On) throw new IngestInputError(InputProblem.JobDisabled, message('errors.job_disabled', { job: job.name }));
    return job;
  }

  const hooks = (input: IngestHooks) => ({ ...pick(input), batchSize: deps.batchSize });

  function policyFor(job: Job): UriPolicy {
    return { allowedSchemes: config.ingest.allowedSchemes, ...job.uriRules };
  }

  return {
    resolveJob,

    /** URIs typed by hand: any number, each at most 8000 characters. */
    async submitUris(input: { job: string; uris: readonly string[] } & IngestHooks): Promise<IngestReceipt> {
      const job = await resolveJob(input.job);
      if (input.uris.every((uri) => uri.trim() === '')) throw new IngestInputError(InputProblem.Empty, message('errors.no_uris'));
      return ingestLines(store, logger, {
        job,
        source: LogSource.Manual,
        input: listSource(input.uris),
        policy: policyFor(job),
        format: 'list',
        ...hooks(input),
      });
    },

    /**
     * The configuration string (配置信息): exactly one URI of the form
     * protocol://domain/path/file?param=value, at most 8000 characters, stored as one task.
     */
    async submitConfig(input: { job: string; config: string } & IngestHooks): Promise<IngestReceipt> {
      const job = await resolveJob(input.job);
      const text = (input.config ?? '').trim();
      if (text === '') throw new IngestInputError(InputProblem.Empty, message('errors.no_config'));
      if (/[\r\n]/.test(text)) {
        throw new IngestInputError(InputProblem.BadConfig, message('errors.config_lines'));
      }
      return ingestLines(store, logger, {
        job,
        source: LogSource.Config,
        input: listSource([text]),
        policy: policyFor(job),
        format: 'list',
        ...hooks(input),
      });
    },

    /** One CSV or TXT file of URIs, streamed from disk. */
    async submitFile(input: FileSubmission): Promise<IngestReceipt> {
      const filename = cleanFilename(input.filename);
      const format = input.format ?? formatOf(filename);
      const job = await resolveJob(input.job);
      const probe = await probeFile(input.path, { maxBytes: input.maxBytes ?? config.ingest.maxUploadBytes, encoding: input.encoding });
      const source =
        format === 'csv'
          ? csvFileSource(input.path, { ...input, encoding: probe.encoding, totalBytes: probe.size, firstLine: probe.firstLine })
          : textFileSource(input.path, { encoding: probe.encoding, totalBytes: probe.size });
      return ingestLines(store, logger, {
        job,
        source: LogSource.File,
        input: source,
        policy: policyFor(job),
        filename,
        format,
        encoding: probe.encoding,
        ...hooks(input),
      });
    },

    /**
     * One Python or Shell generator script with its settings, stored in crawler_task_generator.
     * A failed save goes to the failure log (with the script) and raises {@link IngestSaveError}.
     */
    async submitScript(input: ScriptSubmission): Promise<ScriptReceipt> {
      const filename = cleanFilename(input.filename);
      const job = await resolveJob(input.job);
      const { code, language } = checkScript(input.bytes, filename, input.language);
      const settings = {
        cron: checkCron(input.cron),
        priority: parsePriority(input.priority),
        status: parseGeneratorStatus(input.status),
        timeoutSeconds: parseTimeout(input.timeoutSeconds, config.generators.timeoutSeconds),
        networkAllowed: parseFlag(input.networkAllowed, 'network'),
        name: (input.name ?? '').trim() || (filename ?? 'generator').replace(/\.[A-Za-z0-9]+$/, '') || 'generator',
      };
      if (settings.name.length > 128) throw new IngestInputError(InputProblem.BadSettings, message('errors.name_too_long'));
      let generator: Generator;
      try {
        generator = await store.generators.create({ job: job.id, code, language, filename, ...settings });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        logger.error({ job: job.name, filename, err: error }, 'saving a generator script failed');
        const missed = await store.logs
          .recordFailures([
            { job: job.id, jobName: job.name, source: LogSource.Script, input: filename ?? '(script)', reasonCode: 'save_failed', reason, code },
          ])
          .catch(() => 1);
        throw new IngestSaveError(
          `saving the script failed (${reason}); ${missed === 0 ? 'it was kept in the failure log' : 'the failure log could not be written either'} — try again`,
          error,
        );
      }
      let warning: string | null = null;
      if (deps.onGeneratorCreated) {
        try {
          await deps.onGeneratorCreated(generator);
        } catch (error) {
          warning = `the generator was stored, but its schedule was not created: ${(error as Error).message}`;
          logger.warn({ generator: generator.id.toHexString(), err: error }, 'onGeneratorCreated failed');
        }
      }
      return { generator, warning };
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;

function pick(input: IngestHooks): IngestHooks {
  return { onProgress: input.onProgress, onLine: input.onLine };
}

function formatOf(filename: string | null): 'txt' | 'csv' {
  const extension = extensionOf(filename);
  if (extension === 'csv') return 'csv';
  if (extension === 'txt' || extension === 'text' || extension === 'lst') return 'txt';
  throw new IngestInputError(InputProblem.WrongFileType, message('errors.uri_file_type', { got: filename ? 'yes' : 'no', filename: filename ?? '' }));
}
