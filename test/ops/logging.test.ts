import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { withLogContext } from '../../infra/logging/log-context';
import { createLogger } from '../../infra/logging/logger';

/** A logger whose JSON lines land in `lines`. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', format: 'json' }, { component: 'test' }, sink), lines };
}

describe('log lines name their workflow, message and job', () => {
  it('inside an activity, every line carries the workflow id, run id, activity type and attempt', async () => {
    const { logger, lines } = capturingLogger();
    const environment = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'message-42', runId: 'run-1' },
      activityType: 'fetchPages',
      attempt: 3,
    });
    await environment.run(async () => {
      await Promise.resolve();
      logger.child({ queue: 'io' }).info({ url: 'https://example.test/' }, 'fetching');
    });
    logger.info('outside any activity');
    assert.deepEqual(
      { ...lines[0], time: undefined, pid: undefined },
      { level: 30, time: undefined, pid: undefined, component: 'test', queue: 'io', workflowId: 'message-42', runId: 'run-1', activityType: 'fetchPages', attempt: 3, url: 'https://example.test/', msg: 'fetching' },
    );
    assert.equal(lines[1]?.workflowId, undefined);
  });

  it('withLogContext adds message id and job to lines of the work it runs, nested and across awaits', async () => {
    const { logger, lines } = capturingLogger();
    await withLogContext({ job: 'news' }, async () => {
      logger.info('job only');
      await withLogContext({ messageId: 'm-7', job: undefined }, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        logger.info('job and message');
        logger.info({ messageId: 'explicit' }, 'the call wins');
      });
    });
    logger.info('no context');
    assert.deepEqual(
      lines.map((line) => [line.msg, line.job, line.messageId]),
      [
        ['job only', 'news', undefined],
        ['job and message', 'news', 'm-7'],
        ['the call wins', 'news', 'explicit'],
        ['no context', undefined, undefined],
      ],
    );
  });

  it('keeps the message, type and stack of an error logged under `err` or `error` (as Temporal does)', () => {
    const { logger, lines } = capturingLogger();
    logger.warn({ error: new TypeError('tagger exploded') }, 'Activity failed');
    logger.error({ err: new RangeError('out of range') }, 'failed');
    assert.deepEqual(
      lines.map((line) => [(line.error ?? line.err) as { type: string; message: string }].map((error) => [error.type, error.message])[0]),
      [
        ['TypeError', 'tagger exploded'],
        ['RangeError', 'out of range'],
      ],
    );
    assert.match(String((lines[0]?.error as { stack: string }).stack), /logging\.test\.ts/);
  });
});
