import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { METRIC_CATALOGUE } from './catalogue';
import { seriesNames } from './metric-def';

// The chart's Grafana dashboard and the alerts of docs/operations.md may only
// query metrics the apps register (or rtpengine serves): every name in every
// query is looked up in the catalogue the apps build their instruments from.

const ROOT = join(__dirname, '../../../../..');
const DASHBOARD = join(ROOT, 'charts/ci-connector/dashboards/ci-connector.json');
const OPERATIONS = join(ROOT, 'docs/operations.md');

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);
/** Prometheus's own series (not an app's). */
const PROMETHEUS_SERIES = new Set(['up']);

/**
 * The metric names a PromQL expression selects: what is left once strings,
 * label matchers `{…}`, ranges `[…]`, grouping clauses `by (…)` and function
 * calls' names are taken out.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![A-Za-z0-9_:$.])[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)) {
    const word = m[0];
    if (m[1] === '(' || PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } };
const panels = allPanels(dashboard.panels);
const queryPanels = panels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));
const known = new Set(Object.values(METRIC_CATALOGUE).flatMap((defs) => Object.values(defs).flatMap((d) => seriesNames(d))));

describe('metricNamesIn (PromQL)', () => {
  it('finds the selected metrics, not functions, labels, ranges or keywords', () => {
    expect(metricNamesIn('sum by (reason, recorder) (rate(cic_x_total{namespace="$namespace",reason=~"a|b"}[$__rate_interval]))')).toEqual(['cic_x_total']);
    expect(metricNamesIn('time() - max by (tenant_id) (cic_policy_last_sync_timestamp_seconds{a="b"})')).toEqual(['cic_policy_last_sync_timestamp_seconds']);
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le) (rate(a_bucket[5m]))) / on (pod) group_left (x) b offset 5m')).toEqual(['a_bucket', 'b']);
    expect(metricNamesIn('sum(a{x="rate(b)"}) or vector(0) > bool 1')).toEqual(['a']);
  });
});

describe('charts/ci-connector/dashboards/ci-connector.json', () => {
  it('queries only metrics the apps register or rtpengine serves (the catalogue)', () => {
    const unknown = exprs.flatMap(({ panel, expr }) => metricNamesIn(expr).filter((n) => !known.has(n) && !PROMETHEUS_SERIES.has(n)).map((n) => `${panel}: ${n}`));
    expect(unknown).toEqual([]);
    expect(exprs.length).toBeGreaterThan(30);
  });

  it('shows what the issue asks for: active calls, recordings started/failed by reason and recorder, SRTP packets, sync age per tenant, event lag', () => {
    const used = (name: string, ...fragments: string[]) => exprs.some(({ expr }) => metricNamesIn(expr).includes(name) && fragments.every((f) => expr.includes(f)));
    expect(used('cic_sip_active_calls')).toBe(true);
    expect(used('cic_sip_recordings_started_total', 'recorder')).toBe(true);
    expect(used('cic_sip_recordings_failed_total', 'reason', 'recorder')).toBe(true);
    expect(used('rtpengine_packets_total')).toBe(true);
    expect(used('cic_policy_last_sync_timestamp_seconds', 'time() -', 'tenant_id')).toBe(true);
    expect(used('cic_widget_delivery_lag_seconds_bucket', 'histogram_quantile')).toBe(true);
  });

  it('takes the datasource as ${DS_PROMETHEUS}, and scopes every query to $namespace and $release', () => {
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars['DS_PROMETHEUS']).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars['namespace']).toMatchObject({ type: 'query' });
    expect(vars['release']).toMatchObject({ type: 'query' });
    for (const p of queryPanels) {
      expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: '${DS_PROMETHEUS}' });
      for (const t of p.targets ?? []) expect({ panel: p.title, uid: t.datasource?.uid }).toEqual({ panel: p.title, uid: '${DS_PROMETHEUS}' });
    }
    // Every selector of every query names the namespace and the release (no series of another release sneaks in).
    const unscoped = exprs.flatMap(({ panel, expr }) =>
      [...expr.matchAll(/(?<![A-Za-z0-9_:$.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?(?!\s*\()/g)]
        .filter((m) => known.has(m[1] ?? '') || PROMETHEUS_SERIES.has(m[1] ?? ''))
        .filter((m) => !(m[2] ?? '').includes('namespace="$namespace"') || !(m[2] ?? '').includes('service=~"$release-.+"'))
        .map((m) => `${panel}: ${m[0]}`),
    );
    expect(unscoped).toEqual([]);
  });

  it('is well formed: unique panel ids, every panel placed on the 24-column grid, a stable uid', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos).toBeDefined();
      expect((p.gridPos?.x ?? 0) + (p.gridPos?.w ?? 0)).toBeLessThanOrEqual(24);
    }
    expect(dashboard.uid).toBe('ci-connector');
  });
});

describe('the alerts of docs/operations.md', () => {
  const doc = readFileSync(OPERATIONS, 'utf8');
  const block = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((y) => y.includes('kind: PrometheusRule'));
  const rule = parse(block ?? '') as { apiVersion: string; kind: string; spec: { groups: { name: string; rules: { alert: string; expr: string; for?: string; labels?: Record<string, string> }[] }[] } };
  const rules = rule.spec.groups.flatMap((g) => g.rules);

  it('are one PrometheusRule whose every rule has a name, an expression and a severity', () => {
    expect(rule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const r of rules) {
      expect(r.alert).toMatch(/^CiConnector[A-Za-z]+$/);
      expect(r.expr.trim().length).toBeGreaterThan(0);
      expect(['critical', 'warning']).toContain(r.labels?.['severity']);
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('query only metrics the apps register or rtpengine serves', () => {
    const unknown = rules.flatMap((r) => metricNamesIn(r.expr).filter((n) => !known.has(n) && !PROMETHEUS_SERIES.has(n)).map((n) => `${r.alert}: ${n}`));
    expect(unknown).toEqual([]);
  });
});

