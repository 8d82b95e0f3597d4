import type { Admin } from 'kafkajs';
import type { Db } from 'mongodb';
import type { Transporter } from 'nodemailer';
import { withTimeout } from './timeout';

/**
 * Readiness: does this process's dependency answer right now? Each check makes one cheap
 * round trip through the client the process already holds (so a broken connection shows),
 * and `runReadinessChecks` bounds it in time, so a dead service reads as "down", not a hang.
 */
export interface ReadinessCheck {
  /** Short name shown to operators: `temporal`, `kafka`, `mongodb`, `smtp`. */
  name: string;
  /**
   * Which of the process's clients the check goes through, when it is one that does the work
   * (the io worker's `producer (<topic>)`) rather than a client of the check's own.
   */
  client?: string;
  /** Resolves when the dependency answered; rejects (or times out) when it did not. */
  check(): Promise<unknown>;
}

export interface ReadinessResult {
  name: string;
  client?: string;
  ok: boolean;
  /** Why the check failed, one line (no stack). */
  error?: string;
  /** How long the check took, in milliseconds. */
  ms: number;
}

/** What `/readyz` waits for one dependency before calling it down. */
export const DEFAULT_CHECK_TIMEOUT_MS = 3_000;

/** Runs every check at once, each bounded by `timeoutMs`. Never throws. */
export function runReadinessChecks(checks: readonly ReadinessCheck[], timeoutMs = DEFAULT_CHECK_TIMEOUT_MS): Promise<ReadinessResult[]> {
  return Promise.all(checks.map((check) => runOne(check, timeoutMs)));
}

async function runOne(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessResult> {
  const started = performance.now();
  const named = { name: check.name, ...(check.client ? { client: check.client } : {}) };
  try {
    await withTimeout(check.check(), timeoutMs);
    return { ...named, ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ...named, ok: false, error: errorLine(error), ms: Math.round(performance.now() - started) };
  }
}

/**
 * One check per service: checks of the same name (the MongoDB clients of several workers in
 * one process) become one that passes when all of them pass, so `/readyz` and the dependency
 * watch see each service once.
 */
export function mergeChecksByName(checks: readonly ReadinessCheck[]): ReadinessCheck[] {
  const byName = new Map<string, ReadinessCheck[]>();
  for (const check of checks) byName.set(check.name, [...(byName.get(check.name) ?? []), check]);
  return [...byName.entries()].map(([name, group]) => {
    if (group.length === 1) return group[0] as ReadinessCheck;
    const clients = [...new Set(group.flatMap((check) => (check.client ? [check.client] : [])))];
    return { name, ...(clients.length > 0 ? { client: clients.join(', ') } : {}), check: () => Promise.all(group.map((check) => check.check())) };
  });
}

/** The first line of an error's message: what an operator reads, without the stack. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() || 'failed';
}

/** Temporal answers through this connection (client `Connection` or worker `NativeConnection`). */
export function temporalReadiness(connection: { workflowService: { getSystemInfo(request: object): Promise<unknown> } }): ReadinessCheck {
  return { name: 'temporal', check: () => connection.workflowService.getSystemInfo({}) };
}

/** MongoDB answers a ping on this database's client. */
export function mongoReadiness(db: Db): ReadinessCheck {
  return { name: 'mongodb', check: () => db.command({ ping: 1 }) };
}

/**
 * A Kafka broker answers a metadata request. Pass an admin of a client made with
 * `createKafka(…, { retry: { retries: 0 } })` so a down broker fails fast instead of retrying.
 */
export function kafkaReadiness(admin: Admin): ReadinessCheck {
  return {
    name: 'kafka',
    async check() {
      await admin.connect(); // a no-op when connected; reconnects after an outage
      return admin.describeCluster();
    },
  };
}

/** The SMTP relay greets us and accepts our credentials (nodemailer's `verify`). */
export function smtpReadiness(mailer: Pick<Transporter, 'verify'>): ReadinessCheck {
  return { name: 'smtp', check: () => mailer.verify() };
}
