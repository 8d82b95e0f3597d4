import { SearchAttributeName } from '../../common/search-attributes';
import type { Config } from '../../infra/config/config';
import { workflowListUrl, workflowUrl } from '../../infra/temporal/connection';

/**
 * Links from the page into the Temporal Web UI. Workflow ids and search attributes are the ones
 * the pipeline and the generators set: a crawler task's message workflow is `msg-<task id>`
 * (the feeder sends the task id as the message id); jobs and generators are filtered by the
 * CrawlflowJob / CrawlflowGenerator search attributes (their ids, in hex).
 */
export function createTemporalLinks(config: Config['temporal']) {
  const byAttribute = (name: string, value: string) => workflowListUrl(config, `${name} = "${value}"`);
  return {
    uiUrl: config.uiUrl,
    job: (jobId: string) => byAttribute(SearchAttributeName.Job, jobId),
    jobFailures: (jobId: string) => workflowListUrl(config, `${SearchAttributeName.Job} = "${jobId}" AND ExecutionStatus = "Failed"`),
    generator: (generatorId: string) => byAttribute(SearchAttributeName.Generator, generatorId),
    task: (taskId: string) => workflowUrl(config, `msg-${taskId}`),
    run: (workflowId: string, runId?: string | null) => workflowUrl(config, workflowId, runId ?? undefined),
  };
}

export type TemporalLinks = ReturnType<typeof createTemporalLinks>;
