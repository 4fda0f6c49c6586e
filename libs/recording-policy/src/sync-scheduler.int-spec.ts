import { randomBytes, randomUUID } from 'node:crypto';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { stackEndpoints, waitFor, deleteRedisKeys } from '@ci-connector/platform-testing';
import { createSyncScheduler } from './sync-scheduler';


describe('SyncScheduler against the real Redis', () => {
  const prefix = `rp-int:schedule:${randomBytes(4).toString('hex')}:`;
  const { redisUrl } = stackEndpoints();
  const redis = createRedisClient({ url: redisUrl, connectionName: 'recording-policy-int' });
  const scheduler = createSyncScheduler(redis, { prefix });
  const now = 1_800_000_000_000;

  beforeEach(() => deleteRedisKeys(redis, prefix));
  afterAll(async () => {
    await deleteRedisKeys(redis, prefix);
    await closeRedis(redis);
  });

  it('claims only what is due, oldest first, at most max, and moves each claimed one to its lease end', async () => {
    const [a, b, c, later] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await scheduler.schedule(a, now - 3000);
    await scheduler.schedule(b, now - 2000);
    await scheduler.schedule(c, now - 1000);
    await scheduler.schedule(later, now + 60_000);
    expect(await scheduler.claimDue('w1', now, 2, 30_000)).toEqual([a, b]);
    expect(await scheduler.leaseOwner(a)).toBe('w1');
    expect(await redis.get(`${prefix}policy:lease:${a}`)).toBe('w1');
    expect(await redis.pttl(`${prefix}policy:lease:${a}`)).toBeGreaterThan(29_000);
    expect(await scheduler.dueAt(a)).toBe(now + 30_000);
    expect(await scheduler.claimDue('w2', now, 10, 30_000)).toEqual([c]);
    expect(await scheduler.claimDue('w3', now, 10, 30_000)).toEqual([]);
    expect(await scheduler.leaseOwner(later)).toBeUndefined();
  });

  it('never lets two schedulers (two replicas, two connections) claim the same tenant', async () => {
    const other = createRedisClient({ url: redisUrl, connectionName: 'recording-policy-int-2' });
    try {
      await other.ping();
      const replicas = [scheduler, createSyncScheduler(other, { prefix })];
      const tenants = Array.from({ length: 300 }, () => randomUUID());
      await Promise.all(tenants.map((t, i) => scheduler.schedule(t, now - i)));
      const claims = new Map<string, string[]>();
      // Both replicas claim in small bites, at once, until nothing is due.
      await Promise.all(
        replicas.map(async (r, n) => {
          for (;;) {
            const got = await r.claimDue(`replica-${n}`, now, 7, 60_000);
            if (got.length === 0) return;
            for (const t of got) claims.set(t, [...(claims.get(t) ?? []), `replica-${n}`]);
          }
        }),
      );
      expect(claims.size).toBe(tenants.length);
      expect([...claims.values()].filter((owners) => owners.length !== 1)).toEqual([]);
      // Both did some of the work.
      const perReplica = [...claims.values()].flat().reduce<Record<string, number>>((m, o) => ({ ...m, [o]: (m[o] ?? 0) + 1 }), {});
      expect(Object.keys(perReplica).sort()).toEqual(['replica-0', 'replica-1']);
      for (const t of tenants) expect(await scheduler.leaseOwner(t)).toBe(claims.get(t)![0]);
    } finally {
      await closeRedis(other);
    }
  });

  it('releases a lease only for its owner', async () => {
    const t = randomUUID();
    await scheduler.schedule(t, now);
    expect(await scheduler.claimDue('owner', now, 1, 30_000)).toEqual([t]);
    expect(await scheduler.release(t, 'intruder')).toBe(false);
    expect(await scheduler.complete(t, 'intruder', now + 300_000, now)).toBe(false);
    expect(await scheduler.renew(t, 'intruder', 90_000)).toBe(false);
    expect(await scheduler.leaseOwner(t)).toBe('owner');
    expect(await scheduler.dueAt(t)).toBe(now + 30_000);

    expect(await scheduler.renew(t, 'owner', 90_000)).toBe(true);
    expect(await redis.pttl(`${prefix}policy:lease:${t}`)).toBeGreaterThan(60_000);
    expect(await scheduler.complete(t, 'owner', now + 300_000, now)).toBe(true);
    expect(await scheduler.leaseOwner(t)).toBeUndefined();
    expect(await scheduler.dueAt(t)).toBe(now + 300_000);
    expect(await scheduler.release(t, 'owner')).toBe(false);
  });

  it('makes a tenant due again when its owner dies (the lease expires)', async () => {
    const t = randomUUID();
    const realNow = Date.now();
    await scheduler.schedule(t, realNow);
    expect(await scheduler.claimDue('dies', realNow, 1, 200)).toEqual([t]);
    expect(await scheduler.claimDue('survivor', realNow, 1, 200)).toEqual([]);
    const got = await waitFor('the lease to expire', async () => {
      const claimed = await scheduler.claimDue('survivor', Date.now(), 1, 30_000);
      return claimed.length > 0 ? claimed : undefined;
    }, 5000, 50);
    expect(got).toEqual([t]);
    expect(await scheduler.leaseOwner(t)).toBe('survivor');
    // The dead owner's completion changes nothing.
    expect(await scheduler.complete(t, 'dies', Date.now() + 300_000)).toBe(false);
    expect(await scheduler.leaseOwner(t)).toBe('survivor');
  });

  it('keeps a sync asked for while one ran, and does not bring back a tenant unscheduled meanwhile', async () => {
    const again = randomUUID();
    const gone = randomUUID();
    await scheduler.schedule(again, now);
    await scheduler.schedule(gone, now);
    expect((await scheduler.claimDue('w', now, 2, 30_000)).sort()).toEqual([again, gone].sort());
    await scheduler.schedule(again, now + 5); // POST /tenants/{id}/sync while its sync runs
    await scheduler.unschedule(gone); // tenant deleted while its sync runs
    expect(await scheduler.complete(again, 'w', now + 300_000, now + 10)).toBe(true);
    expect(await scheduler.complete(gone, 'w', now + 300_000, now + 10)).toBe(true);
    expect(await scheduler.dueAt(again)).toBe(now + 5);
    expect(await scheduler.dueAt(gone)).toBeUndefined();
    expect(await scheduler.claimDue('w', now + 10, 2, 30_000)).toEqual([again]);
  });

  it('skips tenants leased by someone else without hiding the ones behind them', async () => {
    const leased = Array.from({ length: 5 }, () => randomUUID());
    const free = randomUUID();
    for (const t of leased) {
      await scheduler.schedule(t, now - 10);
      await redis.set(`${prefix}policy:lease:${t}`, 'elsewhere', 'PX', 30_000);
    }
    await scheduler.schedule(free, now);
    expect(await scheduler.claimDue('w', now, 1, 30_000)).toEqual([free]);
    for (const t of leased) expect(await scheduler.leaseOwner(t)).toBe('elsewhere');
  });

  it('refuses bad arguments', async () => {
    await expect(scheduler.claimDue('', now, 1, 1000)).rejects.toThrow(RangeError);
    await expect(scheduler.claimDue('w', now, 0, 1000)).rejects.toThrow(/max/);
    await expect(scheduler.claimDue('w', now, 1, 0)).rejects.toThrow(/leaseMs/);
    await expect(scheduler.schedule('a b', now)).rejects.toThrow(RangeError);
    await expect(scheduler.schedule(randomUUID(), Number.NaN)).rejects.toThrow(/dueAtMs/);
  });
});
