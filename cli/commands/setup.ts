import type { Command } from 'commander';
import { setupInfrastructure } from '../setup';
import { runProcessCommand } from '../process-command';

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('create the Kafka topics and MongoDB indexes crawlflow needs (idempotent)')
    .action(() =>
      // A one-shot job under the same lifecycle: bounded by PROCESS_START_TIMEOUT_SECONDS, exit 1 when it fails.
      runProcessCommand('setup', async ({ config, logger }) => {
        await setupInfrastructure(config, logger);
        return { done: Promise.resolve() };
      }),
    );
}
