import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { ObjectId } from 'mongodb';
import { createIngestService } from '../../domain/ingest/service';
import { ensureIndexes } from '../../store/indexes';
import { Collection } from '../../store/collections';
import { GeneratorStatus } from '../../store/generators';
import { createGeneratorConsole } from '../../starters/generator-console';
import { syncAllGeneratorSchedules, syncGeneratorSchedule } from '../../starters/generator-schedules';
import { buildWebServer } from '../../processes/web/server';
import { startGeneratorHarness, type GeneratorHarness } from '../../support/generator-harness';
import { requireStack } from '../../support/stack';

const exec = promisify(execFile);
const TOKEN = 'generators-api-token';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('the generators API and CLI (fastify inject and bin/crawlflow.js, real Temporal, sandbox and store)', () => {
  let h: GeneratorHarness;
  let app: FastifyInstance;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: auth, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  const problem = (response: { statusCode: number; json: () => unknown }, status: number, code: string, message: RegExp, field?: string) => {
    const body = response.json() as { error: string; message: string; field?: string };
    assert.equal(response.statusCode, status, JSON.stringify(body));
    assert.equal(body.error, code);
    assert.match(body.message, message);
    if (field) assert.equal(body.field, field);
  };
  const crawlflow = (...args: string[]) =>
    exec(process.execPath, [resolve(__dirname, '../../bin/crawlflow.js'), ...args], {
      env: { ...process.env, MONGODB_URI: h.config.mongo.uri, TASK_QUEUE_PREFIX: h.config.temporal.prefix, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  const scheduled = async (code: string, name?: string) => {
    const generator = await h.createGenerator(code, { cron: '0 3 1 1 *', status: GeneratorStatus.Alpha, ...(name ? { name } : {}) });
    await syncGeneratorSchedule({ client: h.temporal, config: h.config, store: h.store, logger: h.logger }, generator.id);
    return generator.id.toHexString();
  };

  before(async () => {
    await requireStack();
    h = await startGeneratorHarness();
    await ensureIndexes(h.mongo.db);
    const generators = createGeneratorConsole({ temporal: async () => h.temporal, config: h.config, store: h.store, logger: h.logger });
    app = await buildWebServer({
      config: h.config,
      store: h.store,
      ingest: createIngestService({ store: h.store, config: h.config, logger: h.logger }),
      logger: h.logger,
      token: TOKEN,
      generators,
    });
  });
  after(async () => {
    await app?.close();
    await h.mongo.db.collection(Collection.CrawlerTaskGenerator).deleteMany({});
    await syncAllGeneratorSchedules({ client: h.temporal, config: h.config, store: h.store, logger: h.logger });
    await h.close();
  });

  it('wants the token and validates every request by schema, naming the field', async () => {
    const id = await scheduled('print("https://example.com/api")');
    assert.equal((await app.inject({ method: 'PATCH', url: `/api/generators/${id}`, payload: { priority: 'low' } })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: `/api/generators/${id}/test` })).statusCode, 401);
    problem(await call('PATCH', `/api/generators/${id}`, { crom: '* * * * *' }), 400, 'bad_request', /^body\.crom: unknown field$/, 'body.crom');
    problem(await call('PATCH', `/api/generators/${id}`, { priority: 'urgent' }), 400, 'bad_request', /^body\.priority: one of "very high", "high", "medium", "low"$/, 'body.priority');
    problem(await call('PATCH', `/api/generators/${id}`, { timeoutSeconds: '30' }), 400, 'bad_request', /^body\.timeoutSeconds: expected a number$/, 'body.timeoutSeconds');
    problem(await call('PATCH', `/api/generators/${id}`, { cron: '99 * * * *' }), 400, 'bad_setting', /cron "99 \* \* \* \*"/, 'cron');
    problem(await call('PATCH', `/api/generators/${id}`, { status: 'beta' }), 409, 'status_refused', /needs a passing test/, 'status');
    problem(await call('PATCH', '/api/generators/0123456789abcdef01234567', { name: 'x' }), 404, 'unknown_generator', /no generator has the id/);
    problem(await call('PATCH', '/api/generators/nope', { name: 'x' }), 400, 'bad_request', /^params\.id "nope": not an id \(24 hex digits\)$/, 'params.id');
    problem(await call('GET', `/api/generators/${id}/runs?limit=9999`), 400, 'bad_request', /^query\.limit: at most 500$/, 'query.limit');
    problem(await call('GET', `/api/generators/${id}/runs?befor=x`), 400, 'bad_request', /^query\.befor: unknown field$/, 'query.befor');
    problem(await call('GET', `/api/generators/${id}/runs?before=x`), 400, 'bad_request', /^query\.before "x": not an id/, 'query.before');
    problem(await call('POST', `/api/generators/${id}/pause`, { reason: 7 }), 400, 'bad_request', /^body\.reason: expected a string$/, 'body.reason');
    problem(await call('PUT', `/api/generators/${id}/code`, { code: '' }), 400, 'bad_request', /^body\.code: must not be empty$/, 'body.code');
    problem(await call('PUT', `/api/generators/${id}/code`, {}), 400, 'bad_request', /^body\.code: required$/, 'body.code');
    problem(await call('POST', `/api/generators/${id}/run`, { now: true }), 400, 'bad_request', /^body\.now: unknown field$/, 'body.now');

    const edited = await call('PATCH', `/api/generators/${id}`, { priority: 'high', timeoutSeconds: 40, networkAllowed: true });
    assert.equal(edited.statusCode, 200, edited.body);
    const generator = edited.json().generator;
    assert.deepEqual([generator.priority, generator.timeoutSeconds, generator.networkAllowed, generator.schedule.state], ['high', 40, true, 'scheduled']);
    assert.ok(generator.schedule.nextRunAt);
  });

  it('tests, promotes, replaces code, runs now, lists runs (paged, failed only), pauses, resumes and deletes', async () => {
    const id = await scheduled('print("https://example.com/a")\nprint("javascript:alert(1)")');
    const tested = await call('POST', `/api/generators/${id}/test`, {});
    assert.equal(tested.statusCode, 200, tested.body);
    const { report, generator } = tested.json();
    assert.equal(report.passed, true);
    assert.deepEqual(report.lines.map((line: { outcome: string }) => line.outcome), ['new', 'invalid']);
    assert.deepEqual(generator.promotableTo, ['beta']);
    assert.match(tested.json().links.run, /-test-\d+/);
    assert.equal((await call('PATCH', `/api/generators/${id}`, { status: 'beta' })).json().generator.status, 'beta');

    const replaced = await call('PUT', `/api/generators/${id}/code`, { code: 'import sys\nsys.stderr.write("bad <script>x</script>\\n")\nsys.exit(2)\n', filename: 'v2.py' });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(replaced.json().revision, 2);
    assert.deepEqual(replaced.json().generator.promotableTo, [], 'revision 2 is untested');
    assert.deepEqual((await call('GET', `/api/generators/${id}/revisions`)).json().revisions.map((revision: { revision: number }) => revision.revision), [2, 1]);

    for (let index = 0; index < 2; index += 1) {
      const started = await call('POST', `/api/generators/${id}/run`, {});
      assert.equal(started.statusCode, 202, started.body);
      await h.temporal.workflow.getHandle(started.json().workflowId).result();
    }
    const firstPage = (await call('GET', `/api/generators/${id}/runs?limit=1`)).json();
    assert.equal(firstPage.runs.length, 1);
    const run = firstPage.runs[0];
    assert.deepEqual([run.status, run.trigger, run.revision, run.printed], ['failed', 'manual', 2, 0]);
    assert.match(run.stderrTail, /bad <script>x<\/script>/);
    assert.match(run.failedReason, /exit/);
    assert.match(run.links.run, /^http.*\/workflows\/.*-manual-\d+\//);
    const secondPage = (await call('GET', `/api/generators/${id}/runs?limit=1&before=${firstPage.next}`)).json();
    assert.equal(secondPage.runs.length, 1);
    assert.notEqual(secondPage.runs[0].id, run.id);
    assert.equal((await call('GET', `/api/generators/${id}/runs?failed=true`)).json().runs.length, 2);

    const paused = (await call('POST', `/api/generators/${id}/pause`, { reason: 'until the vendor fixes it' })).json().generator.schedule;
    assert.deepEqual([paused.state, paused.pausedBy, paused.note], ['paused', 'operator', 'until the vendor fixes it']);
    assert.equal((await call('POST', `/api/generators/${id}/resume`, {})).json().generator.schedule.state, 'scheduled');

    const listed = (await call('GET', `/api/generators?job=${encodeURIComponent(h.job.name)}`)).json().generators as Array<{ id: string; lastRun: { status: string } | null }>;
    assert.equal(listed.find((entry) => entry.id === id)?.lastRun?.status, 'failed');

    const deleted = await call('DELETE', `/api/generators/${id}`);
    assert.equal(deleted.statusCode, 200, deleted.body);
    problem(await call('GET', `/api/generators/${id}/schedule`), 404, 'unknown_generator', /no generator/);
    assert.equal(await h.mongo.db.collection(Collection.CrawlerGeneratorLog).countDocuments({ task_generator: new ObjectId(id) }), 2, 'its run logs stay');
  });

  it('the CLI does the same: edit, test, pause, resume, runs, delete; hostile names print as text', async () => {
    const id = await scheduled('print("https://example.com/cli")\nprint("\\x1b[31mred\\u202e")', 'evil\u001b[2Jname');
    const edit = await crawlflow('generator', 'edit', id, '--priority', 'low', '--timeout', '50', '--no-network');
    assert.equal(edit.code, 0, edit.stderr);
    assert.match(edit.stdout, /evil\\u\{1b\}\[2Jname {2}status=alpha .*priority=low {2}timeout=50s {2}network=no {2}revision=1/);
    assert.match(edit.stdout, /schedule: scheduled, next /);
    const bad = await crawlflow('generator', 'edit', id, '--status', 'production');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /promote one step at a time/);

    const test = await crawlflow('generator', 'test', id);
    assert.equal(test.code, 0, test.stderr);
    assert.match(test.stdout, /^ {6}1 {2}new {8}https:\/\/example\.com\/cli$/m);
    assert.match(test.stdout, /^ {6}2 {2}invalid {4}\\u\{1b\}\[31mred\\u\{202e\} — /m);
    assert.match(test.stdout, /PASSED: 2 printed, 1 new, 0 duplicate, 1 invalid \(revision 1/);
    assert.ok(!test.stdout.includes('\u001b'), 'no escape sequence reaches the terminal');

    const pause = await crawlflow('generator', 'pause', id, '--reason', 'night freeze');
    assert.equal(pause.code, 0, pause.stderr);
    assert.match(pause.stdout, /schedule: paused by operator: night freeze/);
    const resume = await crawlflow('generator', 'resume', id);
    assert.match(resume.stdout, /schedule: scheduled/);

    const run = await crawlflow('generator', 'run', id, '--wait');
    assert.equal(run.code, 0, run.stderr);
    const runs = await crawlflow('generator', 'runs', id);
    assert.match(runs.stdout, /succeeded {2}trigger=manual {2}revision=1 {2}\d+ ms {2}new=1 duplicate=0 invalid=1/);
    assert.match((await crawlflow('generator', 'runs', id, '--failed')).stdout, /^no failed runs$/m);

    const dir = await mkdtemp(join(tmpdir(), 'crawlflow-cli-code-'));
    try {
      await writeFile(join(dir, 'next.sh'), 'echo https://example.com/cli-v2\n');
      const replaced = await crawlflow('generator', 'edit', id, '--code', join(dir, 'next.sh'));
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.match(replaced.stdout, /code replaced: revision 2/);
      assert.equal((await h.store.generators.get(new ObjectId(id)))?.language, 'shell');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const deleted = await crawlflow('generator', 'delete', id);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, new RegExp(`deleted generator ${id} \\(schedule deleted\\)`));
    const gone = await crawlflow('generator', 'test', id);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no generator has the id/);
  });
});
