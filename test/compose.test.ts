import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseQueues } from '../cli/commands/worker';
import { buildProgram } from '../cli/main';
import { ENV_VARIABLE_NAMES } from '../domain/config/env-schema';

// Docker cannot run on our machines; this keeps docker-compose.yml honest against the code.
interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync(resolve(__dirname, '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const crawlflowServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

describe('docker-compose.yml', () => {
  it('runs the infrastructure crawlflow needs and its processes', () => {
    for (const name of ['temporal', 'temporal-ui', 'postgresql', 'kafka', 'mongodb', 'maildev']) {
      assert.ok(compose.services[name], `service ${name}`);
    }
    const commands = crawlflowServices.map(([, service]) => service.command?.join(' '));
    for (const queue of ['workflows', 'io', 'cpu', 'sandbox']) {
      assert.ok(commands.includes(`worker --queue ${queue}`), `a worker for the ${queue} queue`);
    }
  });

  it("every crawlflow service's command exists in the CLI", () => {
    const program = buildProgram();
    for (const [name, service] of crawlflowServices) {
      const [command, ...args] = service.command ?? [];
      const subcommand = program.commands.find((candidate) => candidate.name() === command);
      assert.ok(subcommand, `${name}: \`crawlflow ${command}\` is a CLI command`);
      for (const arg of args.filter((value) => value.startsWith('--'))) {
        assert.ok(
          subcommand.options.some((option) => option.long === arg),
          `${name}: \`crawlflow ${command}\` has the option ${arg}`,
        );
      }
      if (command === 'worker') {
        assert.doesNotThrow(() => parseQueues(args[args.indexOf('--queue') + 1] ?? ''), `${name}: a known queue`);
      }
    }
  });

  it('every environment variable given to crawlflow is one the configuration knows', () => {
    const known = new Set<string>(ENV_VARIABLE_NAMES);
    for (const [name, service] of crawlflowServices) {
      const unknown = Object.keys(service.environment ?? {}).filter((variable) => !known.has(variable));
      assert.deepEqual(unknown, [], `${name} sets unknown variables`);
    }
  });
});
