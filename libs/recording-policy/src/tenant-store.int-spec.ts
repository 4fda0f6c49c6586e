import { randomBytes, randomUUID } from 'node:crypto';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { stackEndpoints, deleteRedisKeys } from '@ci-connector/platform-testing';
import { applyTenantUpdate, newTenant, parseTenantCreate, type Tenant } from '@ci-connector/tenancy';
import { TenantConflictError, type TenantStore } from './api';
import { createTenantStore } from './tenant-store';

function tenant(overrides: Record<string, unknown> = {}): Tenant {
  const parsed = parseTenantCreate({
    id: randomUUID(),
    orgId: randomUUID(),
    displayName: 'Contoso',
    region: 'uksouth',
    accountId: 'acct-1',
    certificate: { subject: 'CN=sbc.carrier.example', issuer: 'CN=Carrier CA' },
    defaultCountry: 'GB',
    ...overrides,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return newTenant(parsed.value, new Date());
}


describe('TenantStore against the real Redis', () => {
  const prefix = `rp-int:tenants:${randomBytes(4).toString('hex')}:`;
  const redis = createRedisClient({ url: stackEndpoints().redisUrl, connectionName: 'recording-policy-int' });
  let store: TenantStore;

  beforeEach(async () => {
    await deleteRedisKeys(redis, prefix);
    store = createTenantStore(redis, { prefix });
  });
  afterEach(() => store.close());
  afterAll(async () => {
    await deleteRedisKeys(redis, prefix);
    await closeRedis(redis);
  });

  const outboxLength = () => redis.xlen(`${prefix}outbox:tenants`);

  it('creates a tenant: record, index and one outbox entry', async () => {
    const t = tenant();
    await store.create(t);
    expect(JSON.parse((await redis.get(`${prefix}tenant:${t.id}`))!)).toEqual(t);
    expect(await redis.smembers(`${prefix}tenants`)).toEqual([t.id]);
    expect(await store.get(t.id)).toEqual(t);
    expect(await store.list()).toEqual([t]);
    const pending = await store.pendingChanges(10);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ tenantId: t.id, tenant: t, at: t.updatedAt });
    expect(pending[0]!.id).toMatch(/^\d+-\d+$/);
  });

  it('refuses to create a tenant twice, and writes nothing the second time', async () => {
    const t = tenant();
    await store.create(t);
    await expect(store.create({ ...t, displayName: 'Other' })).rejects.toEqual(new TenantConflictError(t.id, 'exists'));
    await expect(store.create(t)).rejects.toMatchObject({ name: 'TenantConflictError', reason: 'exists', tenantId: t.id });
    expect((await store.get(t.id))!.displayName).toBe('Contoso');
    expect(await outboxLength()).toBe(1);
  });

  it('updates with the expected version, and refuses a stale or missing one', async () => {
    const t = tenant();
    await store.create(t);
    const v2 = applyTenantUpdate(t, { displayName: 'Contoso Ltd' }, new Date());
    await store.update(v2, 1);
    expect(await store.get(t.id)).toEqual(v2);

    const stale = applyTenantUpdate(t, { displayName: 'Stale' }, new Date());
    await expect(store.update(stale, 1)).rejects.toMatchObject({ reason: 'version', tenantId: t.id });
    const ghost = tenant();
    await expect(store.update({ ...ghost, version: 2 }, 1)).rejects.toMatchObject({ reason: 'not-found', tenantId: ghost.id });
    await expect(store.update({ ...v2 }, 2)).rejects.toThrow(RangeError);

    expect(await store.get(t.id)).toEqual(v2);
    expect(await redis.exists(`${prefix}tenant:${ghost.id}`)).toBe(0);
    expect(await redis.sismember(`${prefix}tenants`, ghost.id)).toBe(0);
    const changes = await store.pendingChanges(10);
    expect(changes.map((c) => c.tenant?.version)).toEqual([1, 2]);
  });

  it('lets exactly one of many concurrent updates of the same version through (one store)', async () => {
    const t = tenant();
    await store.create(t);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.update(applyTenantUpdate(t, { displayName: `Writer ${i}` }, new Date()), 1)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const conflicts = results.filter((r) => r.status === 'rejected' && (r.reason as TenantConflictError).reason === 'version');
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(7);
    const stored = (await store.get(t.id))!;
    expect(stored.version).toBe(2);
    expect(await outboxLength()).toBe(2);
  });

  it('lets exactly one of two concurrent updates through when they come from two replicas (two connections, WATCH)', async () => {
    const t = tenant();
    await store.create(t);
    const other = createTenantStore(redis, { prefix });
    try {
      for (let round = 1; round <= 20; round++) {
        const current = (await store.get(t.id))!;
        const [a, b] = await Promise.allSettled([
          store.update(applyTenantUpdate(current, { displayName: `A${round}` }, new Date()), current.version),
          other.update(applyTenantUpdate(current, { displayName: `B${round}` }, new Date()), current.version),
        ]);
        const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as TenantConflictError).reason));
        expect(outcomes.sort()).toEqual(['ok', 'version']);
        expect((await store.get(t.id))!.version).toBe(current.version + 1);
      }
      expect(await outboxLength()).toBe(21);
    } finally {
      await other.close();
    }
  });

  it('deletes: record and index gone, a tombstone in the outbox; deleting again says false', async () => {
    const t = tenant();
    await store.create(t);
    expect(await store.delete(t.id)).toBe(true);
    expect(await store.get(t.id)).toBeUndefined();
    expect(await redis.exists(`${prefix}tenant:${t.id}`)).toBe(0);
    expect(await store.list()).toEqual([]);
    expect(await store.delete(t.id)).toBe(false);
    const changes = await store.pendingChanges(10);
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatchObject({ tenantId: t.id, tenant: null });
    expect(Date.parse(changes[1]!.at)).not.toBeNaN();
  });

  it('relays the outbox: oldest first, at most max, gone once acknowledged', async () => {
    const tenants = [tenant(), tenant(), tenant()];
    for (const t of tenants) await store.create(t);
    await store.delete(tenants[1]!.id);
    const first = await store.pendingChanges(2);
    expect(first.map((c) => c.tenantId)).toEqual([tenants[0]!.id, tenants[1]!.id]);
    await store.ack(first.map((c) => c.id));
    const rest = await store.pendingChanges(10);
    expect(rest.map((c) => [c.tenantId, c.tenant === null])).toEqual([
      [tenants[2]!.id, false],
      [tenants[1]!.id, true],
    ]);
    await store.ack(rest.map((c) => c.id));
    await store.ack([]);
    expect(await store.pendingChanges(10)).toEqual([]);
    expect(await outboxLength()).toBe(0);
    await expect(store.pendingChanges(0)).rejects.toThrow(RangeError);
  });

  it('lists many tenants, sorted by id', async () => {
    const many = Array.from({ length: 1200 }, () => tenant());
    await Promise.all(many.map((t) => store.create(t)));
    const listed = await store.list();
    expect(listed.map((t) => t.id)).toEqual(many.map((t) => t.id).sort());
    expect(await outboxLength()).toBe(1200);
  });

  it('refuses a tenant id that cannot be part of a key, writing nothing', async () => {
    await expect(store.create({ ...tenant(), id: 'a:b*' })).rejects.toThrow(RangeError);
    expect(await redis.exists(`${prefix}tenants`, `${prefix}outbox:tenants`)).toBe(0);
  });
});
