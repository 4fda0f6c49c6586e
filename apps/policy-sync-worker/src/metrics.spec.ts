import { MetricsRegistry } from '@ci-connector/platform-observability';
import { ProvidersApiError, TokenError } from '@ci-connector/ci-api';
import type { PolicyMeta, PolicyStore } from '@ci-connector/recording-policy';
import { apiFailureReason, PolicySyncMetrics, recordedFailureReason } from './metrics';
import type { DirectoryUser } from './sync/ports';
import type { WorkerStatus } from './status/status-service';

const registries: MetricsRegistry[] = [];
afterAll(() => Promise.all(registries.map((r) => r.shutdown())));

function make(now = () => 0): PolicySyncMetrics {
  const r = new MetricsRegistry({ serviceName: 'policy-sync-worker', host: '127.0.0.1', port: 0, processMetrics: false });
  registries.push(r);
  return new PolicySyncMetrics(r, { now });
}

function store(commit: () => Promise<PolicyMeta>): PolicyStore & { failures: string[] } {
  const failures: string[] = [];
  return {
    failures,
    begin: async () => ({ version: 'v1', add: async () => undefined, abort: async () => undefined, commit }),
    meta: async (tenantId) => ({ tenantId }),
    drop: async () => undefined,
    recordFailure: async (tenantId, error) => {
      failures.push(`${tenantId}: ${error}`);
    },
  };
}

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `));

describe('PolicySyncMetrics', () => {
  it('a list going live counts a sync, its users and its duration', async () => {
    let t = 1000;
    const m = make(() => t);
    const policies = m.meteredPolicies(store(async () => ({ tenantId: 't1', version: 'v1' })));
    const writer = await policies.begin('t1');
    expect(writer.version).toBe('v1');
    t += 2500;
    await writer.commit({ users: 42 });
    const text = await m.registry.text();
    expect(line(text, 'cic_policy_syncs_total{result="synced"}')).toBe('cic_policy_syncs_total{result="synced"} 1');
    expect(line(text, 'cic_policy_users_synced_total')).toBe('cic_policy_users_synced_total 42');
    expect(line(text, 'cic_policy_sync_duration_seconds_bucket{le="2.5"}')).toBe('cic_policy_sync_duration_seconds_bucket{le="2.5"} 1');
    expect(line(text, 'cic_policy_sync_duration_seconds_bucket{le="1"}')).toBe('cic_policy_sync_duration_seconds_bucket{le="1"} 0');
  });

  it('a newer list live meanwhile counts superseded (and the error still reaches the sync)', async () => {
    const m = make();
    const conflict = Object.assign(new Error('newer live'), { name: 'PolicyVersionConflictError' });
    const writer = await m.meteredPolicies(store(() => Promise.reject(conflict))).begin('t1');
    await expect(writer.commit({ users: 1 })).rejects.toBe(conflict);
    expect(line(await m.registry.text(), 'cic_policy_syncs_total{result="superseded"}')).toBe('cic_policy_syncs_total{result="superseded"} 1');
  });

  it('a failed sync is counted by what the providers API or Entra ID failed with, else by the recorded text', async () => {
    const m = make();
    const s = store(async () => ({ tenantId: 't' }));
    const policies = m.meteredPolicies(s);
    const throttled = new ProvidersApiError({ code: 'throttled', message: '429', operation: 'GET /api/v1.0/providers/users', retryable: true });
    const source = m.meteredUsers({
      listUsers: (tenantId) =>
        (async function* (): AsyncGenerator<readonly DirectoryUser[]> {
          yield [{ id: 'u1' }];
          if (tenantId === 't1') throw throttled;
        })(),
    });
    const pages: number[] = [];
    await expect(
      (async () => {
        for await (const p of source.listUsers('t1')) pages.push(p.length);
      })(),
    ).rejects.toBe(throttled);
    expect(pages).toEqual([1]);
    await policies.recordFailure('t1', 'ProvidersApiError: 429', new Date());
    await policies.recordFailure('t2', 'lost the lease (another replica may be syncing this tenant)', new Date());
    await policies.recordFailure('t3', 'shutting down', new Date());
    expect(s.failures).toHaveLength(3);
    const text = await m.registry.text();
    expect(line(text, 'cic_policy_sync_failures_total{reason="providers_throttled"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_policy_sync_failures_total{reason="lease_lost"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_policy_syncs_total{result="failed"}')).toMatch(/ 2$/);
  });

  it('labels API and recorded failures with closed sets', () => {
    expect(apiFailureReason(new TokenError({ code: 'consent-missing', message: 'AADSTS65001', tenantId: 't', clientId: 'c', retryable: false } as never))).toBe('token_consent_missing');
    expect(apiFailureReason(new Error('x'))).toBeUndefined();
    expect(recordedFailureReason('Connection is closed.')).toBe('redis');
    expect(recordedFailureReason('could not renew the lease for 120000 ms')).toBe('lease_lost');
    expect(recordedFailureReason('TypeError: x is undefined')).toBe('other');
  });

  it('reads each tenant\'s last sync time and staleness from the status at scrape time', async () => {
    const m = make();
    const row = (tenantId: string, over: Partial<WorkerStatus['tenants'][number]>) => ({ tenantId, displayName: tenantId, state: 'registered' as const, defaultCountry: 'GB', ageSeconds: null, syncing: false, failures: 0, stale: false, ...over });
    const status: WorkerStatus = {
      workerId: 'w1',
      at: new Date(0).toISOString(),
      degraded: true,
      degradedAfterSeconds: 900,
      intervalSeconds: 300,
      syncing: 1,
      tenants: [row('t1', { syncedAt: '2026-01-01T00:00:00.000Z', ageSeconds: 10 }), row('t2', { stale: true }), row('t3', { state: 'pending' })],
    };
    m.observe({ status: async () => status }, { inFlight: 1 });
    const text = await m.registry.text();
    expect(line(text, 'cic_policy_last_sync_timestamp_seconds{tenant_id="t1"}')).toBe(`cic_policy_last_sync_timestamp_seconds{tenant_id="t1"} ${Date.parse('2026-01-01T00:00:00Z') / 1000}`);
    expect(text).not.toContain('cic_policy_last_sync_timestamp_seconds{tenant_id="t2"}');
    expect(line(text, 'cic_policy_tenant_stale{tenant_id="t2"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_policy_tenant_stale{tenant_id="t1"}')).toMatch(/ 0$/);
    expect(text).not.toContain('cic_policy_tenant_stale{tenant_id="t3"}');
    expect(line(text, 'cic_policy_degraded')).toBe('cic_policy_degraded 1');
    expect(line(text, 'cic_policy_syncs_in_flight')).toBe('cic_policy_syncs_in_flight 1');
  });
});
