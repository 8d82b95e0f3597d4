import { ApplicationFailure, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AlertActivities } from '../activities/alerts';
import type { GeneratorRunActivities, GeneratorRunSummary } from '../activities/generator-run';
import { ErrorType } from '../common/error-types';
import { SearchAttributeKeys } from '../common/search-attributes';
import type { AlertKind } from '../store/alert-repository';
import { describeFailure } from './failure-description';

export interface GeneratorRunInput {
  /** The generator's ObjectId, hex. */
  generatorId: string;
  /** `schedule` (its Temporal Schedule), `manual` (`crawlflow generator run`), or what an operator names. */
  trigger: string;
  /** Where the script runs and where alerts are recorded. */
  taskQueues: { sandbox: string; io: string };
  /**
   * The generator's wall-time limit when the run was set up; the activity's timeouts are
   * sized from it (the activity re-reads the generator and keeps within them).
   */
  timeoutSeconds: number;
}

const GENERATOR_FAILED: AlertKind = 'generator_failed';
const GENERATOR_NO_URIS: AlertKind = 'generator_no_uris';

/**
 * One generator run (the seed's dispatch_uri → download_uri_task): run the script on the
 * sandbox queue, which stores its URIs and writes the run log; then alert when the run failed
 * or stored nothing new. Started by the generator's schedule, or by `crawlflow generator run`.
 */
export async function generatorRunWorkflow(input: GeneratorRunInput): Promise<GeneratorRunSummary> {
  const { workflowId } = workflowInfo();
  const { runGenerator } = proxyActivities<GeneratorRunActivities>({
    taskQueue: input.taskQueues.sandbox,
    // The script's own limit plus room to store its last URIs and write the log.
    startToCloseTimeout: `${input.timeoutSeconds + 300}s`,
    // A worker that dies mid-run is noticed within a minute and the run retried elsewhere.
    heartbeatTimeout: '1m',
    // Failing scripts are results, not errors: only infrastructure failures are retried.
    retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 3 },
  });
  const { recordAlert } = proxyActivities<AlertActivities>({
    taskQueue: input.taskQueues.io,
    startToCloseTimeout: '30s',
    // An alert must not be lost to a MongoDB hiccup: keep trying.
    retry: { initialInterval: '1s', maximumInterval: '1m' },
  });
  upsertSearchAttributes([
    { key: SearchAttributeKeys.source, value: 'generator' },
    { key: SearchAttributeKeys.generator, value: input.generatorId },
  ]);

  let summary: GeneratorRunSummary;
  try {
    summary = await runGenerator({ generatorId: input.generatorId, trigger: input.trigger });
  } catch (error) {
    const { message } = describeFailure(error);
    upsertSearchAttributes([{ key: SearchAttributeKeys.outcome, value: 'failed' }]);
    await recordAlert({
      kind: GENERATOR_FAILED,
      summary: `generator ${input.generatorId} could not run: ${message}`,
      summaryMessage: { key: 'mail.alert.generator_could_not_run', params: { generator: input.generatorId, error: message.slice(0, 300) } },
      detail: { generatorId: input.generatorId, trigger: input.trigger, error: message },
      workflowId,
    });
    throw ApplicationFailure.nonRetryable(`generator run failed: ${message}`, ErrorType.GeneratorRunFailed);
  }

  upsertSearchAttributes([
    { key: SearchAttributeKeys.outcome, value: summary.noNewUris ? 'no_new_uris' : summary.outcome },
    ...(summary.job ? [{ key: SearchAttributeKeys.job, value: summary.job }] : []),
  ]);
  const name = summary.generatorName ? `"${summary.generatorName}"` : input.generatorId;
  const detail = {
    generatorId: input.generatorId,
    trigger: input.trigger,
    logId: summary.logId,
    new: summary.new,
    duplicate: summary.duplicate,
    invalid: summary.invalid,
    reason: summary.reason,
  };
  if (summary.outcome === 'failed') {
    await recordAlert({
      kind: GENERATOR_FAILED,
      summary: `generator ${name} failed: ${(summary.reason ?? '').split('\n')[0]}`,
      summaryMessage: { key: 'mail.alert.generator_failed', params: { generator: name, reason: (summary.reason ?? '').split('\n')[0] ?? '' } },
      detail,
      workflowId,
      ...(summary.jobName ? { job: summary.jobName } : {}),
    });
  } else if (summary.noNewUris) {
    await recordAlert({
      kind: GENERATOR_NO_URIS,
      summary: `generator ${name} stored no new URI (${summary.duplicate} duplicate, ${summary.invalid} invalid)`,
      summaryMessage: { key: 'mail.alert.generator_no_uris', params: { generator: name, duplicate: String(summary.duplicate), invalid: String(summary.invalid) } },
      detail,
      workflowId,
      ...(summary.jobName ? { job: summary.jobName } : {}),
    });
  }
  return summary;
}
