import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { labelProcessMetrics, metricsRegistry } from '../../infra/metrics/metrics';
import { DASHBOARD_PATH, buildDashboard, dashboardJson } from '../../ops/grafana/dashboard';

/** Metric names an expression reads (crawlflow's and Node's own; the SDK's are checked by the worker test's scrape). */
function ownMetricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:crawlflow|process|nodejs)_[a-z0-9_]+)/g)].map((match) => (match[1] ?? '').replace(/_(bucket|sum|count)$/, ''));
}

describe('the Grafana dashboard', () => {
  const panels = (buildDashboard().panels as Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>).filter((panel) => panel.type !== 'row');
  const expressions = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

  it('is the file in the repository (run `npm run ops:dashboard` after changing ops/grafana/dashboard.ts)', () => {
    assert.equal(readFileSync(DASHBOARD_PATH, 'utf8'), dashboardJson());
  });

  it('reads only metrics crawlflow defines, and shows every one of them', () => {
    labelProcessMetrics('dashboard-test');
    const defined = new Set(metricsRegistry.getMetricsAsArray().map((metric) => metric.name));
    const used = new Set(expressions.flatMap(ownMetricNames));
    assert.deepEqual([...used].filter((name) => !defined.has(name)), [], 'every metric on the dashboard exists');
    assert.deepEqual(
      [...defined].filter((name) => name.startsWith('crawlflow_') && !used.has(name)),
      [],
      'every crawlflow metric is on the dashboard',
    );
  });

  it('docs/operations.md documents every crawlflow metric', () => {
    const docs = readFileSync(resolve(__dirname, '../../docs/operations.md'), 'utf8');
    const names = metricsRegistry.getMetricsAsArray().map((metric) => metric.name).filter((name) => name.startsWith('crawlflow_'));
    assert.deepEqual(names.filter((name) => !docs.includes(`\`${name}\``)), []);
  });

  it('gives every panel a title, a description and at least one query', () => {
    for (const panel of panels) {
      assert.ok(panel.title && (panel as { description?: string }).description, `panel ${panel.title}`);
      assert.ok((panel.targets ?? []).length > 0, `panel ${panel.title} has queries`);
    }
  });
});
