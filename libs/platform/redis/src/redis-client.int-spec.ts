import { randomBytes } from 'node:crypto';
import { stackEndpoints } from '@ci-connector/platform-testing';
import { closeRedis, createRedisClient, redisHealth } from './redis-client';

describe('Redis client against the real Redis', () => {
  const { redisUrl } = stackEndpoints();
  const client = createRedisClient({ url: redisUrl, connectionName: 'int-spec' });
  afterAll(() => closeRedis(client));

  it('round-trips a binary value and sees its own connection name', async () => {
    const key = `int-spec:${randomBytes(6).toString('hex')}`;
    const value = randomBytes(256);
    expect(await client.set(key, value, 'EX', 30)).toBe('OK');
    expect(Buffer.compare((await client.getBuffer(key))!, value)).toBe(0);
    expect(await client.del(key)).toBe(1);
    expect(await client.get(key)).toBeNull();
    const clients = String(await client.client('LIST'));
    expect(clients).toContain('name=int-spec');
  });

  it('reports health with a measured latency', async () => {
    const h = await redisHealth(client);
    expect(h.ok).toBe(true);
    expect(h.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('fails fast, with a reason, when Redis is not there', async () => {
    const nowhere = createRedisClient({ url: 'redis://127.0.0.1:1', connectionName: 'int-spec-nowhere', maxRetriesPerRequest: 0 });
    try {
      const started = Date.now();
      const h = await redisHealth(nowhere, 300);
      expect(h.ok).toBe(false);
      expect(h.error).toBeTruthy();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      nowhere.disconnect(false);
    }
  });
});
