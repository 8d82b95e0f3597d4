import type { Command } from 'commander';
import { ALL_QUEUE_KINDS, isQueueKind, type QueueKind } from '../../common/task-queues';
import { runWorkers } from '../../workers/run-workers';
import { loadCliContext, UsageError } from '../context';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run Temporal workers for one task queue, or all of them, until SIGINT/SIGTERM')
    .requiredOption('-q, --queue <name>', `task queue: ${ALL_QUEUE_KINDS.join(', ')} or all`)
    .action(async (options: { queue: string }) => {
      const queues = parseQueues(options.queue);
      const { config, logger } = loadCliContext(`worker-${options.queue}`);
      await runWorkers(config, logger, queues);
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
