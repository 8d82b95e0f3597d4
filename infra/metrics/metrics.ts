import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withTimeout } from './timeout';

/**
 * Every crawlflow metric, in one place, so names stay consistent and a dashboard can rely on
 * them. Each process imports `metrics` and calls it where the work happens
 * (`metrics.bridgeRecordsConsumed.inc()`, `const done = metrics.fetchDuration.startTimer()`);
 * the process's metrics server (`./server`) exposes `metricsRegistry` on `/metrics`.
 *
 * Names follow Prometheus conventions: `crawlflow_` prefix, base units (seconds, bytes),
 * `_total` on counters. Label values are short snake_case words; the suggested values are
 * listed on each metric — keep the set small and fixed (never an id or a URL in a label).
 * These names are a contract with `ops/grafana/crawlflow-dashboard.json`: rename both or neither.
 */

/** The one registry of this process. Metrics register here, never in prom-client's global one. */
export const metricsRegistry = new Registry();

/** Seconds buckets for network work: a fetch, a publish (10 ms … 60 s). */
const NETWORK_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds buckets for CPU work on one message (1 ms … 10 s). */
const CPU_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Seconds buckets for a generator script run (100 ms … 1 h). */
const RUN_SECONDS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

type GaugeSource = () => number | Promise<number>;
const gaugeSources = new WeakMap<Gauge<string>, GaugeSource>();
/** A scrape never waits longer than this for a gauge's source (e.g. a MongoDB count). */
const GAUGE_SOURCE_TIMEOUT_MS = 1_000;

/**
 * A gauge whose value is read when Prometheus scrapes, from a source set with `observeGauge`.
 * A source that fails or is slow reads as NaN (a gap on the dashboard), never a failed scrape.
 */
function sourcedGauge(name: string, help: string): Gauge {
  return new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    async collect() {
      const source = gaugeSources.get(this);
      if (!source) return;
      try {
        this.set(await withTimeout(Promise.resolve(source()), GAUGE_SOURCE_TIMEOUT_MS));
      } catch {
        this.set(Number.NaN);
      }
    },
  });
}

/** Values of a labelled gauge, read at scrape time: one entry per series. */
export type LabelledGaugeSource = () => Promise<Array<{ labels: Record<string, string>; value: number }>>;
const labelledSources = new WeakMap<Gauge<string>, LabelledGaugeSource>();

/**
 * A labelled gauge whose series are read when Prometheus scrapes, from a source set with
 * `observeLabelledGauge`. Series the source no longer reports disappear; a source that fails
 * or is slow keeps the last values rather than fail the scrape.
 */
function labelledGauge<Label extends string>(name: string, help: string, labelNames: Label[]): Gauge<Label> {
  return new Gauge<Label>({
    name,
    help,
    labelNames,
    registers: [metricsRegistry],
    async collect() {
      const source = labelledSources.get(this as unknown as Gauge<string>);
      if (!source) return;
      try {
        const series = await withTimeout(source(), GAUGE_SOURCE_TIMEOUT_MS * 2);
        this.reset();
        for (const { labels, value } of series) this.set(labels as Partial<Record<Label, string>>, value);
      } catch {
        // keep the last values
      }
    },
  });
}

function counter<Label extends string = never>(name: string, help: string, labelNames: Label[] = []): Counter<Label> {
  return new Counter<Label>({ name, help, labelNames, registers: [metricsRegistry] });
}

function histogram<Label extends string = never>(
  name: string,
  help: string,
  buckets: number[],
  labelNames: Label[] = [],
): Histogram<Label> {
  return new Histogram<Label>({ name, help, buckets, labelNames, registers: [metricsRegistry] });
}

