import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../infra/logging/logger';

export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A logger whose JSON lines (level info and up) land in `lines`, for tests that count what an operator reads. */
export function capturingLogger(component: string): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', format: 'json' }, { component }, sink), lines };
}
