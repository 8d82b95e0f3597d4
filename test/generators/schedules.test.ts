import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { ObjectId } from 'mongodb';
import { generatorScheduleId } from '../../domain/generators/schedule';
import { Collection } from '../../store/collections';
import { GeneratorStatus } from '../../store/generators';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { stack } from '../../stack/stack';
import { startGeneratorRun, type StartGeneratorRunDeps } from '../../starters/generator-run';
import { describeGeneratorSchedule, syncAllGeneratorSchedules, syncGeneratorSchedule, type GeneratorScheduleDeps } from '../../starters/generator-schedules';
import { eventually } from '../../support/eventually';
import { requireStack } from '../../support/stack';
import { startGeneratorHarness, type GeneratorHarness } from '../../support/generator-harness';

const run = promisify(execFile);

describe('generator schedules (real Temporal Schedules, the real `temporal` CLI)', () => {
  let h: GeneratorHarness;
  let deps: GeneratorScheduleDeps & StartGeneratorRunDeps;
  // Operators' commands, exactly as the README gives them.
  const temporalCli = (...args: string[]) => run(join(stack.paths.bin, 'temporal'), [...args, '--address', h.config.temporal.address]);
  const describeSchedule = (id: ObjectId) => describeGeneratorSchedule(h.temporal, h.config.temporal.prefix, id.toHexString());

  before(async () => {
    await requireStack();
    h = await startGeneratorHarness();
    deps = { client: h.temporal, config: h.config, store: h.store, logger: h.logger };
  });
  after(async () => {
    // Leave no schedule behind: delete every generator, then let the sync remove their schedules.
    await h.mongo.db.collection(Collection.CrawlerTaskGenerator).deleteMany({});
    await syncAllGeneratorSchedules(deps);
    await h.close();
  });

  it('gives an active generator with a cron one schedule: its cron, priority key, overlap policy, catch-up window and note', async () => {
    const generator = await h.createGenerator('print("https://example.com/s")', { cron: '0 3 1 1 *', priority: 'very high' });
    const result = await syncGeneratorSchedule(deps, generator.id);
    assert.deepEqual([result.action, result.paused, result.scheduleId], ['created', false, `${h.config.temporal.prefix}-generator-${generator.id.toHexString()}`]);

    const schedule = await describeSchedule(generator.id);
    assert.ok(schedule);
    assert.equal(schedule.action.type, 'startWorkflow');
    assert.equal(schedule.action.type === 'startWorkflow' && schedule.action.workflowType, 'generatorRunWorkflow');
    assert.equal(schedule.action.type === 'startWorkflow' && schedule.action.priority?.priorityKey, 1);
    assert.equal(schedule.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(schedule.policies.catchupWindow, 600_000);
    assert.match(schedule.state.note ?? '', /^crawlflow: generator ".*" \(.*\) of job ".*": cron "0 3 1 1 \*" UTC, priority very high$/);
    const next = schedule.info.nextActionTimes[0];
    assert.ok(next && next.getUTCMonth() === 0 && next.getUTCDate() === 1 && next.getUTCHours() === 3 && next.getUTCMinutes() === 0);

    const again = await syncGeneratorSchedule(deps, generator.id);
    assert.equal(again.action, 'unchanged', 'a second sync changes nothing');
  });

  it('follows edits of cron and priority, pauses while the generator is off, and deletes with the generator', async () => {
    const generator = await h.createGenerator('print("https://example.com/e")', { cron: '0 4 1 1 *' });
    await syncGeneratorSchedule(deps, generator.id);

    await h.store.generators.update(generator.id, { cron: '30 5 2 2 *', priority: 'low' });
    assert.equal((await syncGeneratorSchedule(deps, generator.id)).action, 'updated');
    let schedule = await describeSchedule(generator.id);
    assert.equal(schedule?.action.type === 'startWorkflow' && schedule.action.priority?.priorityKey, 4);
    assert.equal(schedule?.info.nextActionTimes[0]?.getUTCHours(), 5);
    assert.match(schedule?.state.note ?? '', /cron "30 5 2 2 \*" UTC, priority low/);

    await h.store.generators.update(generator.id, { status: GeneratorStatus.Off });
    const paused = await syncGeneratorSchedule(deps, generator.id);
    assert.deepEqual([paused.action, paused.paused], ['updated', true]);
    schedule = await describeSchedule(generator.id);
    assert.equal(schedule?.state.paused, true);
    assert.match(schedule?.state.note ?? '', /^crawlflow: paused because generator status is off/);

    await h.store.generators.update(generator.id, { status: GeneratorStatus.Production });
    assert.equal((await syncGeneratorSchedule(deps, generator.id)).paused, false);
    assert.equal((await describeSchedule(generator.id))?.state.paused, false);

    await h.store.generators.update(generator.id, { cron: null });
    assert.equal((await syncGeneratorSchedule(deps, generator.id)).action, 'deleted', 'no cron: runs only by hand');
    assert.equal(await describeSchedule(generator.id), null);
  });

  it("respects an operator's pause, repairs a schedule deleted by hand, removes orphans", async () => {
    const generator = await h.createGenerator('print("https://example.com/o")', { cron: '0 6 1 1 *' });
    await syncGeneratorSchedule(deps, generator.id);
    const scheduleId = generatorScheduleId(h.config.temporal.prefix, generator.id.toHexString());

    await temporalCli('schedule', 'toggle', '--schedule-id', scheduleId, '--pause', '--reason', 'maintenance window');
    const kept = await syncGeneratorSchedule(deps, generator.id);
    assert.deepEqual([kept.paused, kept.pausedByOperator], [true, 'maintenance window']);
    assert.equal((await describeSchedule(generator.id))?.state.paused, true, 'crawlflow never unpauses what an operator paused');
    await temporalCli('schedule', 'toggle', '--schedule-id', scheduleId, '--unpause', '--reason', 'done');
    assert.equal((await syncGeneratorSchedule(deps, generator.id)).paused, false);

    await temporalCli('schedule', 'delete', '--schedule-id', scheduleId);
    const orphan = new ObjectId();
    await h.temporal.schedule.create({
      scheduleId: generatorScheduleId(h.config.temporal.prefix, orphan.toHexString()),
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: { type: 'startWorkflow', workflowType: 'generatorRunWorkflow', taskQueue: h.config.temporal.taskQueues.workflows, args: [] },
    });
    const results = await syncAllGeneratorSchedules(deps);
    const byGenerator = new Map(results.map((result) => [result.generatorId, result.action]));
    assert.equal(byGenerator.get(generator.id.toHexString()), 'created');
    assert.equal(byGenerator.get(orphan.toHexString()), 'deleted');
    assert.ok(await describeSchedule(generator.id));
    assert.equal(await describeSchedule(orphan), null);
  });

  it('an operator trigger runs the generator at once, logged like any scheduled run', async () => {
    const generator = await h.createGenerator('print("https://example.com/triggered")', { cron: '0 7 1 1 *' });
    await syncGeneratorSchedule(deps, generator.id);
    await temporalCli('schedule', 'trigger', '--schedule-id', generatorScheduleId(h.config.temporal.prefix, generator.id.toHexString()));
    const logs = await eventually(
      'the triggered run to be logged',
      async () => {
        const found = await h.store.generatorLogs.list({ generator: generator.id });
        return found.length > 0 && found;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(logs.length, 1);
    assert.equal(logs[0]?.extra.trigger, 'schedule');
    assert.equal(logs[0]?.urisNew, 1);
    assert.match(logs[0]?.workflowId ?? '', new RegExp(`^${generatorScheduleId(h.config.temporal.prefix, generator.id.toHexString())}-`));
  });

  it('`crawlflow generator run` runs one now; an unknown id goes to the error log, a refused start to the failure log', async () => {
    const generator = await h.createGenerator('print("https://example.com/now")', { priority: 'high' });
    const started = await startGeneratorRun(deps, generator.id.toHexString());
    assert.ok(started.ok);
    assert.equal(started.priorityKey, 2);
    const summary = await h.temporal.workflow.getHandle(started.workflowId).result();
    assert.equal(summary.new, 1);

    const unknown = new ObjectId().toHexString();
    const cli = await run(process.execPath, [resolve(__dirname, '../../bin/crawlflow.js'), 'generator', 'run', unknown], {
      env: { ...process.env, ...envOf(h) },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, new RegExp(`no generator has the id "${unknown}"; written to the error log`));
    assert.ok((await h.store.logs.listErrors({ limit: 100 })).some((entry) => entry.input === unknown && entry.reason_code === 'unknown_generator'));

    // A namespace Temporal does not have: the start is refused.
    const elsewhere = await connectTemporalClient({ ...h.config.temporal, namespace: 'no-such-namespace' });
    try {
      const refused = await startGeneratorRun({ ...deps, client: elsewhere }, generator.id.toHexString());
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.kind, 'start_failed');
      const failures = await h.store.logs.listFailures({ generator: generator.id });
      assert.equal(failures[0]?.reason_code, 'start_failed');
      assert.match(failures[0]?.reason ?? '', /no-such-namespace/);
    } finally {
      await closeTemporalClient(elsewhere);
    }
  });
});

/** The environment that makes a crawlflow child process use this test's database and queues. */
function envOf(h: GeneratorHarness): Record<string, string> {
  return { MONGODB_URI: h.config.mongo.uri, TASK_QUEUE_PREFIX: h.config.temporal.prefix, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' };
}
