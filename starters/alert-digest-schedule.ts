import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { alertDigestScheduleId } from '../domain/alerts/digest-trigger';
import type { Config } from '../infra/config/config';

/**
 * Creates (or updates to the configured interval) the schedule that mails pending alerts as
 * one digest. A digest still running when the next tick comes is not doubled.
 */
export async function ensureAlertDigestSchedule(client: Client, config: Config): Promise<void> {
  const scheduleId = alertDigestScheduleId(config.temporal.prefix);
  const options = {
    scheduleId,
    spec: { intervals: [{ every: `${config.alerts.digestIntervalSeconds}s` }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'alertDigestWorkflow',
      workflowId: scheduleId,
      taskQueue: config.temporal.taskQueues.workflows,
      args: [{ ioTaskQueue: config.temporal.taskQueues.io }],
      workflowExecutionTimeout: '30m',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5m' },
    state: { note: 'Mails pending crawlflow alerts as one digest (ALERT_DIGEST_INTERVAL_SECONDS).' },
  } satisfies ScheduleOptions;
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies }));
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    await client.schedule.create(options);
  }
}
