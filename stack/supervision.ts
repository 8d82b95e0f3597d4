import { setTimeout as sleep } from 'node:timers/promises';
import { message } from '../infra/i18n/i18n';
import { AlertKind, type NewAlert } from '../store/alert-repository';
import type { Logger } from '../infra/logging/logger';
import type { ServiceSupervisionRecord, SupervisionStateStore } from './supervision-state';

/** One stack service as the supervisor sees it: is it running, and how to start it again. */
export interface SupervisedService {
  name: string;
  /** The service's process is alive (its pid file names a live process running its command). */
  isRunning(): boolean;
  /** Starts it again and resolves once it answers; rejects when it did not come up. */
  restart(): Promise<void>;
  /**
   * Does the running service still do its work? A process can be alive and useless: the
   * Temporal dev server's SQLite driver, once interrupted, can fail every query until the
   * process restarts (docs/operations.md). @default not probed: alive counts as working
   */
  isResponsive?(): Promise<boolean>;
  /** Kills the process (SIGKILL), so a service that stopped answering can be started again. */
  kill?(): void;
  /** Where it logs, for the messages a person reads. @default none */
  logFile?: string;
}

/** What the supervisor reports when it stops restarting a service. */
export interface GiveUpReport {
  service: string;
  /** Deaths inside the window, oldest first. */
  deaths: Date[];
  windowMs: number;
  logFile?: string;
}

export interface ServiceSupervisorOptions {
  services: readonly SupervisedService[];
  logger: Logger;
  /** Where each service's state is kept for `crawlflow status`. */
  state: SupervisionStateStore;
  /** Called once when a service is given up on (raise an alert). Its failure is logged only. */
  onGiveUp?: (report: GiveUpReport) => Promise<void>;
  /** How often each service's process is checked. @default 2_000 */
  checkIntervalMs?: number;
  /** Wait before the first restart after a death; doubles with each further death in the window. @default 1_000 */
  initialBackoffMs?: number;
  /** Longest wait before a restart. @default 60_000 */
  maxBackoffMs?: number;
  /** This many deaths inside `windowMs` and the service is no longer restarted. @default 5 */
  maxDeaths?: number;
  /** @default 600_000 (10 minutes) */
  windowMs?: number;
  /** How often a running service's `isResponsive` probe runs. @default 10_000 */
  probeIntervalMs?: number;
  /** A service whose probe has failed for this long is killed and counts as a death. @default 60_000 */
  unresponsiveAfterMs?: number;
}

export interface ServiceSupervisor {
  /** Stops watching and cancels pending restarts (a restart under way finishes); safe to call twice. */
  stop(): Promise<void>;
}

type Phase = 'running' | 'restarting' | 'given-up';

/**
 * Keeps the local stack's services running while `crawlflow up` runs: a service whose process
 * dies is noticed within `checkIntervalMs`, logged, and started again after a back-off that
 * grows with each death; one that dies `maxDeaths` times within `windowMs` is given up on —
 * logged, written to the state `crawlflow status` reads, and alerted — rather than restarted
 * in a tight loop. When a given-up service runs again (an operator started it), it is
 * supervised again.
 */
