import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createDeploymentAlerting } from '../../domain/alerts/alerting';
import { profileMailWebUrl } from '../../infra/config/stack-profile';
import { stack } from '../../stack/stack';
import { giveUpAlert } from '../../stack/supervision';
import { setupInfrastructure } from '../setup';
import { runProcessCommand } from '../process-command';
import { startProcessSupervisor, type SupervisedProcess } from '../supervisor';

/** Every long-running crawlflow process, as `crawlflow up` runs them on one machine. */
export const CRAWLFLOW_PROCESSES: SupervisedProcess[] = [
  { name: 'worker-workflows', args: ['worker', '--queue', 'workflows'] },
  { name: 'worker-io', args: ['worker', '--queue', 'io'] },
  { name: 'worker-cpu', args: ['worker', '--queue', 'cpu'] },
  { name: 'worker-sandbox', args: ['worker', '--queue', 'sandbox'] },
  { name: 'bridge', args: ['bridge'] },
  { name: 'feeder', args: ['feeder'] },
  { name: 'web', args: ['web'] },
];

/** `up` waits for its children, which have PROCESS_SHUTDOWN_TIMEOUT_SECONDS each; this is its margin over theirs. */
const CHILD_STOP_MARGIN_MS = 5_000;

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description("crawlflow's main job: bring the local stack up, create topics and indexes, run every process")
    .option('--no-stack', 'do not start the local stack (services are already running elsewhere)')
    .action((options: { stack: boolean }) =>
      runProcessCommand(
        'up',
        async ({ config, logger, lifecycle, mongo, temporal }) => {
          await setupInfrastructure(config, logger);
          const profileFlag = stack.profile === 'dev' ? '' : ` --profile ${stack.profile}`;
          process.stderr.write(
            [
              '',
              `  Temporal Web UI  ${config.temporal.uiUrl}`,
              `  crawlflow web    http://${config.web.host}:${config.web.port}`,
              `  MailDev (alerts) ${profileMailWebUrl(stack.profile)}`,
              `  stack status     npm run stack -- status${profileFlag}   (the stack keeps running after Ctrl-C; npm run stack -- down${profileFlag} stops it)`,
              '',
            ].join('\n') + '\n',
          );
          const children = startProcessSupervisor(resolve(__dirname, '../../bin/crawlflow.js'), CRAWLFLOW_PROCESSES, logger, {
            stopTimeoutMs: config.process.shutdownTimeoutMs + CHILD_STOP_MARGIN_MS,
          });
          lifecycle.onShutdown('crawlflow processes', () => children.stop());
          if (options.stack) {
            // A service given up on is alerted like any failure (if MongoDB itself is the one, the log and `crawlflow status` still say it).
            const { db } = await mongo();
            const alerting = createDeploymentAlerting({ db, temporal: await temporal(), config, logger });
            const services = stack.supervise(logger, { onGiveUp: async (report) => void (await alerting.raise(giveUpAlert(report))) });
            // Registered last, so it stops first: nothing is restarted while crawlflow stops.
            lifecycle.onShutdown('stack supervision', () => services.stop());
          }
        },
        {
          // Installing the stack the first time takes minutes: not part of the bounded start.
          beforeStart: async () => {
            if (options.stack) await stack.up(stack.services);
          },
          extraShutdownMs: 2 * CHILD_STOP_MARGIN_MS,
        },
      ),
    );
}
