import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { GeneratorActionError } from '../../domain/generators/errors';
import { generatorScheduleId } from '../../domain/generators/schedule';
import { Collection } from '../../store/collections';
import { GeneratorStatus, type Generator } from '../../store/generators';
import { stack } from '../../stack/stack';
import { createGeneratorConsole, type GeneratorConsole } from '../../starters/generator-console';
import { describeGeneratorSchedule, syncAllGeneratorSchedules, syncGeneratorSchedule } from '../../starters/generator-schedules';
import { requireStack } from '../../support/stack';
import { startGeneratorHarness, type GeneratorHarness } from '../../support/generator-harness';

const exec = promisify(execFile);

/** A script printing a new URI, one the job has, the new one again, garbage with markup, and a blank line. */
const MIXED = [
  'print("https://example.com/fresh")',
  'print("https://example.com/known")',
  'print("https://example.com/fresh")',
  'print("<script>alert(1)</script>")',
  'print("")',
].join('\n');

describe('the generators console (real Temporal Schedules, the real sandbox, real MongoDB-compatible store)', () => {
  let h: GeneratorHarness;
  let gc: GeneratorConsole;
  const temporalCli = (...args: string[]) => exec(join(stack.paths.bin, 'temporal'), [...args, '--address', h.config.temporal.address]);
  const describeSchedule = (generator: Generator) => describeGeneratorSchedule(h.temporal, h.config.temporal.prefix, generator.id.toHexString());
  const refused = async (work: Promise<unknown>, problem: string, message: RegExp, field?: string) => {
    await assert.rejects(work, (error: unknown) => {
      assert.ok(error instanceof GeneratorActionError, String(error));
      assert.equal(error.problem, problem);
      assert.match(error.message, message);
      if (field) assert.equal(error.field, field);
      return true;
    });
  };
  async function scheduled(code: string, overrides: Parameters<GeneratorHarness['createGenerator']>[1] = {}) {
    const generator = await h.createGenerator(code, { cron: '0 3 1 1 *', status: GeneratorStatus.Alpha, ...overrides });
    await syncGeneratorSchedule({ client: h.temporal, config: h.config, store: h.store, logger: h.logger }, generator.id);
    return generator;
  }

  before(async () => {
    await requireStack();
    h = await startGeneratorHarness();
    gc = createGeneratorConsole({ temporal: async () => h.temporal, config: h.config, store: h.store, logger: h.logger });
  });
  after(async () => {
    await h.mongo.db.collection(Collection.CrawlerTaskGenerator).deleteMany({});
    await syncAllGeneratorSchedules({ client: h.temporal, config: h.config, store: h.store, logger: h.logger });
    await h.close();
  });

  it('edits each setting and the schedule follows at once; a bad value names its field', async () => {
    const generator = await scheduled('print("https://example.com/edit")');
    const edited = await gc.edit(generator.id, { cron: '30 5 2 2 *', priority: 'very high', timeoutSeconds: '45', networkAllowed: true, name: 'renamed' });
    assert.deepEqual(
      [edited.generator.cron, edited.generator.priority, edited.generator.timeoutSeconds, edited.generator.networkAllowed, edited.generator.name],
      ['30 5 2 2 *', 'very high', 45, true, 'renamed'],
    );
    assert.equal(edited.sync?.action, 'updated');
    const schedule = await describeSchedule(generator);
    assert.equal(schedule?.action.type === 'startWorkflow' && schedule.action.priority?.priorityKey, 1);
    assert.equal(schedule?.info.nextActionTimes[0]?.getUTCHours(), 5);
    assert.equal(schedule?.action.type === 'startWorkflow' && (schedule.action.args?.[0] as { timeoutSeconds: number }).timeoutSeconds, 45);
    assert.equal(edited.schedule.state, 'scheduled');

    const off = await gc.edit(generator.id, { status: 'off' });
    assert.deepEqual([off.schedule.state, off.schedule.pausedBy], ['paused', 'crawlflow']);
    assert.match(off.schedule.note ?? '', /paused because generator status is off/);
    assert.equal((await gc.edit(generator.id, { cron: '' })).schedule.state, 'none', 'no cron: the schedule is deleted');
    assert.equal(await describeSchedule(generator), null);

    await refused(gc.edit(generator.id, { cron: '61 * * * *' }), 'bad_setting', /cron "61 \* \* \* \*"/, 'cron');
    await refused(gc.edit(generator.id, { priority: 'urgent' }), 'bad_setting', /priority "urgent"/, 'priority');
    await refused(gc.edit(generator.id, { timeoutSeconds: 0 }), 'bad_setting', /timeout "0"/, 'timeoutSeconds');
    await refused(gc.edit(generator.id, { status: 'test failed' }), 'status_refused', /set by a failed test run/, 'status');
    await refused(gc.edit(generator.id, {}), 'bad_setting', /nothing to change/);
    await refused(gc.edit('0123456789abcdef01234567', { name: 'x' }), 'unknown_generator', /no generator has the id 0123456789abcdef01234567/);
  });

  it('a test run shows each printed line as new, duplicate or invalid and stores nothing; a pass allows alpha → beta → production', async () => {
    const generator = await scheduled(MIXED);
    const known = await h.createGenerator('print("https://example.com/known")');
    assert.equal((await h.run(known.id.toHexString())).new, 1);
    const tasksBefore = await h.mongo.db.collection(Collection.CrawlerTask).countDocuments({});
    await refused(gc.edit(generator.id, { status: 'beta' }), 'status_refused', /needs a passing test of revision 1/, 'status');

    const { report, generator: after, schedule } = await gc.test(generator.id);
    assert.equal(report.passed, true, report.reason ?? '');
    assert.deepEqual(report.counts, { printed: 4, new: 1, duplicate: 2, invalid: 1, blank: 1 });
    assert.deepEqual(
      report.lines.map((line) => [line.line, line.outcome]),
      [
        [1, 'new'],
        [2, 'duplicate'],
        [3, 'duplicate'],
        [4, 'invalid'],
      ],
    );
    assert.equal(report.lines[0]?.uri, 'https://example.com/fresh');
    assert.match(report.lines[1]?.reason ?? '', /the job has this URI already/);
    assert.equal(report.lines[2]?.firstLine, 1);
    assert.equal(report.lines[3]?.text, '<script>alert(1)</script>');
    assert.equal(after.lastTest?.passed, true);
    assert.equal(schedule.state, 'scheduled', 'a passing test leaves the schedule running');
    assert.equal(await h.mongo.db.collection(Collection.CrawlerTask).countDocuments({}), tasksBefore, 'a test stores no task');
    assert.equal((await h.store.generatorLogs.list({ generator: generator.id })).length, 0, 'a test writes no run log');
    assert.equal((await h.store.logs.listErrors({ generator: generator.id })).length, 0, 'nor error-log rows');

    await refused(gc.edit(generator.id, { status: 'production' }), 'status_refused', /one step at a time/);
    assert.equal((await gc.edit(generator.id, { status: 'beta' })).generator.status, GeneratorStatus.Beta);
    assert.equal((await gc.edit(generator.id, { status: 'production' })).generator.status, GeneratorStatus.Production);
  });

  it('a failed test sets "test failed" and pauses the schedule; a passing one puts it back to alpha', async () => {
    const generator = await scheduled('import sys\nprint("https://example.com/x")\nsys.stderr.write("boom <img src=x onerror=alert(1)>\\n")\nsys.exit(3)');
    const failed = await gc.test(generator.id);
    assert.equal(failed.report.passed, false);
    assert.match(failed.report.reason ?? '', /exit(ed)? .*3/);
    assert.match(failed.report.stderr, /boom <img src=x onerror=alert\(1\)>/);
    assert.equal(failed.generator.status, GeneratorStatus.TestFailed);
    assert.deepEqual([failed.schedule.state, failed.schedule.pausedBy], ['paused', 'crawlflow']);
    assert.match(failed.schedule.note ?? '', /paused because generator status is test failed/);
    await refused(gc.edit(generator.id, { status: 'alpha' }), 'status_refused', /the last test failed/);

    const fixed = await gc.replaceCode(generator.id, { code: 'print("https://example.com/fixed")' });
    assert.equal(fixed.revision, 2);
    const passed = await gc.test(generator.id);
    assert.equal(passed.report.passed, true);
    assert.equal(passed.report.revision, 2);
    assert.equal(passed.generator.status, GeneratorStatus.Alpha);
    assert.equal(passed.schedule.state, 'scheduled');
  });

  it('a script that prints no valid URI fails its test', async () => {
    const generator = await scheduled('print("not a uri")');
    const { report } = await gc.test(generator.id);
    assert.equal(report.passed, false);
    assert.match(report.reason ?? '', /printed no valid URI \(1 invalid\)/);
  });

  it('replacing the code keeps the old one as a revision; runs record which revision ran; the runs list pages and filters failed runs', async () => {
    const generator = await scheduled('print("https://example.com/r1")');
    assert.equal((await gc.test(generator.id)).report.passed, true);
    const first = await h.run(generator.id.toHexString());
    assert.equal(first.revision, 1);

    const replaced = await gc.replaceCode(generator.id, { code: '#!/bin/sh\necho https://example.com/r2\nexit 1\n', filename: 'next.sh' });
    assert.deepEqual([replaced.revision, replaced.generator.revision, replaced.generator.language], [2, 2, 'shell']);
    await refused(gc.edit(generator.id, { status: 'beta' }), 'status_refused', /needs a passing test of revision 2/);
    const second = await h.run(generator.id.toHexString());
    assert.deepEqual([second.revision, second.outcome], [2, 'failed']);

    const revisions = await h.store.generatorRevisions.list(generator.id);
    assert.deepEqual(revisions.map((revision) => [revision.revision, revision.language]), [[2, 'shell'], [1, 'python']]);
    assert.equal((await h.store.generatorRevisions.get(generator.id, 1))?.code, 'print("https://example.com/r1")');

    const all = await gc.runs(generator.id, { limit: 1 });
    assert.equal(all.runs.length, 1);
    assert.equal(all.runs[0]?.extra.revision, 2, 'newest first');
    assert.ok(all.next);
    const older = await gc.runs(generator.id, { limit: 1, before: all.runs[0]!.id });
    assert.equal(older.runs[0]?.extra.revision, 1);
    const failedOnly = await gc.runs(generator.id, { failedOnly: true });
    assert.deepEqual(failedOnly.runs.map((run) => run.extra.revision), [2]);
    await refused(gc.replaceCode(generator.id, { code: '' }), 'bad_setting', /code: the script is empty/, 'code');
  });

  it("pauses and resumes like `temporal schedule toggle`, shows an operator's pause with its reason either way", async () => {
    const generator = await scheduled('print("https://example.com/p")');
    const paused = await gc.pause(generator.id, 'vendor outage <b>until</b> Friday');
    assert.deepEqual([paused.schedule.state, paused.schedule.pausedBy, paused.schedule.note], ['paused', 'operator', 'vendor outage <b>until</b> Friday']);
    assert.equal((await syncGeneratorSchedule({ client: h.temporal, config: h.config, store: h.store, logger: h.logger }, generator.id)).paused, true, 'no sync undoes it');
    assert.equal((await gc.edit(generator.id, { priority: 'low' })).schedule.pausedBy, 'operator', 'an edit keeps the pause');
    const resumed = await gc.resume(generator.id);
    assert.equal(resumed.schedule.state, 'scheduled');

    const scheduleId = generatorScheduleId(h.config.temporal.prefix, generator.id.toHexString());
    await temporalCli('schedule', 'toggle', '--schedule-id', scheduleId, '--pause', '--reason', 'maintenance window');
    const seen = await gc.get(generator.id);
    assert.deepEqual([seen.schedule.state, seen.schedule.pausedBy, seen.schedule.note], ['paused', 'operator', 'maintenance window']);
    assert.equal((await gc.resume(generator.id)).schedule.state, 'scheduled');

    await gc.edit(generator.id, { status: 'off' });
    await refused(gc.resume(generator.id), 'schedule_state', /paused by crawlflow, not by an operator: crawlflow: paused because generator status is off/);
    await refused(gc.pause(generator.id, 'crawlflow: fake'), 'bad_setting', /must not start with "crawlflow:"/, 'reason');
    const manual = await h.createGenerator('print("https://example.com/m")');
    await refused(gc.pause(manual.id), 'no_schedule', /has no cron/);
  });

  it('run now starts a run at its priority; delete removes the schedule, its tasks and run logs stay', async () => {
    const generator = await scheduled('print("https://example.com/deleted-later")');
    const started = await gc.runNow(generator.id);
    assert.ok(started.ok);
    const summary = await h.temporal.workflow.getHandle(started.workflowId).result();
    assert.equal(summary.new, 1);

    const removed = await gc.remove(generator.id);
    assert.equal(removed.sync?.action, 'deleted');
    assert.equal(await describeSchedule(generator), null);
    assert.equal(await h.store.generators.get(generator.id), null);
    assert.equal(await h.mongo.db.collection(Collection.CrawlerTask).countDocuments({ task_generator: generator.id }), 1, 'its task stays');
    assert.equal((await h.store.generatorLogs.list({ generator: generator.id })).length, 1, 'its run log stays');
    await refused(gc.test(generator.id), 'unknown_generator', /no generator has the id/);
  });
});
