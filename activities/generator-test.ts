import { activityInfo, Context } from '@temporalio/activity';
import { ObjectId } from 'mongodb';
import { createTestLineChecker, type TestLine, type TestLineCounts } from '../domain/generators/test-report';
import type { Logger } from '../infra/logging/logger';
import { scriptNotRun, ScriptOutcome, type runSandboxedScript, type ScriptResult } from '../infra/sandbox/run-script';
import { UnsupportedScriptError } from '../infra/sandbox/script-language';
import { runGeneratorScript, type GeneratorSandbox } from './generator-script';
import type { Store } from '../store/store';

export interface GeneratorTestDeps {
  store: Pick<Store, 'generators' | 'jobs' | 'tasks'>;
  sandbox: GeneratorSandbox;
  allowedSchemes: readonly string[];
  logger: Logger;
  /** Replaceable in tests only. @default runSandboxedScript */
  runScript?: typeof runSandboxedScript;
}

export interface GeneratorTestRequest {
  generatorId: string;
}

/** What a test run showed. Nothing of it is stored but its verdict (by the caller). */
export interface GeneratorTestReport {
  generatorId: string;
  generatorName: string;
  /** The code revision that ran. */
  revision: number;
  /** The script succeeded and printed at least one URI a run would accept (new or duplicate). */
  passed: boolean;
  /** Why it did not pass. */
  reason: string | null;
  outcome: ScriptOutcome;
  exitCode: number | null;
  durationMs: number;
  sandbox: string;
  stdoutBytes: number;
  counts: TestLineCounts;
  /** The first printed lines, each with what a real run would make of it. */
  lines: TestLine[];
  /** Lines printed but not listed in `lines`. */
  linesNotShown: number;
  /** The end of stderr. */
  stderr: string;
  stderrBytes: number;
}

const STDERR_IN_REPORT = 8000;

/** Thrown when the generator or its job is gone: nothing ran. */
export class GeneratorTestError extends Error {
  override readonly name = 'GeneratorTestError';
}

/**
 * The sandbox queue's test activity: runs a generator's current code exactly as a real run
 * would (same sandbox, limits, network permission and URI rules) and reports each printed line
 * as new, duplicate or invalid — storing no task and no log.
 */
export function createGeneratorTestActivities(deps: GeneratorTestDeps) {
  return {
    async testGenerator(request: GeneratorTestRequest): Promise<GeneratorTestReport> {
      const context = Context.current();
      const info = activityInfo();
      const logger = deps.logger.child({ generatorId: request.generatorId, test: true, attempt: info.attempt });
      const generator = ObjectId.isValid(request.generatorId) ? await deps.store.generators.get(new ObjectId(request.generatorId)) : null;
      if (!generator) throw new GeneratorTestError(`no generator has the id ${JSON.stringify(request.generatorId)}`);
      const job = await deps.store.jobs.get(generator.job);
      if (!job) throw new GeneratorTestError(`the generator's job ${generator.job.toHexString()} does not exist`);
      const checker = createTestLineChecker({ tasks: deps.store.tasks, job: job.id, policy: { allowedSchemes: deps.allowedSchemes, ...job.uriRules } });
      const ticker = setInterval(() => context.heartbeat(), 5000);
      const started = Date.now();
      let result: ScriptResult;
      try {
        result = await runGeneratorScript(generator, {
          sandbox: deps.sandbox,
          wallTimeSeconds: generator.timeoutSeconds,
          signal: context.cancellationSignal,
          logger,
          ...(deps.runScript ? { runScript: deps.runScript } : {}),
          onLines: async (lines) => {
            await checker.accept(lines);
            context.heartbeat();
          },
        });
      } catch (error) {
        if (!(error instanceof UnsupportedScriptError)) throw error;
        result = scriptNotRun(error.message, Date.now() - started);
      } finally {
        clearInterval(ticker);
      }
      const counts = checker.counts();
      const lines = [...checker.lines()];
      const reason =
        result.outcome !== ScriptOutcome.Succeeded
          ? result.reason
          : counts.new + counts.duplicate === 0
            ? counts.invalid > 0
              ? `the script printed no valid URI (${counts.invalid} invalid)`
              : 'the script printed no URI'
            : null;
      logger.info({ passed: reason === null, outcome: result.outcome, ...counts }, 'generator test finished');
      return {
        generatorId: request.generatorId,
        generatorName: generator.name,
        revision: generator.revision,
        passed: reason === null,
        reason,
        outcome: result.outcome,
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        sandbox: result.sandbox,
        stdoutBytes: result.stdoutBytes,
        counts,
        lines,
        linesNotShown: counts.printed - lines.length,
        stderr: result.stderr.slice(-STDERR_IN_REPORT),
        stderrBytes: result.stderrBytes,
      };
    },
  };
}

export type GeneratorTestActivities = ReturnType<typeof createGeneratorTestActivities>;
