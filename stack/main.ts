import { Command } from 'commander';
import { say, stack } from './stack';

/** `npm run stack -- up|down|status|logs|install [services…]`, `npm run stack -- pid <service>` */

const program = new Command('stack')
  .description('The local stack of real services crawlflow runs on (Temporal, Kafka, MongoDB wire protocol, SMTP)')
  .showHelpAfterError();
program
  .command('up [services...]')
  .description('install what is missing, start what is not running, wait until each answers')
  .action((names: string[]) => stack.up(stack.select(names)));
program
  .command('down [services...]')
  .description('stop the services this script started')
  .action((names: string[]) => stack.down(stack.select(names)));
program
  .command('status [services...]')
  .description('print each service, its state, pid and address; exit 1 when any is down')
  .action(async (names: string[]) => {
    if (!(await stack.status(stack.select(names)))) process.exitCode = 1;
  });
program
  .command('logs [services...]')
  .description('show where each service logs')
  .action((names: string[]) => stack.logs(stack.select(names)));
program
  .command('pid <service>')
  .description('print the pid of a service the stack started, alone on stdout (kill $(npm run --silent stack -- pid kafka)); exit 1 when it is not running')
  .action((name: string) => {
    const [service] = stack.select([name]);
    if (!service || !stack.pid(service)) process.exitCode = 1;
  });
program
  .command('install [services...]')
  .description('install what is missing without starting anything')
  .action((names: string[]) => stack.install(stack.select(names)));

export function main(argv: string[] = process.argv): Promise<void> {
  return program.parseAsync(argv).then(
    () => undefined,
    (error: Error) => {
      say(`error: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
