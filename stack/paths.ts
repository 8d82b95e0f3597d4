import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the local stack keeps what it installs and runs: outside the repo, so a fresh
 * clone reuses it and a second `up` takes seconds. Override with CRAWLFLOW_HOME.
 */
export function stackHome(environment: NodeJS.ProcessEnv = process.env): string {
  return environment.CRAWLFLOW_HOME?.trim() || join(homedir(), '.cache', 'crawlflow');
}

export interface StackPaths {
  home: string;
  bin: string;
  src: string;
  data: string;
  logs: string;
  run: string;
}

export function stackPaths(home = stackHome()): StackPaths {
  return {
    home,
    bin: join(home, 'bin'),
    src: join(home, 'src'),
    data: join(home, 'data'),
    logs: join(home, 'logs'),
    run: join(home, 'run'),
  };
}
