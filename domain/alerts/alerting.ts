import type { Logger } from '../logging/logger';
import type { AlertRepository, NewAlert } from './alert-repository';

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
