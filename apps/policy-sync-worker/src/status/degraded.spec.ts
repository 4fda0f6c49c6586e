import { tenant } from '../testing/fakes';
import { isStale, policyAgeMs, tenantSyncStatus } from './degraded';

const T = 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc';
const now = Date.parse('2026-11-29T20:00:00.000Z');
const min = 60_000;

describe('degraded computation', () => {
  it('a list younger than DEGRADED_AFTER is fine; older is stale', () => {
    const t = tenant(T);
    expect(isStale(t, { tenantId: T, syncedAt: '2026-11-29T19:50:00.000Z' }, now, 15 * min)).toBe(false);
    expect(isStale(t, { tenantId: T, syncedAt: '2026-11-29T19:45:00.000Z' }, now, 15 * min)).toBe(false);
    expect(isStale(t, { tenantId: T, syncedAt: '2026-11-29T19:44:59.000Z', lastError: 'down' }, now, 15 * min)).toBe(true);
  });

  it('never synced: stale once registered longer than DEGRADED_AFTER', () => {
    expect(isStale(tenant(T, { status: { state: 'registered', attempts: 1, registeredAt: '2026-11-29T19:55:00.000Z' } }), { tenantId: T }, now, 15 * min)).toBe(false);
    expect(isStale(tenant(T, { status: { state: 'registered', attempts: 1, registeredAt: '2026-11-29T19:00:00.000Z' } }), { tenantId: T, lastError: 'x' }, now, 15 * min)).toBe(true);
  });

  it('tenants that are not registered are never stale (they are not synced)', () => {
    expect(isStale(tenant(T, {}, 'pending'), { tenantId: T, syncedAt: '2026-01-01T00:00:00.000Z' }, now, 15 * min)).toBe(false);
    expect(isStale(tenant(T, {}, 'failed'), { tenantId: T }, now, 15 * min)).toBe(false);
  });

  it('the status row shows the age in seconds, the error and the next due time', () => {
    expect(policyAgeMs({ tenantId: T }, now)).toBeUndefined();
    const row = tenantSyncStatus(
      tenant(T),
      { tenantId: T, version: 'v7', identities: 30, users: 10, syncedAt: '2026-11-29T19:40:00.000Z', lastAttemptAt: '2026-11-29T19:59:00.000Z', lastError: 'ProvidersApiError: 503' },
      now,
      15 * min,
      { nextDueMs: now + 30_000, syncing: false, failures: 3 },
    );
    expect(row).toEqual({
      tenantId: T,
      displayName: 'Tenant c0c0',
      state: 'registered',
      defaultCountry: 'GB',
      version: 'v7',
      identities: 30,
      users: 10,
      syncedAt: '2026-11-29T19:40:00.000Z',
      ageSeconds: 1200,
      lastAttemptAt: '2026-11-29T19:59:00.000Z',
      lastError: 'ProvidersApiError: 503',
      nextDueAt: '2026-11-29T20:00:30.000Z',
      syncing: false,
      failures: 3,
      stale: true,
    });
  });
});
