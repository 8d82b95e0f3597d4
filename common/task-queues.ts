/**
 * Task queues crawlflow's workers poll. Each one is served by its own worker process
 * (`crawlflow worker --queue <name>`), so slow CPU work never starves network I/O.
 *
 * This module is imported by workflows: keep it free of Node built-ins.
 */
export const QueueKind = {
  /** Workflow tasks: the deterministic decisions. */
  Workflows: 'workflows',
  /** Network I/O activities: fetch pages, publish to Kafka, write MongoDB, send mail. */
  Io: 'io',
  /** CPU-heavy activities: tagging. */
  Cpu: 'cpu',
  /** Untrusted generator scripts, run in a sandbox. */
  Sandbox: 'sandbox',
} as const;
export type QueueKind = (typeof QueueKind)[keyof typeof QueueKind];

export const ALL_QUEUE_KINDS: readonly QueueKind[] = Object.values(QueueKind);

export function isQueueKind(value: string): value is QueueKind {
  return (ALL_QUEUE_KINDS as readonly string[]).includes(value);
}

/** Task queue names per kind, derived from one prefix so several deployments can share a namespace. */
export type TaskQueueNames = Readonly<Record<QueueKind, string>>;

export function taskQueueNames(prefix: string): TaskQueueNames {
  return {
    workflows: `${prefix}-workflows`,
    io: `${prefix}-io`,
    cpu: `${prefix}-cpu`,
    sandbox: `${prefix}-sandbox`,
  };
}
