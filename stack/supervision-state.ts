import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackPaths } from './paths';

/** What the service supervisor of `crawlflow up` last knew about one stack service. */
export interface ServiceSupervisionRecord {
  state: 'running' | 'restarting' | 'given-up';
  /** Deaths inside the supervisor's window, ISO times, oldest first. */
  deaths: string[];
  updatedAt: string;
  /** When the supervisor stopped restarting it. */
  givenUpAt?: string;
  /** The `crawlflow up` process that supervises it. */
  supervisorPid: number;
  logFile?: string;
}

export interface SupervisionStateStore {
  read(): Record<string, ServiceSupervisionRecord>;
  write(service: string, record: ServiceSupervisionRecord): void;
  clear(service: string): void;
}

/** The state file (`<stack home>/run/supervision.json`) that `crawlflow status` reads. */
export function supervisionStateFile(paths: StackPaths): string {
  return join(paths.run, 'supervision.json');
}

/**
 * The supervisor's state, one small JSON file beside the pid files: `crawlflow up` writes it,
 * `crawlflow status` reads it (another process), and `npm run stack -- up <service>` clears a
 * service it starts. Written whole through a rename, so a reader never sees half a file.
 */
export function createSupervisionState(paths: StackPaths): SupervisionStateStore {
  const file = supervisionStateFile(paths);
  const read = (): Record<string, ServiceSupervisionRecord> => {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { services?: Record<string, ServiceSupervisionRecord> };
      return parsed.services ?? {};
    } catch {
      return {};
    }
  };
  const save = (services: Record<string, ServiceSupervisionRecord>) => {
    mkdirSync(paths.run, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, `${JSON.stringify({ services }, null, 2)}\n`);
    renameSync(partial, file);
  };
  return {
    read,
    write(service, record) {
      save({ ...read(), [service]: record });
    },
    clear(service) {
      const services = read();
      if (!(service in services)) return;
      delete services[service];
      save(services);
    },
  };
}
