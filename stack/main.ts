import { Command } from 'commander';
import { stackProfile } from '../infra/config/stack-profile';
import { createStack, say, stack as defaultStack, type Stack } from './stack';

/**
 * `npm run stack -- up|down|status|logs|install [services…] [--profile dev|cluster]`,
 * `npm run stack -- pid <service>`. The profile defaults to CRAWLFLOW_STACK_PROFILE (dev).
 */

const program = new Command('stack')
  .description('The local stack of real services crawlflow runs on (Temporal, Kafka, MongoDB wire protocol, SMTP)')
  .option(
    '--profile <profile>',
    'dev (Temporal dev server, one Kafka broker) or cluster (Temporal server on PostgreSQL, three brokers; own ports and state); default CRAWLFLOW_STACK_PROFILE, else dev',
  )
  .showHelpAfterError();

/** The stack of --profile, else of CRAWLFLOW_STACK_PROFILE. */
function selectedStack(): Stack {
  const { profile } = program.opts<{ profile?: string }>();
  return profile === undefined ? defaultStack : createStack(stackProfile({ CRAWLFLOW_STACK_PROFILE: profile }));
}
program
  .command('up [services...]')
  .description('install what is missing, start what is not running, wait until each answers')
  .action((names: string[]) => {
    const stack = selectedStack();
    return stack.up(stack.select(names));
  });
program
  .command('down [services...]')
  .description('stop the services this script started')
  .action((names: string[]) => {
    const stack = selectedStack();
    return stack.down(stack.select(names));
  });
program
  .command('status [services...]')
  .description('print each service, its state, pid and address; exit 1 when any is down')
  .action(async (names: string[]) => {
    const stack = selectedStack();
    if (!(await stack.status(stack.select(names)))) process.exitCode = 1;
  });
program
  .command('logs [services...]')
  .description('show where each service logs')
  .action((names: string[]) => {
    const stack = selectedStack();
    stack.logs(stack.select(names));
  });
program
  .command('pid <service>')
  .description('print the pid of a service the stack started, alone on stdout (kill $(npm run --silent stack -- pid kafka)); exit 1 when it is not running')
  .action((name: string) => {
    const stack = selectedStack();
    const [service] = stack.select([name]);
    if (!service || !stack.pid(service)) process.exitCode = 1;
  });
program
  .command('install [services...]')
  .description('install what is missing without starting anything')
  .action((names: string[]) => {
    const stack = selectedStack();
    return stack.install(stack.select(names));
  });

export function main(argv: string[] = process.argv): Promise<void> {
  return program.parseAsync(argv).then(
    () => undefined,
    (error: Error) => {
      say(`error: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