export function superviseServices(options: ServiceSupervisorOptions): ServiceSupervisor {
  const { logger, state } = options;
  const checkIntervalMs = options.checkIntervalMs ?? 2_000;
  const initialBackoffMs = options.initialBackoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const maxDeaths = options.maxDeaths ?? 5;
  const windowMs = options.windowMs ?? 600_000;
  const probeIntervalMs = options.probeIntervalMs ?? 10_000;
  const unresponsiveAfterMs = options.unresponsiveAfterMs ?? 60_000;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const restarts = new Set<Promise<void>>();

  const later = (ms: number, then: () => void) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) then();
    }, ms);
    timers.add(timer);
  };

  const record = (service: SupervisedService, phase: Phase, deaths: number[], extra: Partial<ServiceSupervisionRecord> = {}) => {
    try {
      state.write(service.name, {
        state: phase,
        deaths: deaths.map((at) => new Date(at).toISOString()),
        updatedAt: new Date().toISOString(),
        supervisorPid: process.pid,
        ...(service.logFile ? { logFile: service.logFile } : {}),
        ...extra,
      });
    } catch (error) {
      logger.warn({ err: error, service: service.name }, 'could not write the stack supervision state');
    }
  };

  const watch = (service: SupervisedService) => {
    let phase: Phase = 'running';
    let deaths: number[] = [];
    /** Since when the running service's probe has failed without a break. */
    let unresponsiveSince: number | undefined;

    const died = (detail: Record<string, unknown>, what = 'died') => {
      const now = Date.now();
      deaths = [...deaths.filter((at) => now - at < windowMs), now];
      if (deaths.length >= maxDeaths) {
        phase = 'given-up';
        const report: GiveUpReport = { service: service.name, deaths: deaths.map((at) => new Date(at)), windowMs, ...(service.logFile ? { logFile: service.logFile } : {}) };
        logger.error(
          { service: service.name, deaths: deaths.length, windowSeconds: Math.round(windowMs / 1000), logFile: service.logFile, ...detail },
          `${service.name} keeps dying (${deaths.length} times in ${Math.round(windowMs / 60_000)} min); no longer restarting it — see its log, then npm run stack -- up ${service.name}`,
        );
        record(service, phase, deaths, { givenUpAt: new Date(now).toISOString() });
        void options.onGiveUp?.(report).catch((error: unknown) => logger.warn({ err: error, service: service.name }, 'could not raise the alert for a stack service'));
        later(checkIntervalMs, check);
        return;
      }
      phase = 'restarting';
      const delayMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (deaths.length - 1));
      logger.error({ service: service.name, restartInMs: delayMs, deathsInWindow: deaths.length, logFile: service.logFile, ...detail }, `${service.name} ${what}; restarting it`);
      record(service, phase, deaths);
      later(delayMs, restart);
    };

    const restart = () => {
      const attempt = service.restart().then(
        () => {
          phase = 'running';
          unresponsiveSince = undefined;
          logger.info({ service: service.name, deathsInWindow: deaths.length }, `${service.name} restarted`);
          record(service, phase, deaths);
          later(checkIntervalMs, check);
        },
        (error: unknown) => died({ restartError: error instanceof Error ? error.message.split('\n')[0] : String(error) }),
      );
      restarts.add(attempt);
      void attempt.finally(() => restarts.delete(attempt));
    };

    const check = () => {
      // The probe found it wedged and a restart is under way; the restart resumes the checks.
      if (phase === 'restarting') return;
      const running = service.isRunning();
      if (phase === 'given-up') {
        if (running) {
          phase = 'running';
          deaths = [];
          logger.info({ service: service.name }, `${service.name} runs again; supervising it again`);
          state.clear(service.name);
        }
        later(checkIntervalMs, check);
        return;
      }
      if (running) later(checkIntervalMs, check);
      else died({});
    };

    // Alive is not enough: probe what the service does, and replace one that stopped doing it.
    const probe = async (isResponsive: () => Promise<boolean>) => {
      const next = () => later(probeIntervalMs, () => void probe(isResponsive));
      if (phase !== 'running' || !service.isRunning()) return next();
      // A probe that hangs is an answer too: no answer within one interval counts as none.
      const responsive = await Promise.race([isResponsive().catch(() => false), sleep(probeIntervalMs, false, { ref: false })]);
      if (stopped || phase !== 'running') return next();
      const now = Date.now();
      if (responsive) {
        if (unresponsiveSince !== undefined) logger.info({ service: service.name }, `${service.name} answers again`);
        unresponsiveSince = undefined;
      } else if (unresponsiveSince === undefined) {
        unresponsiveSince = now;
        logger.warn(
          { service: service.name, killAfterSeconds: Math.round(unresponsiveAfterMs / 1000), logFile: service.logFile },
          `${service.name} runs but does not answer its probe; it is restarted if it still does not in ${Math.round(unresponsiveAfterMs / 1000)} s`,
        );
      } else if (now - unresponsiveSince >= unresponsiveAfterMs) {
        const silentForSeconds = Math.round((now - unresponsiveSince) / 1000);
        unresponsiveSince = undefined;
        service.kill?.();
        died({ unresponsiveForSeconds: silentForSeconds }, `did not answer its probe for ${silentForSeconds} s; killed it`);
      }
      next();
    };

    later(checkIntervalMs, check);
    const { isResponsive } = service;
    if (isResponsive) later(probeIntervalMs, () => void probe(isResponsive.bind(service)));
  };

  for (const service of options.services) watch(service);
  if (options.services.length > 0) {
    logger.info({ services: options.services.map((service) => service.name) }, 'supervising the stack services; one that dies is restarted');
  }

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      stopping ??= Promise.allSettled([...restarts]).then(() => undefined);
      return stopping;
    },
  };
}

/** The alert for a service the supervisor gave up on: what, how often, where to look, what to type. */
export function giveUpAlert(report: GiveUpReport): NewAlert {
  return {
    kind: AlertKind.ServiceDown,
    summary: `stack service ${report.service} kept dying (${report.deaths.length} times in ${Math.round(report.windowMs / 60_000)} min); crawlflow up stopped restarting it`,
    summaryMessage: message('mail.alert.service_down', { service: report.service, deaths: String(report.deaths.length), minutes: String(Math.round(report.windowMs / 60_000)) }),
    detail: {
      service: report.service,
      deaths: report.deaths.map((at) => at.toISOString()),
      ...(report.logFile ? { logFile: report.logFile } : {}),
      restart: `npm run stack -- up ${report.service}`,
    },
  };
}
