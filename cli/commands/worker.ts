import type { Command } from 'commander';
import { ALL_QUEUE_KINDS, isQueueKind, type QueueKind } from '../../common/task-queues';
import type { ReadinessCheck } from '../../infra/metrics/readiness';
import { runWorkers, workerProcessName } from '../../workers/run-workers';
import { UsageError } from '../context';
import { runProcessCommand } from '../process-command';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run Temporal workers for one task queue, or all of them, until SIGINT/SIGTERM')
    .requiredOption('-q, --queue <name>', `task queue: ${ALL_QUEUE_KINDS.join(', ')} or all`)
    .action((options: { queue: string }) => {
      const queues = parseQueues(options.queue);
      return runProcessCommand(workerProcessName(queues), async ({ config, logger, lifecycle }) => {
        const stop = new AbortController();
        let ready!: (checks: readonly ReadinessCheck[]) => void;
        const polling = new Promise<readonly ReadinessCheck[]>((resolve) => (ready = resolve));
        // runWorkers closes its own clients in order once its workers stopped.
        const running = runWorkers(config, logger, queues, { signal: stop.signal, onReady: (info) => ready(info.checks) });
        lifecycle.onShutdown('workers', () => {
          stop.abort();
          return running.catch(() => undefined);
        });
        const checks = await Promise.race([polling, running.then(() => Promise.reject(new Error('the workers stopped before they polled')))]);
        return { done: running, dependencies: checks };
      });
    });
}

export function parseQueues(value: string): QueueKind[] {
  if (value === 'all') return [...ALL_QUEUE_KINDS];
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !isQueueKind(name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown queue ${unknown.join(', ')}: choose ${ALL_QUEUE_KINDS.join(', ')} or all`);
  }
  return names as QueueKind[];
}
