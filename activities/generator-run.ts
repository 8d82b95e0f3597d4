import { activityInfo, Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { ObjectId } from 'mongodb';
import type { GeneratorRunStateRepository } from '../store/generator-run-state';
import { inputLine } from '../domain/ingest/line-sources';
import { createUriTaskWriter } from '../domain/ingest/uri-task-writer';
import type { Logger } from '../infra/logging/logger';
import { scriptNotRun, ScriptOutcome, type runSandboxedScript, type ScriptResult } from '../infra/sandbox/run-script';
import { UnsupportedScriptError } from '../infra/sandbox/script-language';
import { runGeneratorScript, type GeneratorSandbox } from './generator-script';
import { TaskSource } from '../store/crawler-tasks';
import { GeneratorLogStatus } from '../store/generator-logs';
import { LogSource } from '../store/ingest-logs';
import type { IngestCounts } from '../store/ingest-runs';
import { JobStatus } from '../store/jobs';
import type { Store } from '../store/store';
import type { CrawlflowMetrics } from '../infra/metrics/metrics';

export interface GeneratorRunDeps {
  store: Pick<Store, 'generators' | 'jobs' | 'tasks' | 'generatorLogs' | 'logs'>;
  runState: Pick<GeneratorRunStateRepository, 'recordRun'>;
  sandbox: GeneratorSandbox;
  /** URI schemes generators may produce (URI_ALLOWED_SCHEMES). */
  allowedSchemes: readonly string[];
  /** This worker's host name, for the run log. */
  hostname: string;
  logger: Logger;
  /** Replaceable in tests only. @default runSandboxedScript */
  runScript?: typeof runSandboxedScript;
  /** How often a silent script's run still heartbeats. @default 5000 */
  heartbeatIntervalMs?: number;
  /** Where the work is counted: the process's metrics (infra/metrics/metrics.ts), injected like every client. */
  metrics: Pick<CrawlflowMetrics, 'generatorRuns' | 'generatorRunDuration' | 'generatorUris'>;
}

export const GeneratorRunOutcome = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  /** No generator has that id (deleted, or a mistyped id): in the error log, nothing ran. */
  UnknownGenerator: 'unknown_generator',
  /** Its job is disabled or gone: in the error log, nothing ran. */
  Skipped: 'skipped',
} as const;
export type GeneratorRunOutcome = (typeof GeneratorRunOutcome)[keyof typeof GeneratorRunOutcome];

export interface GeneratorRunRequest {
  generatorId: string;
  /** What started the run, kept in the run log. */
  trigger: string;
}

/** What a generator run's stdout amounted to. */
export interface UriCounts {
  /** Stored as new crawler tasks. */
  new: number;
  /** Already in the job (or printed twice): not stored again. */
  duplicate: number;
  /** Not a URI crawlflow accepts (garbage, a bad scheme, an overlong line…). */
  invalid: number;
  /** Valid and new but could not be saved (each one is in the failure log). */
  failed: number;
  /** Empty lines, skipped without counting as invalid. */
  blank: number;
}

/** Invalid lines of one run written to the error log: a script's output is untrusted and may be all garbage. */
const MAX_LOGGED_INVALID_LINES = 100;

/** One run as the workflow and the run log see it. Small: it goes into Temporal history. */
export interface GeneratorRunSummary extends Omit<UriCounts, 'blank'> {
  outcome: GeneratorRunOutcome;
  generatorId: string;
  generatorName?: string;
  job?: string;
  jobName?: string;
  /** The crawler_generator_log id, when a run log was written. */
  logId?: string;
  /** Why it failed, was skipped, or did not find its generator. */
  reason?: string;
  /** A run that ended well but stored no new URI: flagged and alerted. */
  noNewUris: boolean;
  durationMs: number;
  sandbox?: string;
  /** The code revision that ran. */
  revision?: number;
}

/** Heartbeat details: what a retried attempt needs from the one before it. */
interface RunProgress {
  /** New URIs stored by earlier attempts of this run (their URIs come back as duplicates). */
  urisNewBefore: number;
  urisNew: number;
  /** Set once the run log is written: a retry after that only returns it. */
  summary?: GeneratorRunSummary;
}

const MAX_STDERR_IN_REASON = 4000;

/**
 * The sandbox queue's activity: the seed's download_uri_task. Runs one generator's script in
 * the sandbox, streams its stdout into crawler tasks, and writes the run log.
 */
