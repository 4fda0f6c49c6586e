import { FakeClock, FakePolicyStore, FakeScheduler, FakeTenants, silentLogger, tenant } from '../testing/fakes';
import type { SyncTrigger } from '../sync/ports';
import { TenantFollower } from './tenant-follower';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const C = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

function setup() {
  const clock = new FakeClock();
  const tenants = new FakeTenants();
  const policies = new FakePolicyStore(clock);
  const scheduler = new FakeScheduler(clock);
  const now: [string, SyncTrigger][] = [];
  const forgotten: string[] = [];
  const follower = new TenantFollower({
    tenants,
    policies,
    scheduler,
    syncNow: async (id, trigger) => {
      now.push([id, trigger]);
      await scheduler.schedule(id, clock.now());
    },
    forget: (id) => forgotten.push(id),
    clock,
    logger: silentLogger,
    intervalMs: 300_000,
  });
  return { clock, tenants, policies, scheduler, follower, now, forgotten };
}

describe('TenantFollower', () => {
  it('a tenant that becomes registered is synced at once; the same state again changes nothing', async () => {
    const { follower, now, scheduler } = setup();
    await follower.apply(A, tenant(A, { version: 1 }, 'pending'));
    expect(now).toEqual([]);
    expect(scheduler.calls).toEqual([`unschedule ${A}`]);
    await follower.apply(A, tenant(A, { version: 2 }));
    await follower.apply(A, tenant(A, { version: 3, displayName: 'renamed' }));
    expect(now).toEqual([[A, 'tenant-change']]);
  });

  it('a changed default country re-syncs (phone numbers normalise differently)', async () => {
    const { follower, now } = setup();
    await follower.apply(A, tenant(A, { version: 2 }));
    await follower.apply(A, tenant(A, { version: 3, defaultCountry: 'US' }));
    expect(now).toEqual([
      [A, 'tenant-change'],
      [A, 'tenant-change'],
    ]);
  });

  it('ignores an older state (a replay)', async () => {
    const { follower, now, scheduler } = setup();
    await follower.apply(A, tenant(A, { version: 5 }));
    await follower.apply(A, tenant(A, { version: 4 }, 'pending'));
    expect(now).toHaveLength(1);
    expect(scheduler.due.has(A)).toBe(true);
  });

  it('a tenant no longer registered is unscheduled, its list kept; a deleted one is unscheduled and dropped', async () => {
    const { follower, scheduler, policies, forgotten } = setup();
    await follower.apply(A, tenant(A, { version: 2 }));
    await follower.apply(A, tenant(A, { version: 3 }, 'pending'));
    expect(scheduler.due.has(A)).toBe(false);
    expect(policies.calls).toEqual([]);
    await follower.apply(A, null);
    expect(policies.calls).toEqual([`drop ${A}`]);
    expect(forgotten).toEqual([A]);
    expect(scheduler.calls.at(-1)).toBe(`unschedule ${A}`);
  });

  it('reconciles from Redis: never synced or failing → now; synced → an interval after its sync; scheduled ones kept; others unscheduled', async () => {
    const { follower, tenants, policies, scheduler, clock, now } = setup();
    tenants.put(tenant(A));
    tenants.put(tenant(B));
    tenants.put(tenant(C, {}, 'failed'));
    const D = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
    tenants.put(tenant(D));
    await scheduler.schedule(D, clock.now() + 42);
    const syncedAt = clock.now() - 60_000;
    policies.metas.set(B, { tenantId: B, version: 'v1', syncedAt: new Date(syncedAt).toISOString() });
    expect(await follower.reconcile()).toEqual({ tenants: 4, registered: 3 });
    expect(scheduler.due.get(D)).toBe(clock.now() + 42); // already scheduled: left as it is
    expect(now).toEqual([[A, 'tenant-change']]);
    expect(scheduler.due.get(B)).toBe(syncedAt + 300_000);
    expect(scheduler.calls).toContain(`unschedule ${C}`);

    // a replay of what reconcile already saw changes nothing
    await follower.apply(B, tenant(B));
    expect(now).toHaveLength(1);
  });
});
