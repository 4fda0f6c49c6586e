import type { RecordingPolicyUpdatedV1 } from '@ci-connector/events';
import { FakeClock, FakePolicyStore, FakeUsers, fakeNormalise } from '../testing/fakes';
import { syncTenant, type SyncJobDeps } from './sync-job';

const T = 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc';

function setup(users: FakeUsers) {
  const clock = new FakeClock();
  const policies = new FakePolicyStore(clock);
  const published: RecordingPolicyUpdatedV1[] = [];
  const deps: SyncJobDeps = {
    users,
    normalise: (u) => fakeNormalise(u),
    policies,
    publish: async (e) => {
      published.push(e);
    },
    clock,
  };
  return { clock, policies, published, deps };
}

class Throttled extends Error {
  override name = 'ProvidersApiError';
  readonly retryable = true;
  readonly retryAfterMs = 30_000;
}

describe('syncTenant', () => {
  it('streams page by page, at most one page ahead of what is written, then commits and publishes', async () => {
    const users = new FakeUsers(50, 100);
    const { policies, published, deps } = setup(users);
    let written = 0;
    let maxAhead = 0;
    policies.onAdd = () => {
      written++;
      maxAhead = Math.max(maxAhead, users.fetched - written);
    };
    policies.addDelayMs = 1;

    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, new AbortController().signal);

    expect(outcome).toMatchObject({ kind: 'synced', users: 5000, identities: 10_000, skipped: 0, pages: 50 });
    expect(written).toBe(50);
    // the next page is fetched while the current one is written, never more
    expect(maxAhead).toBe(1);
    expect(policies.live(T)).toHaveLength(10_000);
    expect(policies.live(T)).toContain('user.42@contoso.example');
    expect(policies.calls).toEqual([`begin ${T} v1`, `commit ${T} v1`]);
    expect(published).toEqual([
      { type: 'recording-policy.updated', tenantId: T, version: 'v1', identities: 10_000, users: 5000, syncedAt: '2026-11-29T20:00:00.000Z', trigger: 'interval' },
    ]);
    expect(users.signals[0]).toBeInstanceOf(AbortSignal);
  });

  it('counts users without any usable identity as skipped', async () => {
    const users = new FakeUsers(1, 4, (i) => (i % 2 === 0 ? { displayName: 'no ids' } : { id: `id-${i}` }));
    const { deps } = setup(users);
    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'on-demand', deps, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: 'synced', users: 4, identities: 2, skipped: 2 });
  });

  it('on an API error mid-list: drops the partial set, keeps the live list, records the error, publishes nothing', async () => {
    const users = new FakeUsers(3, 10);
    const { policies, published, deps } = setup(users);
    await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, new AbortController().signal);
    const before = policies.live(T);
    published.length = 0;

    users.pages = 10;
    users.failAtPage = { page: 4, error: new Throttled('GET /api/v1.0/providers/users: 429 Too Many Requests') };
    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, new AbortController().signal);

    expect(outcome).toEqual({ kind: 'failed', error: 'ProvidersApiError: GET /api/v1.0/providers/users: 429 Too Many Requests', retryable: true, retryAfterMs: 30_000, users: 40, pages: 4 });
    expect(policies.calls.slice(2)).toEqual([`begin ${T} v2`, `abort ${T} v2`, `recordFailure ${T} ProvidersApiError: GET /api/v1.0/providers/users: 429 Too Many Requests`]);
    expect(policies.live(T)).toEqual(before);
    expect(policies.current.get(T)).toBe('v1');
    expect((await policies.meta(T)).lastError).toMatch(/429/);
    expect(published).toEqual([]);
  });

  it('an error without hints is retryable; a non-retryable one says so', async () => {
    const users = new FakeUsers(2, 1);
    const { deps } = setup(users);
    users.failAtPage = { page: 0, error: new Error('socket hang up') };
    expect(await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, new AbortController().signal)).toMatchObject({ kind: 'failed', error: 'socket hang up', retryable: true });
    users.failAtPage = { page: 0, error: Object.assign(new Error('AADSTS7000229: no consent'), { name: 'TokenError', retryable: false }) };
    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: 'failed', error: 'TokenError: AADSTS7000229: no consent', retryable: false });
    expect(outcome).not.toHaveProperty('retryAfterMs');
  });

  it('an aborted sync never commits: the partial set is dropped, no failure is recorded, the iteration is closed', async () => {
    const users = new FakeUsers(100, 10);
    const { policies, published, deps } = setup(users);
    const controller = new AbortController();
    policies.onAdd = () => {
      if (users.fetched === 3) controller.abort(new Error('shutting down'));
    };
    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, controller.signal);
    expect(outcome).toEqual({ kind: 'aborted', reason: 'shutting down', users: 20, pages: 2 });
    expect(policies.calls).toEqual([`begin ${T} v1`, `abort ${T} v1`]);
    expect(policies.current.has(T)).toBe(false);
    expect(published).toEqual([]);
    expect(users.fetched).toBeLessThan(5);
  });

  it('an abort after the last page still does not commit', async () => {
    const users = new FakeUsers(2, 1);
    const { policies, deps } = setup(users);
    const controller = new AbortController();
    policies.onAdd = () => {
      if (users.fetched === 2) controller.abort('lease lost');
    };
    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, controller.signal);
    expect(outcome.kind).toBe('aborted');
    expect(policies.calls).toEqual([`begin ${T} v1`, `abort ${T} v1`]);
  });

  it('the list is live even when the event cannot be published; the outcome says so', async () => {
    const users = new FakeUsers(1, 3);
    const { policies, deps } = setup(users);
    deps.publish = () => Promise.reject(new Error('no acknowledgement from Kafka within 10000 ms'));
    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'tenant-change', deps, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: 'synced', users: 3, publishError: 'no acknowledgement from Kafka within 10000 ms' });
    expect(policies.current.get(T)).toBe('v1');
  });

  it('a newer version that went live meanwhile supersedes this one (not a failure)', async () => {
    const users = new FakeUsers(1, 3);
    const { policies, published, deps } = setup(users);
    policies.failCommit = Object.assign(new Error('a newer version is live'), { name: 'PolicyVersionConflictError' });
    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, new AbortController().signal);
    expect(outcome).toEqual({ kind: 'superseded', error: 'a newer version is live', users: 3, pages: 1 });
    expect(policies.calls).toEqual([`begin ${T} v1`, `commit ${T} v1`, `abort ${T} v1`]);
    expect(published).toEqual([]);
  });

  it('a commit that fails (Redis) is a failure and the live list is untouched', async () => {
    const users = new FakeUsers(1, 3);
    const { policies, deps } = setup(users);
    policies.failCommit = new Error('Command timed out');
    const outcome = await syncTenant({ id: T, defaultCountry: 'GB' }, 'interval', deps, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: 'failed', error: 'Command timed out', retryable: true });
    expect(policies.current.has(T)).toBe(false);
  });
});
