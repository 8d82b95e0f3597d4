import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** Running `crawlflow …` as a child process the way an operator or a supervisor does. */

const bin = resolve(__dirname, '..', '..', 'bin', 'crawlflow.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process outlived the bound and was killed. */
  timedOut: boolean;
  output: string;
}

/**
 * Runs a crawlflow command and waits for it to exit by itself within `boundMs` (the bound the
 * test is about: beyond it the process would idle as a silent outage); kills it otherwise.
 */
export function runUntilExit(
  args: string[],
  env: Record<string, string>,
  boundMs: number,
  /** Sees the output so far after each chunk, with the child to signal. */
  onOutput?: (output: string, child: ChildProcess) => void,
): Promise<Exit> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput?.(output, child);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const bound = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.once('exit', (code, signal) => {
      clearTimeout(bound);
      resolvePromise({ code, signal, timedOut, output });
    });
  });
}

export function describeExit(exit: Exit): string {
  return `exit ${exit.code} signal ${exit.signal}${exit.timedOut ? ' (killed at the bound)' : ''}; output:\n${exit.output.slice(-3000)}`;
}


/** The JSON log lines in a process's output (other lines skipped). */
export function logLines(output: string): Array<{ level: number; msg: string; [key: string]: unknown }> {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as { level: number; msg: string }];
    } catch {
      return [];
    }
  });
}