export function createGeneratorRunActivities(deps: GeneratorRunDeps) {
  const { metrics } = deps;
  const { store } = deps;

  return {
    async runGenerator(request: GeneratorRunRequest): Promise<GeneratorRunSummary> {
      const context = Context.current();
      const info = activityInfo();
      const previous = info.heartbeatDetails as RunProgress | undefined;
      if (previous?.summary) return previous.summary;
      const started = Date.now();
      const workflowId = info.workflowExecution?.workflowId ?? null;
      const runId = info.workflowExecution?.runId ?? null;
      const logger = deps.logger.child({ generatorId: request.generatorId, workflowId, attempt: info.attempt });
      const base = { generatorId: request.generatorId, new: 0, duplicate: 0, invalid: 0, failed: 0, noNewUris: false };

      const generator = ObjectId.isValid(request.generatorId) ? await store.generators.get(new ObjectId(request.generatorId)) : null;
      if (!generator) {
        const reason = `no generator has the id ${JSON.stringify(request.generatorId)}`;
        await store.logs.recordErrors([{ source: LogSource.Generator, input: request.generatorId, reasonCode: 'unknown_generator', reason, workflowId }]);
        logger.warn({ reason }, 'generator run found no generator');
        return { ...base, outcome: GeneratorRunOutcome.UnknownGenerator, reason, durationMs: Date.now() - started };
      }
      const named = { ...base, generatorName: generator.name, job: generator.job.toHexString() };
      const job = await store.jobs.get(generator.job);
      if (!job || job.status !== JobStatus.On) {
        const reason = job ? `job "${job.name}" is disabled: the generator did not run` : `the generator's job ${generator.job.toHexString()} does not exist`;
        await store.logs.recordErrors([
          { source: LogSource.Generator, job: generator.job, generator: generator.id, input: request.generatorId, reasonCode: 'job_disabled', reason, workflowId },
        ]);
        return { ...named, ...(job ? { jobName: job.name } : {}), outcome: GeneratorRunOutcome.Skipped, reason, durationMs: Date.now() - started };
      }

      const writer = createUriTaskWriter({
        tasks: store.tasks,
        logs: store.logs,
        logger,
        tasksOf: { job: job.id, generator: generator.id, source: TaskSource.Generator },
        logContext: { job: job.id, generator: generator.id, source: LogSource.Generator, workflowId },
        policy: { allowedSchemes: deps.allowedSchemes, ...job.uriRules },
        maxLoggedInvalid: MAX_LOGGED_INVALID_LINES,
        // A scheduled generator prints mostly what its last run stored: a duplicate is the normal
        // case here, counted in the run log, not an error worth a row each.
        logDuplicates: false,
        // Temporal retries the whole run and a rerun stores nothing twice: give up at the first
        // batch that stores nothing, rather than count URIs as failed that the retry will store.
        maxFailedBatches: 1,
      });
      let lineNumber = 0;
      const urisNewBefore = (previous?.urisNewBefore ?? 0) + (previous?.urisNew ?? 0);
      const heartbeat = () => context.heartbeat({ urisNewBefore, urisNew: writer.counts().accepted } satisfies RunProgress);
      const ticker = setInterval(heartbeat, deps.heartbeatIntervalMs ?? 5000);

      let result: ScriptResult;
      try {
        result = await runGeneratorScript(generator, {
          sandbox: deps.sandbox,
          wallTimeSeconds: wallTimeSeconds(generator.timeoutSeconds, info.startToCloseTimeoutMs),
          signal: context.cancellationSignal,
          logger,
          ...(deps.runScript ? { runScript: deps.runScript } : {}),
          onLines: async (lines) => {
            for (const line of lines) await writer.add(inputLine(++lineNumber, line));
            // The script may pause after this chunk: what it printed is written now, not at the next one.
            await writer.flush();
            heartbeat();
          },
        });
        await writer.finish();
      } catch (error) {
        if (!(error instanceof UnsupportedScriptError)) {
          // The store failed under the run: log this attempt, then let Temporal retry the run.
          await writer.stop();
          await writeRunLog(failedAttempt(error, Date.now() - started)).catch(() => undefined);
          throw error;
        }
        result = scriptNotRun(error.message, Date.now() - started);
      } finally {
        clearInterval(ticker);
      }

      const counts = uriCounts(writer.counts());
      // A deterministic script prints again what an earlier attempt stored: count those as new.
      const urisNew = counts.new + urisNewBefore;
      const duplicate = Math.max(0, counts.duplicate - urisNewBefore);
      const succeeded = result.outcome === ScriptOutcome.Succeeded;
      const reason = succeeded ? undefined : failedReason(result);
      const summary: GeneratorRunSummary = {
        ...named,
        jobName: job.name,
        outcome: succeeded ? GeneratorRunOutcome.Succeeded : GeneratorRunOutcome.Failed,
        new: urisNew,
        duplicate,
        invalid: counts.invalid,
        failed: counts.failed,
        noNewUris: succeeded && urisNew === 0,
        durationMs: result.durationMs,
        sandbox: result.sandbox,
        revision: generator.revision,
        ...(reason ? { reason } : {}),
      };
      const logId = await writeRunLog({ summary, result, counts, urisNewBefore });
      summary.logId = logId.toHexString();
      await deps.runState.recordRun({
        generator: generator.id,
        succeeded,
        outcome: summary.outcome,
        log: logId,
        urisNew,
        failedReason: reason ?? null,
        workflowId,
      });
      logger.info({ outcome: summary.outcome, new: urisNew, duplicate, invalid: counts.invalid, durationMs: result.durationMs }, 'generator run finished');
      const runOutcome = metricOutcome(result.outcome, urisNew);
      metrics.generatorRuns.inc({ outcome: runOutcome });
      metrics.generatorRunDuration.observe({ outcome: runOutcome }, result.durationMs / 1000);
      metrics.generatorUris.inc({ outcome: 'accepted' }, counts.new);
      metrics.generatorUris.inc({ outcome: 'duplicate' }, counts.duplicate);
      metrics.generatorUris.inc({ outcome: 'invalid' }, counts.invalid);
      if (result.outcome === ScriptOutcome.Cancelled && context.cancellationSignal.aborted) {
        throw new CancelledFailure('the generator run was cancelled; its run log says so');
      }
      // Should this attempt die before Temporal hears of its result, the retry returns this.
      context.heartbeat({ urisNewBefore, urisNew: counts.new, summary } satisfies RunProgress);
      return summary;

      async function writeRunLog(run: { summary: GeneratorRunSummary; result: ScriptResult; counts: UriCounts; urisNewBefore: number }): Promise<ObjectId> {
        return store.generatorLogs.record({
          job: job!.id,
          generator: generator!.id,
          status: run.summary.outcome === GeneratorRunOutcome.Succeeded ? GeneratorLogStatus.Succeeded : GeneratorLogStatus.Failed,
          failedReason: run.summary.reason ?? null,
          contentBytes: run.result.stdoutBytes,
          spendMsecs: run.result.durationMs,
          hostname: deps.hostname,
          urisNew: run.summary.new,
          urisDuplicate: run.summary.duplicate,
          urisInvalid: run.summary.invalid,
          workflowId,
          runId,
          extra: {
            trigger: request.trigger,
            revision: generator!.revision,
            attempt: info.attempt,
            outcome: run.result.outcome,
            exitCode: run.result.exitCode,
            signal: run.result.signal,
            sandbox: run.result.sandbox,
            ...(run.result.sandboxNote ? { sandboxNote: run.result.sandboxNote } : {}),
            stdoutLines: run.result.stdoutLines,
            stderrBytes: run.result.stderrBytes,
            stderr: run.result.stderr.slice(-MAX_STDERR_IN_REASON),
            urisFailed: run.counts.failed,
            blankLines: run.counts.blank,
            urisNewInEarlierAttempts: run.urisNewBefore,
            noNewUris: run.summary.noNewUris,
          },
        });
      }

      function failedAttempt(error: unknown, durationMs: number) {
        const counts = uriCounts(writer.counts());
        const reason = `attempt ${info.attempt} stopped: ${(error as Error).message}; Temporal retries the run`;
        return {
          summary: { ...named, jobName: job!.name, outcome: GeneratorRunOutcome.Failed, ...counts, noNewUris: false, durationMs, reason },
          result: scriptNotRun(reason, durationMs),
          counts,
          urisNewBefore,
        };
      }
    },
  };
}

