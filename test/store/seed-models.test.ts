import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { ensureIndexes } from '../../store/indexes';
import type { ObjectId } from 'mongodb';
import { TaskSource, type TaskInsertOutcome } from '../../store/crawler-tasks';
import { GeneratorLanguage, GeneratorPriority, GeneratorStatus } from '../../store/generators';
import { RunLogStatus } from '../../store/seed-fields';
import { createStore } from '../../store/store';
import { uriHash } from '../../domain/uris/hash';
import { requireStack, testConfig } from '../../support/stack';

const run = promisify(execFile);

function firstTaskId(outcome: TaskInsertOutcome | undefined): ObjectId {
  assert.equal(outcome?.kind, 'accepted');
  return (outcome as { taskId: ObjectId }).taskId;
}
const config = testConfig();

// Debian's python3-mongoengine (scripts/install-system-packages.sh), run by the system python:
// the seed's real models, not a re-implementation of them, read what crawlflow wrote.
const SYSTEM_PYTHON = '/usr/bin/python3';

type Row = Record<string, unknown> & { id: string };
interface SeedRead {
  collections: Record<string, string>;
  Job: Row[];
  CrawlerTask: Row[];
  CrawlerTaskGenerator: Row[];
  CrawlerGeneratorLog: Row[];
  CrawlerUriLog: Row[];
}

describe("the seed's own mongoengine models read what crawlflow writes", () => {
  let mongo: MongoHandle;
  before(async () => {
    await requireStack();
    mongo = await connectMongo(config.mongo);
    await ensureIndexes(mongo.db);
  });
  after(async () => {
    await mongo.db.dropDatabase();
    await mongo.client.close();
  });

  it('loads, validates and dereferences every job, task, generator and log document', async () => {
    const store = createStore(mongo.db);
    const job = await store.jobs.create({ name: 'seed-compat', info: '种子', customer: null, uriRules: { keepFragment: true } });
    const generator = await store.generators.create({
      job: job.id,
      code: '#!/bin/sh\necho http://example.com/\n',
      cron: '0 3 * * *',
      name: 'nightly',
      language: GeneratorLanguage.Shell,
      priority: GeneratorPriority.High,
      timeoutSeconds: 300,
    });
    const outcomes = await store.tasks.insertNew({ job: job.id, source: TaskSource.Generator, rulesVersion: 1, generator: generator.id }, [
      { uri: 'http://example.com/', uriHash: uriHash('http://example.com/'), original: 'http://EXAMPLE.com', line: 1 },
      { uri: 'https://例子.测试/', uriHash: uriHash('https://例子.测试/'), original: 'https://例子.测试', line: 2 },
    ]);
    await store.tasks.insertNew({ job: job.id, source: TaskSource.Manual, rulesVersion: 1 }, [
      { uri: 'http://example.org/', uriHash: uriHash('http://example.org/'), original: 'http://example.org/', line: null },
    ]);
    await store.generatorLogs.record({ job: job.id, generator: generator.id, status: RunLogStatus.Succeeded, contentBytes: 40, spendMsecs: 120, hostname: 'worker-1', urisNew: 2 });
    await store.uriLogs.record({ job: job.id, task: firstTaskId(outcomes[0]), uri: 'http://example.com/', status: RunLogStatus.Failed, failedReason: 'timeout' });

    const { stdout } = await run(SYSTEM_PYTHON, [join(__dirname, 'seed_models.py'), config.mongo.uri], { maxBuffer: 16 * 1024 * 1024 });
    const read = JSON.parse(stdout) as SeedRead;

    assert.deepEqual(read.collections, {
      Job: 'job',
      CrawlerTask: 'crawler_task',
      CrawlerTaskGenerator: 'crawler_task_generator',
      CrawlerGeneratorLog: 'crawler_generator_log',
      CrawlerUriLog: 'crawler_uri_log',
    });
    assert.equal(read.Job.length, 1);
    assert.deepEqual({ ...read.Job[0], add_datetime: undefined }, {
      id: job.id.toHexString(),
      name: 'seed-compat',
      info: '种子',
      customer: null,
      status: 1,
      add_datetime: undefined,
    });
    assert.match(String((read.Job[0]?.add_datetime as { $date: string }).$date), /^\d{4}-\d\d-\d\dT/);

    assert.equal(read.CrawlerTask.length, 3);
    const fromGenerator = read.CrawlerTask.filter((task) => task.task_generator !== null);
    assert.equal(fromGenerator.length, 2);
    for (const task of read.CrawlerTask) {
      assert.deepEqual(task.job, { $ref: 'Job', id: job.id.toHexString() }, 'the reference resolves to the job');
      assert.equal(task.status, 1);
      assert.equal(task.cookie, null);
      assert.equal(task.args, null);
      assert.equal(task.store, null);
    }
    assert.deepEqual(fromGenerator[0]?.task_generator, { $ref: 'CrawlerTaskGenerator', id: generator.id.toHexString() });
    assert.deepEqual(read.CrawlerTask.map((task) => task.uri).sort(), ['http://example.com/', 'http://example.org/', 'https://例子.测试/']);

    assert.deepEqual(
      read.CrawlerTaskGenerator.map(({ job: ref, code, cron, status }) => ({ ref, code, cron, status })),
      [{ ref: { $ref: 'Job', id: job.id.toHexString() }, code: '#!/bin/sh\necho http://example.com/\n', cron: '0 3 * * *', status: GeneratorStatus.Alpha }],
    );
    assert.equal(read.CrawlerGeneratorLog[0]?.status, 2);
    assert.equal(read.CrawlerGeneratorLog[0]?.content_bytes, 40);
    assert.equal(read.CrawlerGeneratorLog[0]?.hostname, 'worker-1');
    assert.equal(read.CrawlerUriLog[0]?.failed_reason, 'timeout');
    assert.equal(read.CrawlerUriLog[0]?.task_generator, null);
  });

  it('would fail on a field its model does not declare — which is why crawlflow keeps its own fields in companions', async () => {
    await mongo.db.collection('job').insertOne({ name: 'with-extra', info: '', customer: null, status: 1, add_datetime: new Date(), uri_rules: {} });
    await assert.rejects(
      run(SYSTEM_PYTHON, [join(__dirname, 'seed_models.py'), config.mongo.uri]),
      (error: { stderr?: string }) => {
        assert.match(String(error.stderr), /FieldDoesNotExist/);
        return true;
      },
    );
    await mongo.db.collection('job').deleteOne({ name: 'with-extra' });
  });
});
