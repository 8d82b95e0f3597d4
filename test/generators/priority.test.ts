import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { SearchAttributeKeys } from '../../common/search-attributes';
import { createGeneratorRunActivities } from '../../activities/generator-run';
import { PRIORITY_KEYS } from '../../domain/generators/priority';
import { createLogger } from '../../infra/logging/logger';
import { installTemporalRuntime } from '../../infra/temporal/runtime';
import type { GeneratorPriority } from '../../store/generators';
import { stack } from '../../stack/stack';
import { startGeneratorRun } from '../../starters/generator-run';
import { eventually } from '../../support/eventually';
import { requireStack } from '../../support/stack';
import { startGeneratorHarness, type GeneratorHarness } from '../../support/generator-harness';
import { metrics } from '../../infra/metrics/metrics';

describe('generator priority under a backlog (real Temporal, matching.useNewMatcher=true)', () => {
  let h: GeneratorHarness;
  let server: TestWorkflowEnvironment;
  before(async () => {
    await requireStack();
    await installTemporalRuntime(createLogger({ level: 'warn', format: 'json' }));
    // A dev server of this test's own (the installed binary, in memory), whose task queues have
    // one partition: priority orders each partition's backlog, and the default four partitions
    // make the order only roughly right. See docs/generators.md for the production setting.
    server = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: join(stack.paths.bin, 'temporal') },
        searchAttributes: Object.values(SearchAttributeKeys),
        extraArgs: [
          '--dynamic-config-value', 'matching.useNewMatcher=true',
          '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
          '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
        ],
      },
    });
    h = await startGeneratorHarness({ workers: false, env: { TEMPORAL_ADDRESS: server.address } });
  });
  after(async () => {
    await h?.close();
    await server?.teardown();
  });

  it('serves queued runs by priority: very high first, low last', async () => {
    // Started lowest priority first, so arrival order is the opposite of the expected order.
    const priorities: GeneratorPriority[] = ['low', 'medium', 'high', 'very high', 'low', 'medium', 'high', 'very high'];
    const generators = [];
    for (const [index, priority] of priorities.entries()) {
      generators.push(await h.createGenerator(`print("https://example.com/priority/${index}")`, { priority }));
    }
    const deps = { client: h.temporal, config: h.config, store: h.store, logger: h.logger };
    const runs = [];
    for (const generator of generators) {
      const started = await startGeneratorRun(deps, generator.id.toHexString());
      assert.ok(started.ok);
      runs.push(started.workflowId);
    }

    // Workflows decide at once, but no sandbox worker polls: every script run waits in the backlog.
    await h.startWorkers({ sandbox: false });
    for (const workflowId of runs) {
      await eventually(
        `the run ${workflowId} to queue its script`,
        async () => (await h.temporal.workflow.getHandle(workflowId).describe()).raw.pendingActivities?.length === 1,
        { timeoutMs: 60_000 },
      );
    }

    // One sandbox slot: the order in which runs finish is the order they were served in.
    const served: string[] = [];
    const activities = createGeneratorRunActivities({
      metrics,
      store: h.store,
      runState: h.runState,
      sandbox: { mode: 'bwrap', user: h.config.generators.sandboxUser },
      allowedSchemes: ['https'],
      hostname: 'priority-test',
      logger: h.logger,
    });
    const sandbox = await Worker.create({
      connection: h.connection,
      taskQueue: h.config.temporal.taskQueues.sandbox,
      activities: {
        async runGenerator(request: { generatorId: string; trigger: string }) {
          served.push(request.generatorId);
          return activities.runGenerator(request);
        },
      },
      maxConcurrentActivityTaskExecutions: 1,
    });
    await sandbox.runUntil(Promise.all(runs.map((workflowId) => h.temporal.workflow.getHandle(workflowId).result())));

    const priorityOf = new Map(generators.map((generator) => [generator.id.toHexString(), generator.priority]));
    const order = served.map((id) => PRIORITY_KEYS[priorityOf.get(id)!]);
    assert.deepEqual(order, [1, 1, 2, 2, 3, 3, 4, 4]);
  });
});
