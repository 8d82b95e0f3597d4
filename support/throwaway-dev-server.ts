import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { findFreePort } from '../infra/metrics/ports';
import { stackPaths } from '../stack/paths';
import { temporalDevServerArgs } from '../stack/services';

export interface ThrowawayDevServer {
  address: string;
  /** The arguments it runs with, for the benchmark's record. */
  args: string[];
  close(): Promise<void>;
}

export interface ThrowawayDevServerOptions {
  /** Dynamic-config values over the stack's (`undefined` drops one). */
  dynamicConfig?: Record<string, string | undefined>;
  /** SQLite pragmas instead of the stack's. */
  sqlitePragmas?: readonly string[];
  /** Register crawlflow's search attributes at start, as the stack does. @default true */
  searchAttributes?: boolean;
}

/**
 * A Temporal dev server of its own, beside the shared stack's, with the stack's flags except
 * the ones a benchmark or test changes: server settings are measured (and tried) without
 * restarting — and disturbing — the server everyone else uses. Its database is a fresh file, removed on close.
 */
export async function startThrowawayDevServer(options: ThrowawayDevServerOptions = {}): Promise<ThrowawayDevServer> {
  const directory = mkdtempSync(join(tmpdir(), 'crawlflow-bench-temporal-'));
  const port = await findFreePort('127.0.0.1');
  const args = temporalDevServerArgs({
    port,
    uiPort: await findFreePort('127.0.0.1'),
    dbFile: join(directory, 'temporal.sqlite'),
    ...(options.dynamicConfig ? { dynamicConfig: options.dynamicConfig } : {}),
    ...(options.sqlitePragmas ? { sqlitePragmas: options.sqlitePragmas } : {}),
    ...(options.searchAttributes === false ? { searchAttributes: false } : {}),
  });
  const child: ChildProcess = spawn(join(stackPaths().bin, 'temporal'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // Its log stays out of the benchmark's output (whose last line is its summary); the tail
  // explains an early exit.
  let logTail = '';
  child.stderr?.on('data', (chunk: Buffer) => void (logTail = (logTail + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    }
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(address, child, () => logTail);
  } catch (error) {
    await close();
    throw error;
  }
  return { address, args, close };
}

async function waitUntilServing(address: string, child: ChildProcess, logTail: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the throw-away Temporal dev server exited with ${child.exitCode}: ${logTail()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the throw-away Temporal dev server at ${address} did not answer`, { cause: error });
      await sleep(300);
    }
  }
}
