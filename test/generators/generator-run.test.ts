import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ObjectId } from 'mongodb';
import { createGeneratorRunActivities, type GeneratorRunSummary } from '../../activities/generator-run';
import { metrics } from '../../infra/metrics/metrics';
import { Collection } from '../../store/collections';
import { CrawlerTaskStatus } from '../../store/crawler-tasks';
import { GeneratorLogStatus } from '../../store/generator-logs';
import { GeneratorStatus } from '../../store/generators';
import { requireStack } from '../../support/stack';
import { startGeneratorHarness, type GeneratorHarness } from '../../support/generator-harness';

describe('generator runs (real Temporal, MongoDB-compatible store and sandbox)', () => {
  let h: GeneratorHarness;
  before(async () => {
    await requireStack();
    h = await startGeneratorHarness();
  });
  after(() => h?.close());

  const tasksOf = (generator: ObjectId) => h.store.tasks.list({ generator, limit: 500 });

  it('stores the URIs a script prints as new tasks, skips duplicates, samples garbage into the error log, and logs the run', async () => {
    const script = [
      'print("https://Example.com/a#frag")',
      'print("https://example.com/b")',
      'print("not-a-uri")',
      'print("")',
      'print("https://example.com:443/a")', // the same task as the first once normalized
      'print("ftp://example.com/file")',
      'print("HTTPS://EXAMPLE.COM/c")',
    ].join('\n');
    const generator = await h.createGenerator(script);
    const summary = await h.run(generator.id.toHexString());

    assert.equal(summary.outcome, 'succeeded');
    assert.deepEqual([summary.new, summary.duplicate, summary.invalid, summary.failed], [3, 1, 2, 0]);
    assert.equal(summary.noNewUris, false);
    const tasks = await tasksOf(generator.id);
    assert.deepEqual(tasks.map((task) => task.uri).sort(), ['https://example.com/a', 'https://example.com/b', 'https://example.com/c']);
    assert.ok(tasks.every((task) => task.status === CrawlerTaskStatus.New && task.job.equals(h.job.id)));

    const [log] = await h.store.generatorLogs.list({ generator: generator.id });
    assert.equal(log?.id.toHexString(), summary.logId);
    assert.equal(log?.status, GeneratorLogStatus.Succeeded);
    assert.equal(log?.failedReason, null);
    assert.deepEqual([log?.urisNew, log?.urisDuplicate, log?.urisInvalid], [3, 1, 2]);
    assert.equal(log?.contentBytes, Buffer.byteLength(['https://Example.com/a#frag', 'https://example.com/b', 'not-a-uri', '', 'https://example.com:443/a', 'ftp://example.com/file', 'HTTPS://EXAMPLE.COM/c', ''].join('\n')));
    assert.equal(log?.hostname, hostname().slice(0, 16));
    assert.ok((log?.spendMsecs ?? -1) >= 0);
    assert.equal(log?.extra.sandbox, 'bwrap');

    const errors = await h.store.logs.listErrors({ generator: generator.id });
    assert.deepEqual(errors.map((entry) => [entry.line, entry.input, entry.reason_code]).sort(), [
      [3, 'not-a-uri', 'invalid_url'],
      [6, 'ftp://example.com/file', 'scheme_not_allowed'],
    ]);
    const state = await h.runState.get(generator.id);
    assert.equal(state?.lastOutcome, 'succeeded');
    assert.equal(state?.lastUrisNew, 3);

    // The same script again: nothing new, which is flagged and alerted.
    const again = await h.run(generator.id.toHexString());
    assert.deepEqual([again.outcome, again.new, again.duplicate, again.noNewUris], ['succeeded', 0, 4, true]);
    assert.equal((await tasksOf(generator.id)).length, 3);
    const alerts = (await h.alerts()).filter((alert) => alert.detail?.generatorId === generator.id.toHexString());
    assert.deepEqual(alerts.map((alert) => alert.kind), ['generator_no_uris']);
    assert.match(alerts[0]?.summary ?? '', /stored no new URI \(4 duplicate, 2 invalid\)/);
    assert.equal((await h.runState.get(generator.id))?.runs, 2);
  });

  it('counts runs by outcome and the URIs they printed on /metrics', async () => {
    const value = async (metric: typeof metrics.generatorRuns, outcome: string) =>
      (await metric.get()).values.find((entry) => entry.labels.outcome === outcome)?.value ?? 0;
    const before = {
      ok: await value(metrics.generatorRuns, 'ok'),
      failed: await value(metrics.generatorRuns, 'failed'),
      accepted: await value(metrics.generatorUris, 'accepted'),
      invalid: await value(metrics.generatorUris, 'invalid'),
    };
    await h.run((await h.createGenerator('print("https://metrics.example/1")\nprint("https://metrics.example/2")\nprint("garbage")')).id.toHexString());
    await h.run((await h.createGenerator('import sys\nsys.exit(1)')).id.toHexString());
    assert.equal((await value(metrics.generatorRuns, 'ok')) - before.ok, 1);
    assert.equal((await value(metrics.generatorRuns, 'failed')) - before.failed, 1);
    assert.equal((await value(metrics.generatorUris, 'accepted')) - before.accepted, 2);
    assert.equal((await value(metrics.generatorUris, 'invalid')) - before.invalid, 1);
  });

  it('a script that exits 1 is a failed run: its log says why, with stderr, and an alert is raised', async () => {
    const generator = await h.createGenerator('import sys\nprint("https://example.com/before-failing")\nsys.exit("cannot reach the catalogue")\n');
    const summary = await h.run(generator.id.toHexString());
    assert.equal(summary.outcome, 'failed');
    assert.equal(summary.new, 1, 'what it printed before failing is kept');
    const [log] = await h.store.generatorLogs.list({ generator: generator.id });
    assert.equal(log?.status, GeneratorLogStatus.Failed);
    assert.match(log?.failedReason ?? '', /^exited with code 1\n--- stderr ---\ncannot reach the catalogue/);
    const alerts = (await h.alerts()).filter((alert) => alert.detail?.generatorId === generator.id.toHexString());
    assert.deepEqual(alerts.map((alert) => alert.kind), ['generator_failed']);
    assert.equal((await h.runState.get(generator.id))?.failuresInARow, 1);
  });

  it('a script that hangs past its own time limit is killed and logged as timed out', async () => {
    const generator = await h.createGenerator('sleep 600', { language: 'shell', timeoutSeconds: 1 });
    const summary = await h.run(generator.id.toHexString());
    assert.equal(summary.outcome, 'failed');
    assert.equal(summary.reason, 'timed out after 1 s of wall time');
    const [log] = await h.store.generatorLogs.list({ generator: generator.id });
    assert.equal(log?.extra.outcome, 'timed_out');
  });

  it('a script in neither Python nor Shell, and an empty one, fail clearly without running', async () => {
    const perl = await h.createGenerator('#!/usr/bin/perl\nprint "https://example.com/\\n";\n');
    const summary = await h.run(perl.id.toHexString());
    assert.equal(summary.outcome, 'failed');
    assert.match(summary.reason ?? '', /neither Python nor Shell: its first line is "#!\/usr\/bin\/perl"/);
    const [log] = await h.store.generatorLogs.list({ generator: perl.id });
    assert.equal(log?.extra.sandbox, 'none');

    // crawlflow refuses to store an empty script; the seed's own tools might not.
    const emptyId = new ObjectId();
    await h.mongo.db.collection(Collection.CrawlerTaskGenerator).insertOne({ _id: emptyId, job: h.job.id, code: '', cron: null, status: GeneratorStatus.On, add_datetime: new Date() });
    const empty = await h.run(emptyId.toHexString());
    assert.equal(empty.outcome, 'failed');
    assert.equal(empty.reason, 'the script is empty');
  });

  it('an unknown generator id goes to the error log and nothing runs', async () => {
    const missing = new ObjectId().toHexString();
    const summary = await h.run(missing);
    assert.equal(summary.outcome, 'unknown_generator');
    const errors = await h.store.logs.listErrors({ limit: 100 });
    const entry = errors.find((error) => error.input === missing);
    assert.equal(entry?.reason_code, 'unknown_generator');
    assert.match(entry?.reason ?? '', /no generator has the id/);
  });

  it('a generator of a disabled job is skipped, with a note in the error log', async () => {
    const job = await h.store.jobs.create({ name: `${h.job.name}-off` });
    const generator = await h.store.generators.create({ job: job.id, code: 'print("https://example.com/x")', cron: null, name: 'off', language: 'python', timeoutSeconds: 5 });
    await h.store.jobs.setStatus(job.id, 2);
    const summary = await h.run(generator.id.toHexString());
    assert.equal(summary.outcome, 'skipped');
    assert.equal((await h.store.tasks.list({ generator: generator.id })).length, 0);
  });

  it('a retried run after a crash stores nothing twice and still counts the earlier attempt', async () => {
    // A crash mid-run is an attempt that ends after storing part of the output; Temporal then
    // retries with the last heartbeat. MockActivityEnvironment plays both attempts in turn.
    const urls = Array.from({ length: 50 }, (_, index) => `https://example.com/retry/${index}`);
    const generator = await h.createGenerator(`import time\nfor i in range(50):\n    print(f"https://example.com/retry/{i}", flush=True)\n    if i == 19: time.sleep(600)\n`);
    const activities = () =>
      createGeneratorRunActivities({
        metrics,
        store: h.store,
        runState: h.runState,
        sandbox: { mode: 'bwrap', user: h.config.generators.sandboxUser },
        allowedSchemes: ['http', 'https'],
        hostname: 'test',
        logger: h.logger,
        heartbeatIntervalMs: 100,
      });
    const first = new MockActivityEnvironment({ attempt: 1, startToCloseTimeoutMs: 600_000 });
    let lastHeartbeat: unknown;
    first.on('heartbeat', (details: { urisNew: number }) => {
      lastHeartbeat = details;
      if (details.urisNew === 20) first.cancel('TIMED_OUT');
    });
    await assert.rejects(first.run(activities().runGenerator, { generatorId: generator.id.toHexString(), trigger: 'test' }));
    assert.equal((await tasksOf(generator.id)).length, 20);

    // The second attempt runs the script again with no pause.
    await h.store.generators.update(generator.id, { code: `for u in ${JSON.stringify(urls)}:\n    print(u)\n` });
    const second = new MockActivityEnvironment({ attempt: 2, startToCloseTimeoutMs: 600_000, heartbeatDetails: lastHeartbeat });
    const summary: GeneratorRunSummary = await second.run(activities().runGenerator, { generatorId: generator.id.toHexString(), trigger: 'test' });
    assert.equal(summary.outcome, 'succeeded', summary.reason);
    assert.deepEqual([summary.new, summary.duplicate], [50, 0]);
    const tasks = await tasksOf(generator.id);
    assert.equal(tasks.length, 50);
    assert.deepEqual(tasks.map((task) => task.uri).sort(), [...urls].sort());
    const logs = await h.store.generatorLogs.list({ generator: generator.id });
    assert.deepEqual(logs.map((log) => [log.status, log.extra.outcome]), [
      [GeneratorLogStatus.Succeeded, 'succeeded'],
      [GeneratorLogStatus.Failed, 'cancelled'],
    ]);
  });
});
