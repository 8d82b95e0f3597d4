import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../infra/config/config';
import { findFreeMetricsPort } from '../../infra/metrics/ports';
import type { ReadinessResult } from '../../infra/metrics/readiness';
import { installTemporalRuntime } from '../../infra/temporal/runtime';
import { runWorkers } from '../../workers/run-workers';
import { eventually } from '../../support/eventually';
import { startPipelineHarness, type PipelineHarness } from '../../support/pipeline-harness';
import { capturingLogger } from '../../support/capturing-logger';
import { requireStack, uniqueName } from '../../support/stack';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

async function readiness(url: string): Promise<{ status: number; checks: ReadinessResult[] }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, ...((await response.json()) as { checks: ReadinessResult[] }) };
}

// The workers' Kafka is behind a proxy that is closed when they publish for the
// first time: the publish fails, /readyz says so through the producer itself, and once Kafka
// is reachable the same process publishes (the failed connect was not kept) and is ready.
// Run twice: with PIPELINE_LOCAL_PUBLISH (the default) the workflows worker's producer publishes
// as a local activity; with it off, the io worker's, as an activity task on the io queue.
for (const publisher of [
  { name: 'workflows worker (local activity)', localPublish: true },
  { name: 'io worker (io queue)', localPublish: false },
] as const) {
  describe(`${publisher.name}: Kafka unreachable at the first publish`, () => {
    let pipeline: PipelineHarness;
    let proxy: TcpProxy;
    let metricsUrl: string;
    let running: Promise<void> | undefined;
    const stop = new AbortController();
    const { logger, lines } = capturingLogger('publish-readiness-test');

    before(async () => {
      await requireStack();
      // The Temporal SDK's lines (an activity attempt that failed) land in the same capture.
      await installTemporalRuntime(logger);
      // The bridge and the output collector use Kafka directly; only the workers go through the proxy.
      pipeline = await startPipelineHarness({ workers: false, env: { PIPELINE_LOCAL_PUBLISH: String(publisher.localPublish) } });
      proxy = await startTcpProxy({ host: '127.0.0.1', port: 9092 });
      await proxy.close();
      const config = loadConfig({
        ...pipeline.env,
        KAFKA_BROKERS: proxy.address,
        METRICS_PORT: String(await findFreeMetricsPort('127.0.0.1')),
        TAGGER_THREADS: '1',
      });
      metricsUrl = await new Promise<string>((resolve, reject) => {
        running = runWorkers(config, logger, ['workflows', 'io', 'cpu'], { signal: stop.signal, onReady: (info) => resolve(info.metricsUrl) });
        running.catch(reject);
      });
    });

    after(async () => {
      stop.abort();
      await running?.catch(() => undefined);
      await proxy?.close();
      await pipeline?.close();
    });

    it('the publish fails and /readyz names the producer as down; once Kafka is back, publishes succeed without a restart and /readyz is green', async () => {
      const run = uniqueName('first-publish');
      const first = { id: `${run}-1`, type: 1, text: 'published once Kafka is reachable' };
      await pipeline.produce([first]);

      // The publish ran and failed: Kafka refused its producer.
      const handle = pipeline.temporal.workflow.getHandle(`msg-${first.id}`);
      if (publisher.localPublish) {
        // A local activity is no pending activity: while it retries, the workflow task that runs it
        // is kept open by heartbeats (a completed workflow task every 8 s) after the tag step.
        await eventually(
          'a local publish still failing after two workflow-task heartbeats',
          async () => {
            const events = (await handle.fetchHistory()).events ?? [];
            const tagged = events.findIndex((event) => event.activityTaskCompletedEventAttributes);
            const tasksSince = tagged < 0 ? 0 : events.slice(tagged).filter((event) => event.workflowTaskCompletedEventAttributes).length;
            const published = events.some((event) => event.markerRecordedEventAttributes);
            return !published && tasksSince >= 2;
          },
          { timeoutMs: 120_000, intervalMs: 500 },
        );
      } else {
        const failedPublish = await eventually(
          'a failed publish attempt',
          async () => {
            const { raw } = await handle.describe();
            return raw.pendingActivities?.find((activity) => activity.activityType?.name === 'publishTagged' && (activity.attempt ?? 0) >= 2);
          },
          { timeoutMs: 120_000, intervalMs: 500 },
        );
        assert.ok(failedPublish.lastFailure?.message, 'the failed attempt says why');
      }
      const down = await eventually('/readyz naming kafka as down', async () => {
        const ready = await readiness(metricsUrl);
        return ready.status === 503 ? ready.checks.find((check) => check.name === 'kafka' && !check.ok) : undefined;
      });
      assert.equal(down.client, `producer (${pipeline.config.kafka.outputTopic})`, 'the check goes through the producer that publishes');
      assert.equal(pipeline.outputs.has(first.id), false);

      await proxy.open();
      const output = await pipeline.waitForOutput(first.id, 180_000);
      assert.equal(output.value.text, first.text);
      await eventually('/readyz green', async () => (await readiness(metricsUrl)).status === 200, { timeoutMs: 60_000 });

      const second = { id: `${run}-2`, type: 1, text: 'and the next one' };
      await pipeline.produce([second]);
      await pipeline.waitForOutput(second.id, 120_000);

      // The outage shows as the check's failure; neither kafkajs's line for each attempt it
      // retried nor the worker's "Activity failed" for each publish attempt is a warning.
      const noise = lines.filter(
        (line) => line.level >= 40 && (line.kafka !== undefined || /^KafkaJS/.test(String((line.error as { type?: string } | undefined)?.type))),
      );
      assert.deepEqual(noise.map((line) => `${String(line.kafka ?? line.source)}: ${line.msg}`), []);
    });
  });
}
