import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { stackEndpoints, deleteRedisKeys } from '@ci-connector/platform-testing';
import { API_KEY_RE, createApiKeyStore } from './api-key-store';


describe('ApiKeyStore against the real Redis', () => {
  const prefix = `rp-int:apikeys:${randomBytes(4).toString('hex')}:`;
  const redis = createRedisClient({ url: stackEndpoints().redisUrl, connectionName: 'recording-policy-int' });
  const store = createApiKeyStore(redis, { prefix });

  beforeEach(() => deleteRedisKeys(redis, prefix));
  afterAll(async () => {
    await deleteRedisKeys(redis, prefix);
    await closeRedis(redis);
  });

  it('mints a 256-bit key, stores only its SHA-256, and verifies it', async () => {
    const tenantA = randomUUID();
    const { key, record } = await store.create('admin of A', [tenantA]);
    expect(key).toMatch(API_KEY_RE);
    expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(32);
    expect(record).toEqual({ id: expect.any(String), name: 'admin of A', tenants: [tenantA], createdAt: expect.any(String) });

    const hash = createHash('sha256').update(key).digest('hex');
    const stored = await redis.get(`${prefix}apikey:${hash}`);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(key.slice(4));
    expect(await redis.hget(`${prefix}apikeys`, record.id)).toBe(hash);

    expect(await store.verify(key)).toEqual(record);
  });

  it('does not verify a wrong, malformed or revoked key', async () => {
    const { key, record } = await store.create('all tenants', '*');
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(await store.verify(flipped)).toBeUndefined();
    expect(await store.verify('')).toBeUndefined();
    expect(await store.verify('Bearer ' + key)).toBeUndefined();
    expect(await store.verify(key.slice(4))).toBeUndefined();
    expect(await store.verify(key + 'x')).toBeUndefined();
    expect(await store.verify(undefined as unknown as string)).toBeUndefined();

    expect(await store.revoke(record.id)).toBe(true);
    expect(await store.verify(key)).toBeUndefined();
    expect(await store.revoke(record.id)).toBe(false);
    expect(await redis.exists(`${prefix}apikey:${createHash('sha256').update(key).digest('hex')}`)).toBe(0);
  });

  it('lists keys without their secrets, oldest first', async () => {
    const a = await store.create('first', '*');
    const b = await store.create('second', [randomUUID(), randomUUID()]);
    const listed = await store.list();
    expect(listed.map((r) => r.id).sort()).toEqual([a.record.id, b.record.id].sort());
    for (const r of listed) expect(Object.keys(r).sort()).toEqual(['createdAt', 'id', 'name', 'tenants']);
    expect(JSON.stringify(listed)).not.toContain(a.key);
  });

  it('imports a key minted elsewhere, idempotently', async () => {
    const key = `cic_${randomBytes(32).toString('base64url')}`;
    const first = await store.importKey(key, 'bootstrap', '*');
    const again = await store.importKey(key, 'bootstrap', '*');
    expect(again).toEqual(first);
    expect(await store.verify(key)).toEqual(first);
    expect(await store.list()).toHaveLength(1);
    await expect(store.importKey('cic_short', 'x', '*')).rejects.toThrow(RangeError);
    await expect(store.importKey(`key_${randomBytes(32).toString('base64url')}`, 'x', '*')).rejects.toThrow(/cic_/);
  });

  it('refuses a key without a name or a scope', async () => {
    await expect(store.create('', '*')).rejects.toThrow(RangeError);
    await expect(store.create('x', [])).rejects.toThrow(/tenants/);
    await expect(store.create('x', [''])).rejects.toThrow(/tenants/);
    expect(await store.list()).toEqual([]);
  });
});
