import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Worker } from '@temporalio/worker';
import { MongoServerError } from 'mongodb';
import { createSelfCheckActivities } from '../activities/self-check';
import { QueueKind } from '../common/task-queues';
import { createKafka } from '../infra/kafka/kafka';
import { createMailer } from '../infra/mail/mailer';
import { connectMongo } from '../infra/mongo/client';
import { closeTemporalClient, connectTemporalClient, connectWorkerConnection } from '../infra/temporal/connection';
import { stackPaths } from '../stack/paths';
import { isAlive, readPidFile, startDetached } from '../stack/processes';
import { stack } from '../stack/stack';
import { eventually } from '../support/eventually';
import { requireStack, testConfig, uniqueName } from '../support/stack';

const run = promisify(execFile);
const config = testConfig();

describe('the local stack runs real services', () => {
  before(() => requireStack());

  it('runs a workflow started by the client on the Temporal dev server, visible to `temporal workflow list`', async () => {
    const connection = await connectWorkerConnection(config.temporal);
    const taskQueue = config.temporal.taskQueues.workflows;
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: createSelfCheckActivities({ queue: QueueKind.Io }),
    });
    const client = await connectTemporalClient(config.temporal);
    try {
      const workflowId = uniqueName('stack-test');
      const result = await worker.runUntil(
        client.workflow.execute('selfCheckWorkflow', {
          taskQueue,
          workflowId,
          // The probe's activity runs on the same queue as the workflow here: one worker serves both.
          args: [{ taskQueues: { ...config.temporal.taskQueues, io: taskQueue }, queues: ['io'], scheduleToStartSeconds: 20 }],
        }),
      );
      assert.deepEqual(
        (result as Array<{ queue: string; ok: boolean; worker: { pid: number } }>).map((row) => [row.queue, row.ok, row.worker.pid]),
        [['io', true, process.pid]],
      );
      const { stdout } = await run(join(stack.paths.bin, 'temporal'), [
        'workflow',
        'list',
        '--address',
        config.temporal.address,
        '--query',
        `WorkflowId = '${workflowId}'`,
        '--output',
        'json',
      ]);
      const listed = JSON.parse(stdout) as Array<{ execution: { workflowId: string }; status: string }>;
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.execution.workflowId, workflowId);
      assert.match(String(listed[0]?.status), /COMPLETED/);
    } finally {
      await closeTemporalClient(client);
      await connection.close();
    }
  });

  it('consumes back a record produced with kafkajs', async () => {
    const kafka = createKafka(config.kafka);
    const topic = uniqueName('stack-test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueName('stack-test-group') });
    try {
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k1', value: '{"hello":"kafka"}' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<{ key: string; value: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => resolve({ key: String(message.key), value: String(message.value) }),
        });
      });
      assert.deepEqual(received, { key: 'k1', value: '{"hello":"kafka"}' });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('rejects a duplicate insert through a unique index on the MongoDB wire-protocol server', async () => {
    const mongo = await connectMongo(config.mongo);
    try {
      const collection = mongo.db.collection('stack_test');
      await collection.createIndex({ key: 1 }, { unique: true });
      await collection.insertOne({ key: 'same' });
      await assert.rejects(collection.insertOne({ key: 'same' }), (error: unknown) => {
        assert.ok(error instanceof MongoServerError);
        assert.equal(error.code, 11000);
        return true;
      });
      assert.equal(await collection.countDocuments({ key: 'same' }), 1);
    } finally {
      await mongo.db.dropDatabase();
      await mongo.client.close();
    }
  });

  it('delivers a mail sent with nodemailer to MailDev, readable through its REST API', async () => {
    const mailer = createMailer(config.alerts);
    const subject = uniqueName('stack-test-mail');
    try {
      await mailer.sendMail({ from: config.alerts.from, to: 'ops@example.com', subject, text: 'crawlflow says hello' });
    } finally {
      mailer.close();
    }
    // MailDev answers SMTP before it has parsed and stored the mail, so the REST API may not
    // list it yet on the first read: wait for it rather than read once.
    const mail = await eventually('the mail to reach MailDev', async () => {
      const response = await fetch('http://127.0.0.1:1080/email');
      assert.equal(response.status, 200);
      const mails = (await response.json()) as Array<{ subject: string; text: string; to: Array<{ address: string }> }>;
      return mails.find((candidate) => candidate.subject === subject);
    }, { timeoutMs: 10_000 });
    assert.equal(mail.to[0]?.address, 'ops@example.com');
    assert.match(mail.text, /crawlflow says hello/);
  });
});


describe('npm run stack -- pid <service>', () => {
  const stackScript = resolve(__dirname, '..', 'bin', 'stack.js');
  const pidOf = (service: string, env: NodeJS.ProcessEnv = process.env) =>
    run(process.execPath, [stackScript, 'pid', service], { env }).catch((error: { stdout: string; stderr: string; code: number }) => error);

  before(() => requireStack());

  it("prints the pid of a running service alone on stdout: the process recorded in its pid file, running the service's command", async () => {
    const result = await pidOf('temporal');
    assert.match(result.stdout, /^\d+\n$/);
    const pid = Number(result.stdout);
    assert.equal(pid, readPidFile(stack.paths, 'temporal')?.pid);
    assert.ok(isAlive(pid));
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], join(stack.paths.bin, 'temporal'));
  });

  it('gives a pid an operator can kill, and exits 1 once the process is gone', async () => {
    // A stack home of its own with a throw-away process as "kafka": the shared stack is not touched.
    const home = mkdtempSync(join(tmpdir(), 'crawlflow-stack-pid-'));
    const env = { ...process.env, CRAWLFLOW_HOME: home };
    try {
      const started = startDetached(stackPaths(home), 'kafka', { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] });
      const result = await pidOf('kafka', env);
      assert.equal(result.stdout, `${started}\n`);
      process.kill(Number(result.stdout), 'SIGKILL');
      await eventually('the process is gone', () => !isAlive(started));
      const after = await pidOf('kafka', env);
      assert.equal(after.stdout, '');
      assert.equal((after as { code?: number }).code, 1);
      assert.match(after.stderr, /kafka is not running/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('names the services when asked for one it does not have', async () => {
    const result = await pidOf('redis');
    assert.equal((result as { code?: number }).code, 1);
    assert.match(result.stderr, /unknown service redis; the stack has temporal, kafka, mongodb, mail/);
  });
});
