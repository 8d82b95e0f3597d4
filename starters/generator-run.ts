import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../infra/config/config';
import { priorityKeyOf } from '../domain/generators/priority';
import { generatorRunInput, generatorRunSearchAttributes, generatorScheduleId } from '../domain/generators/schedule';
import type { Logger } from '../infra/logging/logger';
import { LogSource } from '../store/ingest-logs';
import type { Store } from '../store/store';
import { parseGeneratorId } from './generator-schedules';

export interface StartGeneratorRunDeps {
  client: Client;
  config: Config;
  store: Pick<Store, 'generators' | 'logs'>;
  logger: Logger;
}

export type StartGeneratorRunResult =
  | { ok: true; workflowId: string; runId: string; generatorName: string; priorityKey: number }
  | { ok: false; kind: 'unknown_generator' | 'start_failed'; message: string };

/**
 * Runs one generator now — the seed's dispatch_uri. Like the seed: an id with no generator is
 * written to the error log, and a start Temporal refuses (the seed's failed enqueue) to the
 * failure log; either way the caller gets a message to show. The run queues at the
 * generator's priority, like its scheduled runs.
 */
export async function startGeneratorRun(deps: StartGeneratorRunDeps, id: string, trigger = 'manual'): Promise<StartGeneratorRunResult> {
  const objectId = parseGeneratorId(id);
  const generator = objectId ? await deps.store.generators.get(objectId) : null;
  if (!generator) {
    const message = `no generator has the id ${JSON.stringify(id)}${objectId ? '' : ' (an id is 24 hexadecimal characters)'}`;
    await deps.store.logs.recordErrors([{ source: LogSource.Generator, input: id, reasonCode: 'unknown_generator', reason: message }]);
    return { ok: false, kind: 'unknown_generator', message: `${message}; written to the error log` };
  }
  const workflowId = `${generatorScheduleId(deps.config.temporal.prefix, generator.id.toHexString())}-${trigger}-${Date.now()}`;
  const priorityKey = priorityKeyOf(generator.priority);
  try {
    const handle = await deps.client.workflow.start('generatorRunWorkflow', {
      taskQueue: deps.config.temporal.taskQueues.workflows,
      workflowId,
      args: [generatorRunInput(deps.config, generator, trigger)],
      priority: { priorityKey },
      typedSearchAttributes: generatorRunSearchAttributes(generator),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    deps.logger.info({ generatorId: id, workflowId, priorityKey }, 'started a generator run');
    return { ok: true, workflowId, runId: handle.firstExecutionRunId, generatorName: generator.name, priorityKey };
  } catch (error) {
    const message = `could not start generator "${generator.name}" (${id}): ${(error as Error).message}`;
    await deps.store.logs.recordFailures([
      { source: LogSource.Generator, job: generator.job, generator: generator.id, input: id, reasonCode: 'start_failed', reason: message, workflowId },
    ]);
    deps.logger.error({ err: error, generatorId: id }, 'could not start a generator run');
    return { ok: false, kind: 'start_failed', message: `${message}; written to the failure log` };
  }
}
