import { randomBytes, randomUUID } from 'node:crypto';
import { encodeEvent, type RecordingPolicyUpdatedV1 } from '@ci-connector/events';
import { createIdempotentProducer, createKafka, ensureTopics, produce } from '@ci-connector/platform-kafka';
import { createLogger } from '@ci-connector/platform-logging';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { stackEndpoints, waitFor, deleteRedisKeys } from '@ci-connector/platform-testing';
import { newTenant, parseTenantCreate, type Tenant } from '@ci-connector/tenancy';
import { identitiesOfUser } from './identity';
import { LuaScript } from './lua';
import { createPolicyStore } from './policy-store';
import { subscribePolicyUpdates } from './policy-updates';
import { createRecordingPolicy, PolicyLookupError } from './recording-policy';
import { createTenantStore } from './tenant-store';


function tenant(defaultCountry: string): Tenant {
  const parsed = parseTenantCreate({
    id: randomUUID(),
    orgId: randomUUID(),
    displayName: `Tenant in ${defaultCountry}`,
    region: 'global',
    accountId: 'acct',
    certificate: { subject: 'CN=sbc.carrier.example', issuer: 'CN=Carrier CA' },
    defaultCountry,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return newTenant(parsed.value, new Date());
}

const ALICE = {
  id: '6F2B2C4E-1D3A-4E5F-8A9B-0C1D2E3F4A5B',
  userPrincipalName: 'Alice@Contoso.com',
  mail: 'alice.smith@contoso.com',
  businessPhones: ['+44 (0)20 7946 0958'],
  mobilePhone: '07700 900123',
};
const BOB = { id: randomUUID(), userPrincipalName: 'bob@contoso.com', businessPhones: ['(425) 555-0109'] };

describe('RecordingPolicy against the real Redis', () => {
  const prefix = `rp-int:lookup:${randomBytes(4).toString('hex')}:`;
  const { redisUrl, kafkaBrokers } = stackEndpoints();
  const redis = createRedisClient({ url: redisUrl, connectionName: 'recording-policy-int' });
  const tenants = createTenantStore(redis, { prefix });
  const policies = createPolicyStore(redis, { prefix });
  const gb = tenant('GB');
  const us = tenant('US');

  /** Makes `users` the tenant's live list, as policy-sync-worker does. */
  async function sync(t: Tenant | string, users: object[]): Promise<string> {
    const id = typeof t === 'string' ? t : t.id;
    const country = typeof t === 'string' ? 'US' : t.defaultCountry;
    const w = await policies.begin(id);
    await w.add(users.flatMap((u) => identitiesOfUser(u, country).identities));
    return (await w.commit({ users: users.length })).version ?? '';
  }

  beforeAll(async () => {
    await tenants.create(gb);
    await tenants.create(us);
  });
  afterAll(async () => {
    await tenants.close();
    await deleteRedisKeys(redis, prefix);
    await closeRedis(redis);
  });

  it('answers for every form sip-signaling may have, with the tenant default country', async () => {
    await sync(gb, [ALICE, BOB]);
    const policy = createRecordingPolicy(redis, { prefix });
    const recorded = [
      'sip:+442079460958@sbc.carrier.net;user=phone',
      'sip:%2B442079460958@sbc.carrier.net;user=phone',
      '<sip:+44-20-7946-0958@sbc.carrier.net;user=phone>;tag=1',
      'sip:02079460958@sbc.carrier.net;user=phone', // national, read in GB
      '+442079460958',
      '0044 20 7946 0958',
      '020 7946 0958',
      'tel:+44-20-7946-0958',
      'tel:7946-0958;phone-context=+44-20',
      '+44 7700 900123',
      '07700900123',
      'sip:alice@contoso.com',
      'sips:Alice@Contoso.com:5061;transport=tls',
      'ALICE@CONTOSO.COM',
      'alice.smith@contoso.com',
      '6f2b2c4e-1d3a-4e5f-8a9b-0c1d2e3f4a5b',
      '{6F2B2C4E-1D3A-4E5F-8A9B-0C1D2E3F4A5B}',
      '8:orgid:6f2b2c4e-1d3a-4e5f-8a9b-0c1d2e3f4a5b',
      'bob@contoso.com',
    ];
    for (const identity of recorded) expect([identity, await policy.isRecorded(gb.id, identity)]).toEqual([identity, true]);

    // Bob's '(425) 555-0109' was read in GB, the tenant's country (+44 4255 550109): the US number is not in the list.
    const notRecorded = ['sip:+442079460959@sbc;user=phone', '+1 425 555 0109', 'carol@contoso.com', randomUUID(), 'alice', '', 'sip:contoso.com', 'x'.repeat(5000)];
    for (const identity of notRecorded) expect([identity, await policy.isRecorded(gb.id, identity)]).toEqual([identity, false]);
    // Another tenant's list is another list.
    expect(await policy.isRecorded(us.id, 'sip:alice@contoso.com')).toBe(false);
    expect(await policy.isRecorded('no such tenant', 'sip:alice@contoso.com')).toBe(false);
  });

  it('reads national numbers in the tenant country, and in the fallback country for a tenant without a record', async () => {
    await sync(us, [BOB]);
    const orphan = randomUUID();
    await sync(orphan, [BOB]);
    const policy = createRecordingPolicy(redis, { prefix });
    expect(await policy.isRecorded(us.id, '(425) 555-0109')).toBe(true);
    expect(await policy.isRecorded(us.id, 'sip:4255550109@sbc;user=phone')).toBe(true);
    expect(await policy.isRecorded(orphan, '(425) 555-0109')).toBe(true); // fallback US
    const inGb = createRecordingPolicy(redis, { prefix, fallbackCountry: 'GB' });
    expect(await inGb.isRecorded(orphan, '(425) 555-0109')).toBe(false);
    expect(await inGb.isRecorded(orphan, '+1 425 555 0109')).toBe(true);
  });

  it('serves cached answers until the tenant is invalidated, and invalidating one tenant keeps the others', async () => {
    const a = tenant('GB');
    const b = tenant('GB');
    await tenants.create(a);
    await tenants.create(b);
    await sync(a, [ALICE]);
    await sync(b, [ALICE]);
    const policy = createRecordingPolicy(redis, { prefix, cacheTtlMs: 60_000 });
    expect(await policy.isRecorded(a.id, 'alice@contoso.com')).toBe(true);
    expect(await policy.isRecorded(b.id, 'alice@contoso.com')).toBe(true);
    expect(await policy.isRecorded(a.id, 'bob@contoso.com')).toBe(false);

    // Both lists change in Redis: Alice out, Bob in.
    await sync(a, [BOB]);
    await sync(b, [BOB]);
    expect(await policy.isRecorded(a.id, 'alice@contoso.com')).toBe(true); // cached
    expect(await policy.isRecorded(a.id, 'bob@contoso.com')).toBe(false); // cached (negative answers too)

    policy.invalidate(a.id);
    expect(await policy.isRecorded(a.id, 'alice@contoso.com')).toBe(false);
    expect(await policy.isRecorded(a.id, 'bob@contoso.com')).toBe(true);
    expect(await policy.isRecorded(b.id, 'alice@contoso.com')).toBe(true); // b untouched: still cached
    policy.invalidate(b.id);
    expect(await policy.isRecorded(b.id, 'alice@contoso.com')).toBe(false);
  });

  it('forgets cached answers after the TTL', async () => {
    const t = tenant('GB');
    await tenants.create(t);
    await sync(t, [ALICE]);
    const policy = createRecordingPolicy(redis, { prefix, cacheTtlMs: 200 });
    expect(await policy.isRecorded(t.id, 'alice@contoso.com')).toBe(true);
    await sync(t, [BOB]);
    expect(await policy.isRecorded(t.id, 'alice@contoso.com')).toBe(true);
    await waitFor('the cached answer to expire', async () => (await policy.isRecorded(t.id, 'alice@contoso.com')) === false, 5000, 50);
  });

  it('raises PolicyLookupError when Redis cannot answer', async () => {
    const nowhere = createRedisClient({ url: 'redis://127.0.0.1:1', connectionName: 'recording-policy-int-nowhere', maxRetriesPerRequest: 0, connectTimeoutMs: 300 });
    try {
      const policy = createRecordingPolicy(nowhere, { prefix });
      const err = await policy.isRecorded(gb.id, 'alice@contoso.com').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyLookupError);
      expect(err).toMatchObject({ name: 'PolicyLookupError', tenantId: gb.id });
      // The national number needs the tenant's country first: that read fails the same way.
      await expect(policy.isRecorded(gb.id, '020 7946 0958')).rejects.toBeInstanceOf(PolicyLookupError);
    } finally {
      nowhere.disconnect(false);
    }
  });

  it('runs scripts with EVALSHA, loading them with EVAL when Redis does not know them (NOSCRIPT)', async () => {
    const script = new LuaScript('probe', `return ARGV[1] .. '-${randomBytes(8).toString('hex')}'`);
    expect(await redis.script('EXISTS', script.sha)).toEqual([0]);
    const first = await script.run(redis, [], ['x']);
    expect(first).toMatch(/^x-[0-9a-f]{16}$/);
    expect(await redis.script('EXISTS', script.sha)).toEqual([1]);
    expect(await script.run(redis, [], ['y'])).toMatch(/^y-/);
  });

  it('drops a tenant cached answers on a recording-policy.updated event from Kafka, skipping poison messages', async () => {
    const kafka = createKafka({ clientId: 'recording-policy-int', brokers: kafkaBrokers, logger: createLogger({ name: 'recording-policy-int', level: 'warn' }) });
    const admin = kafka.admin();
    const topic = `int-spec.recording-policy.updated.${randomBytes(4).toString('hex')}`;
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    const producer = createIdempotentProducer(kafka);
    await producer.connect();

    const t = tenant('GB');
    await tenants.create(t);
    await sync(t, [ALICE]);
    const policy = createRecordingPolicy(redis, { prefix, cacheTtlMs: 10 * 60_000 });
    const warnings: { problem?: string }[] = [];
    const subscription = await subscribePolicyUpdates(kafka, policy, {
      groupId: `int-spec-${randomBytes(4).toString('hex')}`,
      topic,
      fromBeginning: true,
      logger: { warn: (obj: object) => warnings.push(obj as { problem?: string }), info: () => undefined } as never,
    });
    try {
      expect(await policy.isRecorded(t.id, 'alice@contoso.com')).toBe(true);
      const version = await sync(t, [BOB]);
      expect(await policy.isRecorded(t.id, 'alice@contoso.com')).toBe(true); // cached

      const event: RecordingPolicyUpdatedV1 = { type: 'recording-policy.updated', tenantId: t.id, version, identities: 2, users: 1, syncedAt: new Date().toISOString(), trigger: 'on-demand' };
      await produce(producer, topic, [
        { key: t.id, value: 'not json at all' },
        { key: t.id, value: JSON.stringify({ type: 'recording-policy.updated', tenantId: t.id }) },
        { key: t.id, value: encodeEvent(event) },
      ]);
      await waitFor('the event to drop the cached answer', async () => (await policy.isRecorded(t.id, 'alice@contoso.com')) === false, 30_000, 100);
      expect(await policy.isRecorded(t.id, 'bob@contoso.com')).toBe(true);
      expect(warnings).toHaveLength(2);
      expect(warnings[0]!.problem).toMatch(/not JSON/);
      expect(warnings[1]!.problem).toMatch(/version/);
    } finally {
      await subscription.stop();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 60_000);
});
