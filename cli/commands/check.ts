import type { Command } from 'commander';
import { ALL_QUEUE_KINDS, QueueKind } from '../../common/task-queues';
import { closeTemporalClient, connectTemporalClient, workflowUrl } from '../../infra/temporal/connection';
import { loadCliContext } from '../context';

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('prove every task queue has a live worker: runs the self-check workflow')
    .option('--timeout <seconds>', 'how long each queue may take to pick the probe up', '10')
    .action(async (options: { timeout: string }) => {
      const { config } = loadCliContext('check');
      const client = await connectTemporalClient(config.temporal);
      try {
        const workflowId = `self-check-${Date.now()}`;
        const queues = ALL_QUEUE_KINDS.filter((queue) => queue !== QueueKind.Workflows);
        const handle = await client.workflow.start('selfCheckWorkflow', {
          taskQueue: config.temporal.taskQueues.workflows,
          workflowId,
          args: [{ taskQueues: config.temporal.taskQueues, queues, scheduleToStartSeconds: Number(options.timeout) }],
          workflowExecutionTimeout: `${Number(options.timeout) + 30}s`,
        });
        process.stdout.write(`self-check ${workflowUrl(config.temporal, workflowId)}\n`);
        const result = (await handle.result()) as Array<{ queue: string; ok: boolean; worker?: { hostname: string; pid: number }; error?: string }>;
        process.stdout.write(`workflows  ok\n`);
        for (const row of result) {
          process.stdout.write(
            `${row.queue.padEnd(10)} ${row.ok ? `ok (${row.worker?.hostname} pid ${row.worker?.pid})` : `NO WORKER: ${row.error}`}\n`,
          );
        }
        if (result.some((row) => !row.ok)) process.exitCode = 1;
      } finally {
        await closeTemporalClient(client);
      }
    });
}