export type GeneratorRunActivities = ReturnType<typeof createGeneratorRunActivities>;

function uriCounts(counts: IngestCounts): UriCounts {
  return { new: counts.accepted, duplicate: counts.duplicate, invalid: counts.invalid, failed: counts.failed, blank: counts.skipped };
}

/** The generator's own limit, kept inside the activity's timeout (minus room to write the log). */
function wallTimeSeconds(generatorSeconds: number, startToCloseMs: number | undefined): number {
  const ceiling = startToCloseMs ? Math.max(1, Math.floor(startToCloseMs / 1000) - 60) : generatorSeconds;
  return Math.max(1, Math.min(generatorSeconds, ceiling));
}

/** The run log's failed_reason: what ended the run, then the end of its stderr. */
function failedReason(result: ScriptResult): string {
  const stderr = result.stderr.trim();
  return stderr === '' ? result.reason : `${result.reason}\n--- stderr ---\n${stderr.slice(-MAX_STDERR_IN_REASON)}`;
}

/** The run's outcome as `crawlflow_generator_runs_total` labels it. */
function metricOutcome(outcome: ScriptOutcome, urisNew: number): 'ok' | 'no_uris' | 'failed' | 'timed_out' | 'killed' {
  if (outcome === ScriptOutcome.Succeeded) return urisNew === 0 ? 'no_uris' : 'ok';
  if (outcome === ScriptOutcome.TimedOut) return 'timed_out';
  if (outcome === ScriptOutcome.Cancelled) return 'killed';
  return 'failed';
}
