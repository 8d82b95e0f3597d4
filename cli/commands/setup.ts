import type { Command } from 'commander';
import { setupInfrastructure } from '../../starters/setup';
import { loadCliContext } from '../context';

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('create the Kafka topics and MongoDB indexes crawlflow needs (idempotent)')
    .action(async () => {
      const { config, logger } = loadCliContext('setup');
      await setupInfrastructure(config, logger);
    });
}
