import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../infra/config/config';
import type { PayloadPruneInput } from '../workflows/payload-prune';

/** The payload-prune schedule of a deployment (TASK_QUEUE_PREFIX), e.g. `crawlflow-payload-prune`. */
export function payloadPruneScheduleId(prefix: string): string {
  return `${prefix}-payload-prune`;
}

/**
 * Creates (or updates to the configured retention) the schedule that deletes claim-check
 * payloads unused for PAYLOAD_RETENTION_DAYS, once a day. A Temporal Schedule rather than a
 * timer in some process: one prune per deployment however many workers run, retried through
 * MongoDB outages, visible and triggerable in the Web UI and with `temporal schedule trigger`.
 */
export async function ensurePayloadPruneSchedule(client: Client, config: Config): Promise<void> {
  const scheduleId = payloadPruneScheduleId(config.temporal.prefix);
  const input: PayloadPruneInput = { ioTaskQueue: config.temporal.taskQueues.io, retentionDays: config.payloads.retentionDays };
  const options = {
    scheduleId,
    spec: { intervals: [{ every: '24h' }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'payloadPruneWorkflow',
      workflowId: scheduleId,
      taskQueue: config.temporal.taskQueues.workflows,
      args: [input],
      workflowExecutionTimeout: '12h',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1h' },
    state: { note: `Deletes claim-check payloads unused for ${config.payloads.retentionDays} days (PAYLOAD_RETENTION_DAYS).` },
  } satisfies ScheduleOptions;
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies, state: { ...previous.state, note: options.state.note } }));
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    await client.schedule.create(options);
  }
}
