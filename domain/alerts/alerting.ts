import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../../infra/config/config';
import type { Logger } from '../../infra/logging/logger';
import { createAlertRepository, type AlertRepository, type NewAlert } from '../../store/alert-repository';
import { digestTrigger } from './digest-trigger';

export interface AlertingDeps {
  alerts: Pick<AlertRepository, 'record' | 'claimImmediateDigest'>;
  /** Runs the digest now (triggers the alert-digest schedule). */
  triggerDigest: () => Promise<void>;
  /** The digest interval: at most one immediate digest per window. */
  windowMs: number;
  logger: Logger;
}

/**
 * Raising an alert: record it durably, and when it is the first after a quiet period, mail
 * the digest now rather than at the next tick. A failed trigger only delays the mail.
 */
export function createAlerting(deps: AlertingDeps) {
  return {
    async raise(alert: NewAlert): Promise<string> {
      const id = await deps.alerts.record(alert);
      try {
        if (await deps.alerts.claimImmediateDigest(deps.windowMs)) await deps.triggerDigest();
      } catch (error) {
        deps.logger.warn({ err: error, alertId: id.toHexString() }, 'could not trigger an immediate alert digest; the schedule will mail it');
      }
      return id.toHexString();
    },
  };
}

export type Alerting = ReturnType<typeof createAlerting>;

/**
 * The alerting of one deployment: alerts in its database, immediate digests through its
 * alert-digest schedule (`<TASK_QUEUE_PREFIX>-alert-digest`).
 */
export function createDeploymentAlerting(deps: { db: Db; temporal: Client; config: Config; logger: Logger }): Alerting {
  return createAlerting({
    alerts: createAlertRepository(deps.db),
    triggerDigest: digestTrigger(deps.temporal, deps.config.temporal.prefix),
    windowMs: deps.config.alerts.digestIntervalSeconds * 1000,
    logger: deps.logger,
  });
}
