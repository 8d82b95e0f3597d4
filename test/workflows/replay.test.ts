import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../../infra/logging/logger';
import { installTemporalRuntime } from '../../infra/temporal/runtime';
import { workflowBundle } from './harness';
import { historyFromProtoJson } from './history-json';

/**
 * Determinism guard: the recorded histories in test/fixtures/histories (one per branch, made by
 * test/workflows/record-histories.ts from an earlier version of the workflows) must replay on
 * today's workflow code. A change that schedules other commands for the same history — a step
 * added, removed or reordered without `patched()` — fails here instead of failing the runs that
 * are in flight on the day it is deployed. Needs no server.
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'histories');
const WORKFLOW_TYPE_BY_PREFIX: Record<string, string> = { message: 'messageWorkflow', 'generator-run': 'generatorRunWorkflow' };

describe('recorded workflow histories replay on the current workflow code', () => {
  before(() => installTemporalRuntime(createLogger({ level: 'error', format: 'json' })));
  const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.json')).sort();

  it('has a recorded history of each workflow that carries work', () => {
    const prefixes = new Set(files.map((name) => Object.keys(WORKFLOW_TYPE_BY_PREFIX).find((prefix) => name.startsWith(`${prefix}-`))));
    assert.deepEqual([...prefixes].sort(), Object.keys(WORKFLOW_TYPE_BY_PREFIX).sort());
  });

  for (const file of files) {
    it(`replays ${basename(file, '.json')}`, async () => {
      const history = historyFromProtoJson(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const prefix = Object.keys(WORKFLOW_TYPE_BY_PREFIX).find((candidate) => file.startsWith(`${candidate}-`));
      assert.equal(started?.workflowType?.name, prefix && WORKFLOW_TYPE_BY_PREFIX[prefix], 'the file name says which workflow it holds');
      // Throws DeterminismViolationError (or the workflow's own error) when today's code diverges.
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, basename(file, '.json'));
    });
  }
});
