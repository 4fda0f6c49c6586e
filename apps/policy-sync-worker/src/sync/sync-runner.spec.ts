import type { RecordingPolicyUpdatedV1 } from '@ci-connector/events';
import { FakeClock, FakePolicyStore, FakeScheduler, FakeTenants, FakeUsers, fakeNormalise, silentLogger, tenant } from '../testing/fakes';
import { SyncRunner, type RunnerSettings } from './sync-runner';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const settings: RunnerSettings = {
  owner: 'w1',
  pollMs: 1000,
  leaseMs: 60_000,
  concurrency: 1,
  drainTimeoutMs: 50,
  intervalMs: 300_000,
  jitterMs: 0,
  retryMinMs: 15_000,
  retryMaxMs: 300_000,
};

function setup(users = new FakeUsers(2, 5), s: Partial<RunnerSettings> = {}) {
  const clock = new FakeClock();
  const policies = new FakePolicyStore(clock);
  const scheduler = new FakeScheduler(clock);
  const tenants = new FakeTenants();
  const published: RecordingPolicyUpdatedV1[] = [];
  const runner = new SyncRunner(
    {
      users,
      normalise: (u) => fakeNormalise(u),
      policies,
      scheduler,
      tenants,
      clock,
      logger: silentLogger,
      random: () => 1,
      publish: async (e) => {
        published.push(e);
      },
    },
    { ...settings, ...s },
  );
  return { clock, policies, scheduler, tenants, published, runner, users };
}

describe('SyncRunner', () => {
  it('claims a due tenant, syncs it and hands it back due one interval later', async () => {
    const { clock, policies, scheduler, tenants, published, runner } = setup();
    tenants.put(tenant(A));
    await runner.requestSync(A, 'on-demand');
    await runner.tick();
    expect(runner.isSyncing(A)).toBe(true);
    await runner.settled();
    expect(policies.current.get(A)).toBe('v1');
    expect(published.map((e) => [e.tenantId, e.trigger, e.users])).toEqual([[A, 'on-demand', 10]]);
    expect(scheduler.due.get(A)).toBe(clock.now() + 300_000);
    expect(scheduler.leases.has(A)).toBe(false);
    expect(runner.localState(A)).toMatchObject({ failures: 0, lastOutcome: 'synced' });

    // not due yet: nothing claimed
    await runner.tick();
    expect(runner.inFlight).toBe(0);
    clock.advance(300_000);
    await runner.tick();
    await runner.settled();
    expect(published.map((e) => e.trigger)).toEqual(['on-demand', 'interval']);
  });

  it('backs off after failures (growing, not hammering), resets after a success', async () => {
    const users = new FakeUsers(2, 5);
    const { clock, scheduler, tenants, runner, policies } = setup(users);
    tenants.put(tenant(A));
    await scheduler.schedule(A, clock.now());
    users.failAtPage = { page: 1, error: Object.assign(new Error('500 Internal Server Error'), { name: 'ProvidersApiError', retryable: true }) };
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await runner.tick();
      await runner.settled();
      const due = scheduler.due.get(A)!;
      waits.push(due - clock.now());
      clock.ms = due;
    }
    expect(waits).toEqual([15_000, 30_000, 60_000, 120_000]);
    expect(runner.localState(A)?.failures).toBe(4);
    expect((await policies.meta(A)).lastError).toBe('ProvidersApiError: 500 Internal Server Error');

    delete users.failAtPage;
    await runner.tick();
    await runner.settled();
    expect(runner.localState(A)?.failures).toBe(0);
    expect(scheduler.due.get(A)! - clock.now()).toBe(300_000);
  });

  it('does not sync a tenant that is not registered (unscheduled, list kept) or deleted (unscheduled, policy dropped)', async () => {
    const { clock, policies, scheduler, tenants, runner, published } = setup(undefined, { concurrency: 4 });
    tenants.put(tenant(A, {}, 'pending'));
    await scheduler.schedule(A, clock.now());
    await scheduler.schedule(B, clock.now());
    await runner.tick();
    await runner.settled();
    expect(published).toEqual([]);
    expect(scheduler.due.has(A)).toBe(false);
    expect(scheduler.due.has(B)).toBe(false);
    expect(policies.calls).toEqual([`drop ${B}`]);
    expect(scheduler.leases.size).toBe(0);
  });

  it('claims no more than its free slots', async () => {
    const users = new FakeUsers(2, 5);
    users.pageDelayMs = 20;
    const { clock, scheduler, tenants, runner } = setup(users, { concurrency: 1 });
    tenants.put(tenant(A));
    tenants.put(tenant(B));
    await scheduler.schedule(A, clock.now());
    await scheduler.schedule(B, clock.now());
    await runner.tick();
    await runner.tick();
    expect(runner.inFlight).toBe(1);
    expect(scheduler.leases.size).toBe(1);
    await runner.settled();
  });

  it('a Redis failure while claiming is reported, not thrown', async () => {
    const { scheduler, runner } = setup();
    scheduler.failClaims = new Error('Connection is closed.');
    await runner.tick();
    expect(runner.loopError).toMatchObject({ error: 'Connection is closed.' });
    delete scheduler.failClaims;
    await runner.tick();
    expect(runner.loopError).toBeUndefined();
  });

  it('at stop: lets syncs finish within the drain time, aborts the rest (no commit) and hands them back due now', async () => {
    const users = new FakeUsers(1000, 5);
    users.pageDelayMs = 5;
    const { clock, policies, scheduler, tenants, runner, published } = setup(users);
    tenants.put(tenant(A));
    await scheduler.schedule(A, clock.now());
    await runner.tick();
    expect(runner.isSyncing(A)).toBe(true);
    await runner.stop();
    expect(runner.inFlight).toBe(0);
    expect(policies.calls).toEqual([`begin ${A} v1`, `abort ${A} v1`]);
    expect(published).toEqual([]);
    expect(scheduler.due.get(A)).toBe(clock.now());
    expect(scheduler.leases.has(A)).toBe(false);
    // stopped: claims nothing more
    await runner.tick();
    expect(runner.inFlight).toBe(0);
  });

  it('aborts a sync whose lease was taken away', async () => {
    const users = new FakeUsers(1000, 5);
    users.pageDelayMs = 5;
    const { clock, policies, scheduler, tenants, runner } = setup(users, { leaseMs: 60 });
    tenants.put(tenant(A));
    await scheduler.schedule(A, clock.now());
    await runner.tick();
    scheduler.leases.set(A, { owner: 'w2', until: clock.now() + 60_000 });
    await runner.settled();
    expect(policies.calls).toEqual([`begin ${A} v1`, `abort ${A} v1`, `recordFailure ${A} lost the lease (another replica may be syncing this tenant)`]);
    expect(policies.current.has(A)).toBe(false);
  });
});
