/**
 * The Grafana dashboard for crawlflow's metrics (infra/metrics/metrics.ts) and the Temporal
 * SDK's, as code: `npm run ops:dashboard` writes ops/grafana/crawlflow-dashboard.json, and a
 * test checks the file is up to date and names only metrics crawlflow defines.
 *
 * Import the JSON in Grafana (Dashboards → New → Import) and pick the Prometheus data source
 * that scrapes the processes (docs/operations.md lists their ports).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const DASHBOARD_PATH = resolve(__dirname, 'crawlflow-dashboard.json');

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const RATE = '[$__rate_interval]';

interface Target {
  expr: string;
  legend: string;
}

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  /** Grid width in Grafana's 24 columns. @default 8 */
  width?: number;
  /** `stat` for a single number. @default timeseries */
  type?: 'timeseries' | 'stat';
}

const rate = (metric: string, by = '', where = '') => `sum${by ? ` by (${by})` : ''} (rate(${metric}${where ? `{${where}}` : ''}${RATE}))`;
const quantile = (q: number, histogram: string, by = '', where = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${histogram}_bucket${where ? `{${where}}` : ''}${RATE})))`;

const ROWS: Array<{ title: string; panels: PanelSpec[] }> = [
  {
    title: 'Pipeline: Kafka → workflows → Kafka',
    panels: [
      {
        title: 'Throughput',
        description: 'Records the bridge consumed, workflows it started, messages tagged and published, per second.',
        unit: 'short',
        targets: [
          { expr: rate('crawlflow_bridge_records_consumed_total'), legend: 'consumed' },
          { expr: rate('crawlflow_bridge_workflows_started_total', '', 'result="started"'), legend: 'workflows started' },
          { expr: rate('crawlflow_messages_tagged_total'), legend: 'tagged' },
          { expr: rate('crawlflow_messages_published_total'), legend: 'published' },
        ],
      },
      {
        title: 'Bridge consumer lag',
        description: "Records between the bridge group's committed offset and the log end. Healthy: near 0, back to 0 after a burst.",
        unit: 'short',
        targets: [{ expr: 'sum by (partition) (max by (topic, partition) (crawlflow_bridge_consumer_lag_messages))', legend: 'partition {{partition}}' }],
      },
      {
        title: 'Failures by kind',
        description: 'Failures recorded for good (after retries), per second. Each one is also an alert.',
        unit: 'short',
        targets: [{ expr: rate('crawlflow_failures_total', 'kind'), legend: '{{kind}}' }],
      },
      {
        title: 'Dead-lettered records by reason',
        description: 'Records that were not valid messages, sent to the dead-letter topic.',
        unit: 'short',
        targets: [{ expr: rate('crawlflow_bridge_dead_letters_total', 'reason'), legend: '{{reason}}' }],
      },
      {
        title: 'Workflow starts that were re-deliveries',
        description: 'Starts answered "already started": records Kafka delivered again after a restart. Counted as success.',
        unit: 'short',
        targets: [{ expr: rate('crawlflow_bridge_workflows_started_total', '', 'result="already_started"'), legend: 'already started' }],
      },
      {
        title: 'Eager starts',
        description:
          "Starts the bridge asked to be eager (TEMPORAL_EAGER_START): 'eager' ran the run's first workflow task in the bridge's own workflows worker; 'fallback' was an ordinary start (its worker had no free slot). Healthy: mostly eager.",
        unit: 'short',
        targets: [{ expr: rate('crawlflow_bridge_eager_starts_total', 'result'), legend: '{{result}}' }],
      },
      {
        title: 'Alerts waiting to be mailed',
        description: 'Alerts recorded and not yet in a digest mail. Growing while SMTP is down; drains when it is back.',
        unit: 'short',
        type: 'stat',
        targets: [{ expr: 'max(crawlflow_alerts_waiting)', legend: 'waiting' }],
      },
    ],
  },
  {
    title: 'Fetch (io queue)',
    panels: [
      {
        title: 'Fetches by outcome',
        description: 'Fetch attempts per second: ok, timeout, http_error, too_large, not_html, refused, invalid_url, network_error.',
        unit: 'short',
        targets: [{ expr: rate('crawlflow_fetches_total', 'outcome'), legend: '{{outcome}}' }],
      },
      {
        title: 'Fetch latency (successful)',
        description: 'Time of one successful fetch attempt.',
        unit: 's',
        targets: [
          { expr: quantile(0.5, 'crawlflow_fetch_duration_seconds', '', 'outcome="ok"'), legend: 'p50' },
          { expr: quantile(0.9, 'crawlflow_fetch_duration_seconds', '', 'outcome="ok"'), legend: 'p90' },
          { expr: quantile(0.99, 'crawlflow_fetch_duration_seconds', '', 'outcome="ok"'), legend: 'p99' },
        ],
      },
      {
        title: 'Bytes fetched',
        description: 'Page bytes received per second.',
        unit: 'Bps',
        targets: [{ expr: rate('crawlflow_fetched_bytes_total'), legend: 'bytes/s' }],
      },
      {
        title: 'Page text by extraction method',
        description: 'Fetched pages per second whose text is the article alone (article) or all of the page (full_text: listings, short pages, timeouts).',
        unit: 'short',
        targets: [{ expr: rate('crawlflow_extractions_total', 'method'), legend: '{{method}}' }],
      },
    ],
  },
  {
    title: 'Tagging (cpu queue)',
    panels: [
      {
        title: 'Tagging latency',
        description: 'Time to tag one message on the worker threads.',
        unit: 's',
        targets: [
          { expr: quantile(0.5, 'crawlflow_tagging_duration_seconds'), legend: 'p50' },
          { expr: quantile(0.99, 'crawlflow_tagging_duration_seconds'), legend: 'p99' },
        ],
      },
      {
        title: 'Tagger pool utilisation',
        description: 'Share of worker-thread time spent tagging. Near 1 for long: add cores or cpu workers.',
        unit: 'percentunit',
        targets: [{ expr: 'max by (process) (crawlflow_tagger_pool_utilization_ratio)', legend: '{{process}}' }],
      },
      {
        title: 'Tagging tasks queued for a thread',
        description: 'Tagging tasks waiting for a free worker thread.',
        unit: 'short',
        targets: [{ expr: 'sum by (process) (crawlflow_tagger_pool_queued_tasks)', legend: '{{process}}' }],
      },
    ],
  },
  {
    title: 'Ingest, generators and alert mail',
    panels: [
      {
        title: 'URIs ingested by outcome',
        description: 'URIs received by ingest (web, API, CLI) per second: accepted, duplicate, invalid, failed.',
        unit: 'short',
        targets: [{ expr: rate('crawlflow_uris_ingested_total', 'outcome'), legend: '{{outcome}}' }],
      },
      {
        title: 'Generator runs by outcome',
        description: 'Generator script runs finished, per hour.',
        unit: 'short',
        targets: [{ expr: 'sum by (outcome) (increase(crawlflow_generator_runs_total[1h]))', legend: '{{outcome}}' }],
      },
      {
        title: 'Generator run time',
        description: 'Wall time of one generator script run.',
        unit: 's',
        targets: [
          { expr: quantile(0.5, 'crawlflow_generator_run_duration_seconds'), legend: 'p50' },
          { expr: quantile(0.9, 'crawlflow_generator_run_duration_seconds'), legend: 'p90' },
        ],
      },
      {
        title: 'URIs printed by generators',
        description: 'URIs generator scripts printed, per second, by outcome.',
        unit: 'short',
        targets: [{ expr: rate('crawlflow_generator_uris_total', 'outcome'), legend: '{{outcome}}' }],
      },
      {
        title: 'Alert mail',
        description: 'Alerts mailed and digest mails sent, per hour.',
        unit: 'short',
        targets: [
          { expr: 'sum(increase(crawlflow_alerts_sent_total[1h]))', legend: 'alerts mailed' },
          { expr: 'sum(increase(crawlflow_alert_digests_sent_total[1h]))', legend: 'digest mails' },
        ],
      },
    ],
  },
  {
    title: 'Temporal workers (SDK metrics)',
    panels: [
      {
        title: 'Task-queue backlog',
        description: 'Tasks waiting in each queue for a worker, as the Temporal server estimates (read by the workers of that queue).',
        unit: 'short',
        targets: [{ expr: 'max by (task_queue) (crawlflow_task_queue_backlog_tasks)', legend: '{{task_queue}}' }],
      },
      {
        title: 'Oldest waiting task',
        description: 'Age of the oldest task waiting in each queue. Growing: the queue is not keeping up.',
        unit: 's',
        targets: [{ expr: 'max by (task_queue) (crawlflow_task_queue_backlog_age_seconds)', legend: '{{task_queue}}' }],
      },
      {
        title: 'Waiting for a worker (schedule-to-start p99)',
        description: 'How long tasks wait in their queue before a worker takes them. Growing: the queue needs more workers or slots.',
        unit: 's',
        targets: [
          { expr: quantile(0.99, 'temporal_workflow_task_schedule_to_start_latency_seconds', 'task_queue'), legend: 'workflow tasks {{task_queue}}' },
          { expr: quantile(0.99, 'temporal_activity_schedule_to_start_latency_seconds', 'task_queue'), legend: 'activities {{task_queue}}' },
        ],
      },
      {
        title: 'Task slots in use',
        description: 'Workflow and activity task slots busy per queue (the rest are available).',
        unit: 'short',
        targets: [{ expr: 'sum by (task_queue, worker_type) (temporal_worker_task_slots_used)', legend: '{{task_queue}} {{worker_type}}' }],
      },
      {
        title: 'Activity execution latency p99',
        description: 'Time activities take once started, by type.',
        unit: 's',
        targets: [{ expr: quantile(0.99, 'temporal_activity_execution_latency_seconds', 'activity_type'), legend: '{{activity_type}}' }],
      },
      {
        title: 'Activity attempts that failed',
        description: 'Failed activity attempts per second, by type (retried ones included).',
        unit: 'short',
        targets: [{ expr: rate('temporal_activity_execution_failed_total', 'activity_type'), legend: '{{activity_type}}' }],
      },
      {
        title: 'Workflows completed and failed',
        description: 'Workflow runs that ended, per second.',
        unit: 'short',
        targets: [
          { expr: rate('temporal_workflow_completed_total', 'workflow_type'), legend: 'completed {{workflow_type}}' },
          { expr: rate('temporal_workflow_failed_total', 'workflow_type'), legend: 'failed {{workflow_type}}' },
        ],
      },
      {
        title: 'Pollers',
        description: 'Pollers per queue and kind. 0 on a queue: nothing will run there.',
        unit: 'short',
        targets: [{ expr: 'sum by (task_queue, poller_type) (temporal_num_pollers)', legend: '{{task_queue}} {{poller_type}}' }],
      },
    ],
  },
  {
    title: 'Processes',
    panels: [
      {
        title: 'Memory (resident)',
        description: 'Resident memory per crawlflow process.',
        unit: 'bytes',
        targets: [{ expr: 'max by (process) (process_resident_memory_bytes)', legend: '{{process}}' }],
      },
      {
        title: 'CPU',
        description: 'CPU time used per second by each process (1 = one core).',
        unit: 'short',
        targets: [{ expr: rate('process_cpu_seconds_total', 'process'), legend: '{{process}}' }],
      },
      {
        title: 'Event-loop lag p99',
        description: "Delay of each process's event loop. High on a worker: it polls and heartbeats late.",
        unit: 's',
        targets: [{ expr: 'max by (process) (nodejs_eventloop_lag_p99_seconds)', legend: '{{process}}' }],
      },
    ],
  },
];

/** The dashboard model Grafana imports. */
export function buildDashboard(): Record<string, unknown> {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    for (const spec of row.panels) {
      const width = spec.width ?? 8;
      if (x + width > 24) {
        x = 0;
        y += 8;
      }
      panels.push(panelOf(spec, id++, { h: 8, w: width, x, y }));
      x += width;
    }
    y += 8;
  }
  return {
    __inputs: [{ name: 'DS_PROMETHEUS', label: 'Prometheus', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' }],
    title: 'crawlflow',
    uid: 'crawlflow-overview',
    description: 'crawlflow: pipeline throughput and failures, fetch, tagging, ingest, generators, alerts, and the Temporal workers (docs/operations.md).',
    tags: ['crawlflow', 'temporal'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }],
    },
    annotations: { list: [] },
    panels,
  };
}

function panelOf(spec: PanelSpec, id: number, gridPos: { h: number; w: number; x: number; y: number }): Record<string, unknown> {
  const type = spec.type ?? 'timeseries';
  return {
    id,
    type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        ...(type === 'timeseries' ? { custom: { lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: true } } : {}),
      },
      overrides: [],
    },
    options:
      type === 'timeseries'
        ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } }
        : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area' },
    targets: spec.targets.map((target, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: DATASOURCE,
      expr: target.expr,
      legendFormat: target.legend,
      range: true,
    })),
  };
}

export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(DASHBOARD_PATH, dashboardJson());
  process.stdout.write(`${DASHBOARD_PATH}\n`);
}
