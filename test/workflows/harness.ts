import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SearchAttributeKeys } from '../../common/search-attributes';
import { createLogger } from '../../infra/logging/logger';
import { installTemporalRuntime } from '../../infra/temporal/runtime';
import { stack } from '../../stack/stack';
import { uniqueName } from '../../support/isolated-env';

/**
 * Workflow tests without the stack: a Temporal dev server of the test's own (the binary the
 * stack installed, in memory — nothing is downloaded, nothing else has to run), crawlflow's
 * real workflow code, and activities the test supplies. Every branch of a workflow can then
 * be driven by what its activities return or throw.
 */
export interface WorkflowHarness {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  /** Runs `body` while a worker with these activities polls a task queue of its own. */
  withWorker<T>(activities: object, body: (taskQueue: string) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const workflowsPath = require.resolve('../../workflows');

let bundled: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test process (bundling takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundled ??= bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  return bundled;
}

export async function startWorkflowHarness(): Promise<WorkflowHarness> {
  // Errors only: the scripted activities fail on purpose, and the SDK logs each failure as a warning.
  await installTemporalRuntime(createLogger({ level: 'error', format: 'json' }));
  const [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: join(stack.paths.bin, 'temporal') },
        searchAttributes: Object.values(SearchAttributeKeys),
      },
    }),
    workflowBundle(),
  ]);
  return {
    env,
    bundle,
    async withWorker(activities, body) {
      const taskQueue = uniqueName('wf-test');
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
      return worker.runUntil(body(taskQueue));
    },
    close: () => env.teardown(),
  };
}

// The bundler reports every module it packs at info level: keep the test output to what failed.
const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
