import { randomBytes, randomUUID } from 'node:crypto';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { stackEndpoints, waitFor, deleteRedisKeys } from '@ci-connector/platform-testing';
import { createPolicyStore, PolicyVersionConflictError } from './policy-store';
import { createRecordingPolicy } from './recording-policy';
import { createSyncScheduler } from './sync-scheduler';


function* range<T>(n: number, f: (i: number) => T): Generator<T> {
  for (let i = 0; i < n; i++) yield f(i);
}

describe('PolicyStore against the real Redis', () => {
  const prefix = `rp-int:policy:${randomBytes(4).toString('hex')}:`;
  const { redisUrl } = stackEndpoints();
  const redis = createRedisClient({ url: redisUrl, connectionName: 'recording-policy-int', commandTimeoutMs: 20_000 });
  const store = createPolicyStore(redis, { prefix });
  const k = (tenant: string) => ({
    current: `${prefix}policy:${tenant}:current`,
    meta: `${prefix}policy:${tenant}:meta`,
    version: (v: string) => `${prefix}policy:${tenant}:v:${v}`,
  });

  afterAll(async () => {
    await deleteRedisKeys(redis, prefix);
    await closeRedis(redis);
  });

  it('writes a version, then makes it live with its meta in one step', async () => {
    const tenant = randomUUID();
    expect(await store.meta(tenant)).toEqual({ tenantId: tenant });
    const w = await store.begin(tenant);
    expect(w.version).toMatch(/^\d{12}-\d{13}$/);
    await w.add(['tel:+442079460958', 'upn:alice@contoso.com']);
    await w.add(new Set(['upn:alice@contoso.com', `oid:${tenant}`]));
    // Not live yet: no pointer, and the set being written expires on its own if the writer dies.
    expect(await redis.get(k(tenant).current)).toBeNull();
    expect(await redis.pttl(k(tenant).version(w.version))).toBeGreaterThan(0);

    const meta = await w.commit({ users: 2 });
    expect(meta).toEqual({ tenantId: tenant, version: w.version, identities: 3, users: 2, syncedAt: expect.any(String), lastAttemptAt: meta.syncedAt });
    expect(await store.meta(tenant)).toEqual(meta);
    expect(await redis.get(k(tenant).current)).toBe(w.version);
    expect((await redis.smembers(k(tenant).version(w.version))).sort()).toEqual([`oid:${tenant}`, 'tel:+442079460958', 'upn:alice@contoso.com']);
    expect(await redis.pttl(k(tenant).version(w.version))).toBe(-1);
    await expect(w.add(['x'])).rejects.toThrow(/committed/);
  });

  it('takes identities from an async iterable', async () => {
    const tenant = randomUUID();
    const w = await store.begin(tenant);
    async function* gen() {
      for (let i = 0; i < 12_345; i++) yield `upn:user${i}@contoso.com`;
    }
    await w.add(gen());
    expect((await w.commit({ users: 12_345 })).identities).toBe(12_345);
    expect(await redis.scard(k(tenant).version(w.version))).toBe(12_345);
  });

  it('expires the previous version after the grace period, keeping the live one', async () => {
    const tenant = randomUUID();
    const quick = createPolicyStore(redis, { prefix, graceMs: 3000 });
    const v1 = await quick.begin(tenant);
    await v1.add(['tel:+15550100001']);
    await v1.commit({ users: 1 });
    const v2 = await quick.begin(tenant);
    await v2.add(['tel:+15550100002']);
    await v2.commit({ users: 1 });

    const ttl = await redis.pttl(k(tenant).version(v1.version));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3000);
    // During the grace period a reader that read the old pointer still sees the complete old list.
    expect(await redis.smembers(k(tenant).version(v1.version))).toEqual(['tel:+15550100001']);
    await waitFor('the previous version to expire', async () => (await redis.exists(k(tenant).version(v1.version))) === 0, 10_000, 50);
    expect(await redis.get(k(tenant).current)).toBe(v2.version);
    expect(await redis.smembers(k(tenant).version(v2.version))).toEqual(['tel:+15550100002']);
    expect(await redis.pttl(k(tenant).version(v2.version))).toBe(-1);
  });

  it('aborts: the partial set is gone, the live list untouched', async () => {
    const tenant = randomUUID();
    const live = await store.begin(tenant);
    await live.add(['upn:live@contoso.com']);
    await live.commit({ users: 1 });
    const w = await store.begin(tenant);
    await w.add(range(20_000, (i) => `upn:partial${i}@contoso.com`));
    expect(await redis.scard(k(tenant).version(w.version))).toBe(20_000);
    await w.abort();
    await w.abort(); // twice is fine
    expect(await redis.exists(k(tenant).version(w.version))).toBe(0);
    expect(await redis.get(k(tenant).current)).toBe(live.version);
    expect(await redis.smembers(k(tenant).version(live.version))).toEqual(['upn:live@contoso.com']);
    await expect(w.commit({ users: 0 })).rejects.toThrow(/aborted/);
  });

  it('records a failure without touching the live list, and the next commit clears it', async () => {
    const tenant = randomUUID();
    const w = await store.begin(tenant);
    await w.add(['upn:a@contoso.com']);
    const good = await w.commit({ users: 1 });
    const at = new Date(Date.now() + 1000);
    await store.recordFailure(tenant, 'providers API: 500 Internal Server Error', at);
    expect(await store.meta(tenant)).toEqual({ ...good, lastAttemptAt: at.toISOString(), lastError: 'providers API: 500 Internal Server Error' });
    expect(await redis.get(k(tenant).current)).toBe(good.version);

    const next = await store.begin(tenant);
    await next.add(['upn:b@contoso.com']);
    const meta = await next.commit({ users: 1 });
    expect(meta.lastError).toBeUndefined();
    expect(await store.meta(tenant)).toEqual(meta);
  });

  it('records a failure for a tenant never synced', async () => {
    const tenant = randomUUID();
    await store.recordFailure(tenant, 'consent missing', new Date(0));
    expect(await store.meta(tenant)).toEqual({ tenantId: tenant, lastError: 'consent missing', lastAttemptAt: new Date(0).toISOString() });
  });

  it('commits an empty list (nobody to record)', async () => {
    const tenant = randomUUID();
    const w = await store.begin(tenant);
    await w.add([]);
    expect(await w.commit({ users: 0 })).toMatchObject({ version: w.version, identities: 0, users: 0 });
    expect(await redis.get(k(tenant).current)).toBe(w.version);
  });

  it('refuses to go back to an older version committed late, and drops it', async () => {
    const tenant = randomUUID();
    const older = await store.begin(tenant);
    await new Promise((r) => setTimeout(r, 2));
    const newer = await store.begin(tenant);
    expect(newer.version > older.version).toBe(true);
    await newer.add(['upn:new@contoso.com']);
    await older.add(['upn:old@contoso.com']);
    await newer.commit({ users: 1 });
    const late = older.commit({ users: 1 });
    await expect(late).rejects.toBeInstanceOf(PolicyVersionConflictError);
    await expect(late).rejects.toMatchObject({ tenantId: tenant, version: older.version, liveVersion: newer.version });
    expect(await redis.get(k(tenant).current)).toBe(newer.version);
    expect(await redis.exists(k(tenant).version(older.version))).toBe(0);
  });

  it('drops every key of a deleted tenant, and its schedule entry', async () => {
    const tenant = randomUUID();
    const keep = randomUUID();
    for (const t of [tenant, keep]) {
      const w = await store.begin(t);
      await w.add(['upn:x@contoso.com']);
      await w.commit({ users: 1 });
    }
    const second = await store.begin(tenant);
    await second.add(['upn:y@contoso.com']);
    await second.commit({ users: 1 });
    const pending = await store.begin(tenant);
    await pending.add(['upn:z@contoso.com']);
    await createSyncScheduler(redis, { prefix }).schedule(tenant, Date.now());

    await store.drop(tenant);
    expect(await redis.keys(`${prefix}policy:${tenant}:*`)).toEqual([]);
    expect(await redis.zscore(`${prefix}policy:schedule`, tenant)).toBeNull();
    expect(await store.meta(tenant)).toEqual({ tenantId: tenant });
    expect(await redis.exists(k(keep).current)).toBe(1);
  });

  it('commits 1,000,000 identities, all of them in Redis', async () => {
    const tenant = randomUUID();
    const w = await store.begin(tenant);
    // Streamed from a generator: never a million-element array on our side.
    await w.add(range(1_000_000, (i) => `tel:+1${String(2_000_000_000 + i)}`));
    const meta = await w.commit({ users: 1_000_000 });
    expect(meta.identities).toBe(1_000_000);
    expect(await redis.scard(k(tenant).version(w.version))).toBe(1_000_000);
    expect(await redis.smismember(k(tenant).version(w.version), 'tel:+12000000000', 'tel:+12000999999', 'tel:+12001000000')).toEqual([1, 1, 0]);
    await store.drop(tenant);
    expect(await redis.exists(k(tenant).version(w.version))).toBe(0);
  }, 120_000);

  it('never shows a reader half a list: each answer comes from the old list or the new one', async () => {
    const tenant = randomUUID();
    const oldList = Array.from({ length: 20_000 }, (_, i) => `+1555${String(1_000_000 + i)}`);
    const newSize = 300_000;
    const newEmail = (i: number) => `b${i}@new.example`;
    const first = await store.begin(tenant);
    await first.add(oldList.map((n) => `tel:${n}`));
    await first.commit({ users: oldList.length });

    // The reader has its own connection, as sip-signaling would; no cache.
    const readerRedis = createRedisClient({ url: redisUrl, connectionName: 'recording-policy-int-reader' });
    const policy = createRecordingPolicy(readerRedis, { prefix, cacheTtlMs: 0 });
    const answers: { list: 'old' | 'new'; recorded: boolean }[] = [];
    let writing = true;
    const reader = (async () => {
      let i = 0;
      while (writing || i % 4 !== 0) {
        const probe = i++ % 4;
        if (probe === 0) answers.push({ list: 'old', recorded: await policy.isRecorded(tenant, oldList[i % oldList.length]!) });
        else if (probe === 1) answers.push({ list: 'new', recorded: await policy.isRecorded(tenant, newEmail(0)) }); // in the first batch written
        else if (probe === 2) answers.push({ list: 'new', recorded: await policy.isRecorded(tenant, newEmail((i * 7919) % newSize)) });
        else answers.push({ list: 'new', recorded: await policy.isRecorded(tenant, newEmail(newSize - 1)) }); // in the last batch
      }
    })();
    try {
      const next = await store.begin(tenant);
      // Written in 10 slices; between slices the reader answers a few more times, so
      // it is certainly reading while the new set is half written.
      const slice = newSize / 10;
      for (let part = 0; part < 10; part++) {
        await next.add(range(slice, (i) => `upn:${newEmail(part * slice + i)}`));
        const seen = answers.length;
        await waitFor('the reader to answer while the new set is being written', () => answers.length >= seen + 4, 10_000, 1);
      }
      const beforeCommit = answers.length;
      await next.commit({ users: newSize });
      const afterCommit = answers.length;
      await waitFor('the reader to see the new list a few times', () => answers.length > afterCommit + 40, 10_000, 5);
      writing = false;
      await reader;

      // Seen during the writing of the new set, and after the switch.
      expect(beforeCommit).toBeGreaterThan(20);
      // Each answer tells which list was live: the old one (an old number recorded, a new
      // address not) or the new one (a new address recorded, an old number not). The
      // switch happens once: every answer before the first "new list" answer is an
      // "old list" answer and every answer from it on is a "new list" answer — never a mix.
      const fromNewList = (a: { list: 'old' | 'new'; recorded: boolean }) => (a.list === 'new') === a.recorded;
      const switchAt = answers.findIndex(fromNewList);
      expect(switchAt).toBeGreaterThan(0);
      const before = answers.slice(0, switchAt);
      const after = answers.slice(switchAt);
      expect(before.filter(fromNewList)).toEqual([]);
      expect(after.filter((a) => !fromNewList(a))).toEqual([]);
      expect(before.filter((a) => a.list === 'old' && a.recorded).length).toBeGreaterThan(5);
      expect(after.filter((a) => a.list === 'new' && a.recorded).length).toBeGreaterThan(20);
    } finally {
      writing = false;
      await reader.catch(() => undefined);
      await closeRedis(readerRedis);
    }
  }, 120_000);
});
