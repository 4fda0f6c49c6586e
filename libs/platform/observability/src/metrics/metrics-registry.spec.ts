import { metric } from './metric-def';
import { MetricsRegistry } from './metrics-registry';
import { METRIC_CATALOGUE, PROCESS_METRICS } from './catalogue';

const registries: MetricsRegistry[] = [];
function registry(extra: Partial<ConstructorParameters<typeof MetricsRegistry>[0]> = {}): MetricsRegistry {
  const r = new MetricsRegistry({ serviceName: 'svc-under-test', serviceVersion: '1.2.3', region: 'uksouth', host: '127.0.0.1', port: 0, processMetrics: false, ...extra });
  registries.push(r);
  return r;
}
afterAll(async () => {
  await Promise.all(registries.map((r) => r.shutdown()));
});

/** The sample lines of one metric name (`name{labels} value`), without HELP/TYPE. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('MetricsRegistry', () => {
  it('counts by label set, in Prometheus text with HELP and TYPE', async () => {
    const r = registry();
    const calls = r.counter(metric({ name: 'test_calls_total', kind: 'counter', help: 'Calls by outcome', labels: ['outcome'] }));
    calls.inc({ outcome: 'answered' });
    calls.inc({ outcome: 'answered' });
    calls.inc({ outcome: 'failed' }, 3);
    calls.inc({ outcome: 'failed' }, -1); // never goes down
    const text = await r.text();
    expect(text).toContain('# HELP test_calls_total Calls by outcome\n# TYPE test_calls_total counter\n');
    expect(samples(text, 'test_calls_total').sort()).toEqual(['test_calls_total{outcome="answered"} 2', 'test_calls_total{outcome="failed"} 3']);
  });

  it('shows a counter without labels at 0 before anything happened (so rate() and absent() work from the start)', async () => {
    const r = registry();
    r.counter(metric({ name: 'test_users_total', kind: 'counter', help: 'Users', labels: [] }));
    expect(samples(await r.text(), 'test_users_total')).toEqual(['test_users_total 0']);
  });

  it('bounds label combinations: past maxSeries new ones go to one "other" series, reported once', async () => {
    const overflowed: string[] = [];
    const r = registry({ onSeriesOverflow: (name, max) => overflowed.push(`${name}:${max}`) });
    const c = r.counter(metric({ name: 'test_bounded_total', kind: 'counter', help: 'Bounded', labels: ['recorder', 'reason'], maxSeries: 2 }));
    c.inc({ recorder: 'a:5061', reason: 'x' });
    c.inc({ recorder: 'b:5061', reason: 'x' });
    for (let i = 0; i < 5; i++) c.inc({ recorder: `c${i}:5061`, reason: 'x' });
    c.inc({ recorder: 'a:5061', reason: 'x' });
    expect(samples(await r.text(), 'test_bounded_total').sort()).toEqual([
      'test_bounded_total{recorder="a:5061",reason="x"} 2',
      'test_bounded_total{recorder="b:5061",reason="x"} 1',
      'test_bounded_total{recorder="other",reason="other"} 5',
    ]);
    expect(overflowed).toEqual(['test_bounded_total:2']);
  });

  it('escapes label values and clips long ones', async () => {
    const r = registry();
    const c = r.counter(metric({ name: 'test_escaped_total', kind: 'counter', help: 'Escaped', labels: ['reason'] }));
    c.inc({ reason: 'a "quoted"\nline' });
    c.inc({ reason: 'x'.repeat(500) });
    const lines = samples(await r.text(), 'test_escaped_total');
    expect(lines).toContain('test_escaped_total{reason="a \\"quoted\\"\\nline"} 1');
    expect(lines).toContain(`test_escaped_total{reason="${'x'.repeat(128)}"} 1`);
  });

  it('sets and removes gauge series', async () => {
    const r = registry();
    const g = r.gauge(metric({ name: 'test_last_sync_timestamp_seconds', kind: 'gauge', help: 'Last sync', unit: 's', labels: ['tenant_id'] }));
    g.set({ tenant_id: 't1' }, 1_700_000_000);
    g.set({ tenant_id: 't2' }, 1_700_000_100);
    g.set({ tenant_id: 't2' }, 1_700_000_200);
    g.remove({ tenant_id: 't1' });
    const text = await r.text();
    expect(text).toContain('# UNIT test_last_sync_timestamp_seconds s\n# TYPE test_last_sync_timestamp_seconds gauge');
    expect(samples(text, 'test_last_sync_timestamp_seconds')).toEqual(['test_last_sync_timestamp_seconds{tenant_id="t2"} 1700000200']);
  });

  it('records histograms into the declared buckets', async () => {
    const r = registry();
    const h = r.histogram(metric({ name: 'test_lag_seconds', kind: 'histogram', help: 'Lag', unit: 's', labels: [], buckets: [0.1, 1, 10] }));
    for (const v of [0.05, 0.5, 0.7, 5, 50, -1]) h.record({}, v);
    const text = await r.text();
    expect(text).toContain('# TYPE test_lag_seconds histogram');
    expect(samples(text, 'test_lag_seconds_bucket')).toEqual([
      'test_lag_seconds_bucket{le="0.1"} 2', // 0.05 and the negative one, clamped to 0
      'test_lag_seconds_bucket{le="1"} 4',
      'test_lag_seconds_bucket{le="10"} 5',
      'test_lag_seconds_bucket{le="+Inf"} 6',
    ]);
    expect(samples(text, 'test_lag_seconds_count')).toEqual(['test_lag_seconds_count 6']);
    expect(samples(text, 'test_lag_seconds_sum')).toEqual(['test_lag_seconds_sum 56.25']);
  });

  it('reads callback metrics at scrape time (sync and async); one that throws changes nothing that scrape, the others go on', async () => {
    const r = registry();
    let calls = 3;
    let fail = false;
    r.observe(metric({ name: 'test_active_calls', kind: 'gauge', help: 'Active', labels: [] }), () => calls);
    r.observe(metric({ name: 'test_delivered_total', kind: 'counter', help: 'Delivered', labels: ['stage'] }), async () => {
      if (fail) throw new Error('redis down');
      return [
        [{ stage: 'correlation' }, 10],
        [{ stage: 'delivery' }, 7],
      ] as const;
    });
    expect(samples(await r.text(), 'test_active_calls')).toEqual(['test_active_calls 3']);
    calls = 5;
    fail = true;
    const text = await r.text();
    expect(samples(text, 'test_active_calls')).toEqual(['test_active_calls 5']);
    // A counter keeps its last total (never a reset that rate() would take for a restart).
    expect(samples(text, 'test_delivered_total').sort()).toEqual(['test_delivered_total{stage="correlation"} 10', 'test_delivered_total{stage="delivery"} 7']);
    fail = false;
    expect(samples(await r.text(), 'test_delivered_total').sort()).toEqual(['test_delivered_total{stage="correlation"} 10', 'test_delivered_total{stage="delivery"} 7']);
  });

  it('refuses a counter not named *_total, a name registered twice, and a kind mismatch', () => {
    const r = registry();
    expect(() => r.counter(metric({ name: 'test_calls', kind: 'counter', help: 'x', labels: [] }))).toThrow('test_calls: a counter\'s name ends in _total');
    r.gauge(metric({ name: 'test_twice', kind: 'gauge', help: 'x', labels: [] }));
    expect(() => r.gauge(metric({ name: 'test_twice', kind: 'gauge', help: 'x', labels: [] }))).toThrow('test_twice is registered twice');
    expect(() => r.counter(metric({ name: 'test_kind_total', kind: 'gauge', help: 'x', labels: [] }))).toThrow('test_kind_total is a gauge, not a counter');
    expect(() => new MetricsRegistry({ serviceName: 's', host: '127.0.0.1', port: 70000 })).toThrow(RangeError);
  });

  it('with port 0 serves nothing, says so in health, and still counts', async () => {
    const r = registry();
    await r.start();
    expect(r.url).toBeUndefined();
    expect(r.health()).toEqual({ ok: true, off: true });
  });

  it('describes the service in target_info (name, version, region)', async () => {
    const text = await registry().text();
    expect(text).toMatch(/^target_info\{[^}]*service_name="svc-under-test"[^}]*\} 1$/m);
    expect(text).toMatch(/^target_info\{[^}]*service_version="1\.2\.3"[^}]*ci_region="uksouth"[^}]*\} 1$/m);
  });

  it('adds the process metrics unless told not to', async () => {
    const text = await registry({ processMetrics: true }).text();
    for (const def of Object.values(PROCESS_METRICS)) expect(samples(text, def.name)).toHaveLength(1);
    const [cpu] = samples(text, 'process_cpu_seconds_total');
    expect(Number(cpu?.split(' ')[1])).toBeGreaterThan(0);
  });
});

describe('the metric catalogue', () => {
  const all = Object.entries(METRIC_CATALOGUE).flatMap(([component, defs]) => Object.values(defs).map((d) => ({ component, ...d })));

  it('names every metric once, in Prometheus style, counters ending in _total, with help', () => {
    const names = all.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of all) {
      expect(d.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(d.help.length).toBeGreaterThan(10);
      if (d.kind === 'counter') expect(d.name).toMatch(/_total$/);
      else expect(d.name).not.toMatch(/_total$/);
      if (d.kind === 'histogram') expect(d.buckets?.length).toBeGreaterThan(3);
    }
  });

  it("prefixes our apps' metrics cic_ and never labels by call, user or seller", () => {
    for (const d of all.filter((x) => !['process', 'rtpengine'].includes(x.component))) {
      expect(d.name).toMatch(/^cic_/);
      for (const label of d.labels) expect(label).not.toMatch(/call|user|seller|sip_call|event_id/);
    }
  });

  it('registers each app\'s catalogue entries without conflicts', () => {
    for (const component of ['sip-signaling', 'policy-sync-worker', 'call-events', 'widget-gateway', 'registration-service'] as const) {
      const r = registry({ processMetrics: true });
      for (const d of Object.values(METRIC_CATALOGUE[component])) {
        if (d.kind === 'counter') r.counter(d);
        else if (d.kind === 'gauge') r.gauge(d);
        else r.histogram(d);
      }
    }
  });
});
