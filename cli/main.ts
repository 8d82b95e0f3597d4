import { Command } from 'commander';
import { registerBridgeCommand } from './commands/bridge';
import { registerCheckCommand } from './commands/check';
import { registerDeadLettersCommand } from './commands/dead-letters';
import { registerFeederCommand } from './commands/feeder';
import { registerGeneratorCommand } from './commands/generator';
import { registerIngestCommand } from './commands/ingest';
import { registerJobCommand } from './commands/job';
import { registerOverviewCommand } from './commands/overview';
import { registerProduceCommand } from './commands/produce';
import { registerReplayCommand } from './commands/replay';
import { registerSetupCommand } from './commands/setup';
import { registerStatusCommand } from './commands/status';
import { registerTaggerCommand } from './commands/tagger';
import { registerTaskCommand } from './commands/task';
import { registerUpCommand } from './commands/up';
import { registerWebCommand } from './commands/web';
import { registerWorkerCommand } from './commands/worker';
import { reportCommandError } from './context';

/** `crawlflow`: the entry point of every crawlflow process and command. */
export function buildProgram(): Command {
  const program = new Command('crawlflow')
    .description('crawlflow turns URIs into tagged documents, durably, on Temporal')
    .version(require('../package.json').version as string)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerUpCommand(program);
  registerSetupCommand(program);
  registerWorkerCommand(program);
  registerBridgeCommand(program);
  registerReplayCommand(program);
  registerDeadLettersCommand(program);
  registerTaskCommand(program);
  registerOverviewCommand(program);
  registerProduceCommand(program);
  registerCheckCommand(program);
  registerGeneratorCommand(program);
  registerJobCommand(program);
  registerIngestCommand(program);
  registerWebCommand(program);
  registerFeederCommand(program);
  registerStatusCommand(program);
  registerTaggerCommand(program);
  return program;
}

export function main(argv: string[] = process.argv): Promise<void> {
  return buildProgram()
    .parseAsync(argv)
    .then(() => undefined, reportCommandError);
}
