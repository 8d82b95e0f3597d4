import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StackProfile } from '../infra/config/stack-profile';

/**
 * Where the local stack keeps what it installs and runs: outside the repo, so a fresh
 * clone reuses it and a second `up` takes seconds. Override with CRAWLFLOW_HOME.
 */
export function stackHome(environment: NodeJS.ProcessEnv = process.env): string {
  return environment.CRAWLFLOW_HOME?.trim() || join(homedir(), '.cache', 'crawlflow');
}

export interface StackPaths {
  profile: StackProfile;
  home: string;
  bin: string;
  src: string;
  data: string;
  logs: string;
  run: string;
}

/**
 * The dev profile's state is `<home>/{data,logs,run}`; the cluster profile's is
 * `<home>/cluster/{data,logs,run}`, so the two run side by side. Both share what is installed
 * (`bin`, `src`: the Kafka jars, the Temporal CLI, FerretDB).
 */
export function stackPaths(home = stackHome(), profile: StackProfile = 'dev'): StackPaths {
  const state = profile === 'dev' ? home : join(home, profile);
  return {
    profile,
    home,
    bin: join(home, 'bin'),
    src: join(home, 'src'),
    data: join(state, 'data'),
    logs: join(state, 'logs'),
    run: join(state, 'run'),
  };
}
