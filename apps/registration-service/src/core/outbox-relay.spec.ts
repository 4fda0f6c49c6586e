import type { Producer } from 'kafkajs';
import { newTenant, parseTenantCreate } from '@ci-connector/tenancy';
import { FakeLocks, FakeTenantStore } from '../testing/fakes';
import { OutboxRelay } from './outbox-relay';

const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined };

function tenant(id: string) {
  const p = parseTenantCreate({ id, orgId: id, displayName: 'T', region: 'global', accountId: 'AC1', certificate: { subject: 's', issuer: 'i' } });
  if (!p.ok) throw new Error('bad fixture');
  return newTenant(p.value, new Date());
}

describe('OutboxRelay', () => {
  const sent: Array<{ topic: string; key: string; value: string | null }> = [];
  const producer = {
    send: async ({ topic, messages }: { topic: string; messages: Array<{ key: string; value: Buffer | null }> }) => {
      for (const m of messages) sent.push({ topic, key: m.key, value: m.value === null ? null : m.value.toString() });
      return [];
    },
  } as unknown as Producer;
  const opts = { topic: 't', lockKey: 'relay', owner: 'me', lockTtlMs: 1000, pollIntervalMs: 10, batchSize: 2, produceDeadlineMs: 1000 };
  beforeEach(() => sent.splice(0));

  it('publishes every change in order (tombstone for a delete), keyed by tenant id, then acknowledges them', async () => {
    const store = new FakeTenantStore();
    const a = tenant('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
    await store.create(a);
    await store.update({ ...a, displayName: 'T2', version: 2 }, 1);
    await store.delete(a.id);
    const relay = new OutboxRelay(store, producer, new FakeLocks(), opts, quiet);
    expect(await relay.relayOnce()).toBe(3);
    expect(sent.map((m) => [m.key, m.value === null ? null : JSON.parse(m.value).tenant.version])).toEqual([
      [a.id, 1],
      [a.id, 2],
      [a.id, null],
    ]);
    expect(JSON.parse(sent[0]!.value!)).toMatchObject({ type: 'tenant.changed', tenant: { id: a.id } });
    expect(store.outbox).toHaveLength(0);
  });

  it('publishes nothing while another replica holds the lease, and keeps what Kafka did not acknowledge', async () => {
    const store = new FakeTenantStore();
    await store.create(tenant('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'));
    const locks = new FakeLocks();
    await locks.acquire('relay', 'other');
    expect(await new OutboxRelay(store, producer, locks, opts, quiet).relayOnce()).toBe(0);
    expect(sent).toHaveLength(0);
    const failing = { send: async () => Promise.reject(new Error('broker down')) } as unknown as Producer;
    await expect(new OutboxRelay(store, failing, new FakeLocks(), opts, quiet).relayOnce()).rejects.toThrow('broker down');
    expect(store.outbox).toHaveLength(1);
  });
});