export const metrics = {
  // ── Bridge (`crawlflow bridge`) ───────────────────────────────────────────────────────
  /** Kafka records the bridge read from the input topic (valid or not). */
  bridgeRecordsConsumed: counter('crawlflow_bridge_records_consumed_total', 'Kafka records consumed by the bridge'),
  /**
   * Workflow starts the bridge asked for. `result`: `started` | `already_started` (a
   * re-delivered record whose workflow exists: counts as success).
   */
  bridgeWorkflowsStarted: counter('crawlflow_bridge_workflows_started_total', 'Workflows started by the bridge, one per record', [
    'result',
  ]),
  /**
   * Starts the bridge asked to be eager (TEMPORAL_EAGER_START). `result`: `eager` (the first
   * workflow task ran in the bridge's own workflows worker) | `fallback` (an ordinary start:
   * no free slot, or the server declined).
   */
  bridgeEagerStarts: counter('crawlflow_bridge_eager_starts_total', 'Bridge starts that asked for eager start, by whether they got it', ['result']),
  /**
   * Records sent to the dead-letter topic. `reason`: `invalid_json` | `not_an_object` |
   * `invalid_utf8` | `too_large` | … (a short fixed word per rejection rule).
   */
  bridgeDeadLetters: counter('crawlflow_bridge_dead_letters_total', 'Records dead-lettered by the bridge, by reason', ['reason']),
  /**
   * Records behind the log end, per partition of the input topic, read from Kafka at scrape
   * time (`serveProcessHealth(…, { consumerLag: true })` sets the source).
   */
  bridgeConsumerLag: labelledGauge(
    'crawlflow_bridge_consumer_lag_messages',
    "Records between the bridge's committed offset and the log end, per partition",
    ['topic', 'partition'],
  ),

  // ── Task queues, as the Temporal server sees them (worker processes, their own queues) ──
  /** Tasks waiting in each task queue for a worker (DescribeTaskQueue's approximate backlog). */
  taskQueueBacklog: labelledGauge('crawlflow_task_queue_backlog_tasks', 'Tasks waiting in the task queue, as the Temporal server estimates', [
    'task_queue',
  ]),
  /** Age of the oldest task waiting in each task queue, in seconds. */
  taskQueueBacklogAge: labelledGauge(
    'crawlflow_task_queue_backlog_age_seconds',
    'Age of the oldest task waiting in the task queue, as the Temporal server estimates',
    ['task_queue'],
  ),

  // ── Fetch activity (io queue) ─────────────────────────────────────────────────────────
  /**
   * Fetch attempts by `outcome`: `ok` | `timeout` | `http_error` | `too_large` |
   * `not_html` | `refused` (SSRF guard) | `invalid_url` | `network_error`.
   */
  fetches: counter('crawlflow_fetches_total', 'Fetch attempts by outcome', ['outcome']),
  /** Duration of one fetch attempt, by the same `outcome`. */
  fetchDuration: histogram('crawlflow_fetch_duration_seconds', 'Duration of one fetch attempt', NETWORK_SECONDS, ['outcome']),
  /** Body bytes received by fetches (after decoding, before text extraction). */
  fetchedBytes: counter('crawlflow_fetched_bytes_total', 'Bytes of page bodies fetched'),
  /** Pages whose text was taken, by `method`: `article` (main content) | `full_text` (fallback). */
  extractions: counter('crawlflow_extractions_total', 'Fetched pages by how their text was taken', ['method']),

  // ── Tag activity (cpu queue) ──────────────────────────────────────────────────────────
  /** Messages the tagger finished. */
  messagesTagged: counter('crawlflow_messages_tagged_total', 'Messages tagged'),
  /** Time to tag one message, measured around the worker-thread call. */
  taggingDuration: histogram('crawlflow_tagging_duration_seconds', 'Time to tag one message', CPU_SECONDS),
  /** Share of the tagging worker threads busy, 0–1 (piscina's `utilization`): `observeGauge` it. */
  taggerPoolUtilization: sourcedGauge('crawlflow_tagger_pool_utilization_ratio', 'Share of tagging worker-thread time spent busy (0-1)'),
  /** Tagging tasks waiting for a free worker thread: `observeGauge` it (piscina's `queueSize`). */
  taggerPoolQueued: sourcedGauge('crawlflow_tagger_pool_queued_tasks', 'Tagging tasks waiting for a free worker thread'),

  // ── Publish activity (io queue) ───────────────────────────────────────────────────────
  /** Tagged messages the output topic acknowledged. */
  messagesPublished: counter('crawlflow_messages_published_total', 'Tagged messages published to the output topic'),

  // ── Failures and alerts ───────────────────────────────────────────────────────────────
  /**
   * Failures recorded for good (after retries), by `kind` — the alert kinds:
   * `fetch_failed` | `tag_failed` | `publish_failed` | `message_failed` | `dead_letter` |
   * `generator_failed` | `generator_no_uris`.
   */
  failures: counter('crawlflow_failures_total', 'Failures recorded for good, by kind', ['kind']),
  /** Alerts included in a digest mail that the SMTP relay accepted. */
  alertsSent: counter('crawlflow_alerts_sent_total', 'Alerts mailed in a digest'),
  /** Digest mails the SMTP relay accepted. */
  alertDigestsSent: counter('crawlflow_alert_digests_sent_total', 'Alert digest mails sent'),
  /** Alerts recorded and not yet mailed (read from MongoDB at scrape time: `observeGauge`). */
  alertsWaiting: sourcedGauge('crawlflow_alerts_waiting', 'Alerts recorded and not yet mailed'),

  // ── URI ingest (web, CLI) and generators (sandbox queue) ──────────────────────────────
  /** URIs received by ingest, by `outcome`: `accepted` | `duplicate` | `invalid` | `failed`. */
  urisIngested: counter('crawlflow_uris_ingested_total', 'URIs received by ingest, by outcome', ['outcome']),
  /** Generator script runs by `outcome`: `ok` | `no_uris` | `failed` | `timed_out` | `killed`. */
  generatorRuns: counter('crawlflow_generator_runs_total', 'Generator script runs, by outcome', ['outcome']),
  /** Wall time of one generator script run, by the same `outcome`. */
  generatorRunDuration: histogram('crawlflow_generator_run_duration_seconds', 'Wall time of one generator run', RUN_SECONDS, [
    'outcome',
  ]),
  /** URIs generator scripts printed, by `outcome`: `accepted` | `duplicate` | `invalid`. */
  generatorUris: counter('crawlflow_generator_uris_total', 'URIs printed by generator scripts, by outcome', ['outcome']),
} as const;

export type CrawlflowMetrics = typeof metrics;

/**
 * Makes a gauge read its value from `source` at each scrape (e.g. a pool's utilisation, a
 * MongoDB count). A later call replaces the earlier source; `undefined` detaches it.
 */
export function observeGauge(gauge: Gauge<string>, source: GaugeSource | undefined): void {
  if (source) gaugeSources.set(gauge, source);
  else gaugeSources.delete(gauge);
}

/** Makes a labelled gauge read its series from `source` at each scrape; `undefined` detaches it. */
export function observeLabelledGauge(gauge: Gauge<string>, source: LabelledGaugeSource | undefined): void {
  if (source) labelledSources.set(gauge, source);
  else labelledSources.delete(gauge);
}

let processMetricsStarted = false;

/**
 * Adds Node's own metrics (CPU, memory, event-loop lag, GC) and a `process` label naming this
 * crawlflow process to every series. Called once by the metrics server.
 */
export function labelProcessMetrics(processName: string): void {
  metricsRegistry.setDefaultLabels({ process: processName });
  if (processMetricsStarted) return;
  processMetricsStarted = true;
  collectDefaultMetrics({ register: metricsRegistry });
}
