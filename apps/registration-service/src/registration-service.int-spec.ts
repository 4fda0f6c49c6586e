import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { Consumer } from 'kafkajs';
import { createKafka } from '@ci-connector/platform-kafka';
import { freePort, stackEndpoints, waitFor } from '@ci-connector/platform-testing';
import { decodeTenantChanged, type TenantChangedV1 } from '@ci-connector/events';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { registrationGrpcClient } from './testing/grpc-client';

// The BUILT service (nx builds it before this target) against the real Redis, the
// real Kafka and the real ci-emulator process, as an operator runs it.

const repo = join(__dirname, '../../..');

const dist = join(repo, 'dist/registration-service/apps/registration-service/src');

const APP = '4d4d4d4d-4444-4444-8444-444444444444';
const SECRET = 's3cret-registration';
const T_REST = 'a1a1a1a1-aaaa-4aaa-8aaa-aaaaaaaaaaa1';
const T_GRPC = 'b2b2b2b2-bbbb-4bbb-8bbb-bbbbbbbbbbb2';
const T_FAULT = 'c3c3c3c3-cccc-4ccc-8ccc-ccccccccccc3';
const T_RACE = 'd4d4d4d4-dddd-4ddd-8ddd-ddddddddddd4';
const ORG = 'ad3dca46-962a-4895-9f85-d25f3828781f';
const ADMIN = `admin-${randomBytes(24).toString('hex')}`;

interface Service {
  child: ChildProcess;
  out: () => string;
  url: string;
  grpc: string;
  /** GET /metrics (METRICS_PORT): the Prometheus text. */
  metrics(): Promise<string>;
  exited: Promise<number | null>;
}

/** One sample's value in GET /metrics (0 while the series is absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('registration-service with real Redis, Kafka and the ci-emulator', () => {
  const stack = stackEndpoints();
  const run = randomBytes(4).toString('hex');
  const prefix = `it-reg-${run}:`;
  const topic = `it.tenants.${run}`;
  let emu: EmulatorProcess;
  const services: Service[] = [];
  let redis: Redis;
  let api: Service;

  async function startService(extra: Record<string, string> = {}): Promise<Service> {
    const httpPort = await freePort();
    const grpcPort = await freePort();
    const metricsPort = await freePort();
    const child = spawn(process.execPath, ['--enable-source-maps', '--import', join(dist, 'instrumentation.js'), join(dist, 'main.js')], {
      cwd: repo,
      env: {
        PATH: process.env['PATH'] ?? '',
        HTTP_PORT: String(httpPort),
        METRICS_PORT: String(metricsPort),
        GRPC_PORT: String(grpcPort),
        REDIS_URL: stack.redisUrl,
        REDIS_KEY_PREFIX: prefix,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        KAFKA_TENANTS_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '3',
        OUTBOX_POLL_INTERVAL: '50ms',
        CI_API_BASE_URL: emu.url,
        ENTRA_AUTHORITY_HOST: emu.url,
        CI_API_CA_FILE: join(emu.certsDir, 'ca.pem'),
        CI_APP_CLIENT_ID: APP,
        CI_APP_CLIENT_SECRET: SECRET,
        CI_API_RETRIES: '0',
        REGISTER_BACKOFF_BASE: '200ms',
        REGISTER_BACKOFF_MAX: '1s',
        ADMIN_API_KEY: ADMIN,
        LOG_LEVEL: 'debug',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d) => (out += String(d)));
    child.stderr?.on('data', (d) => (out += String(d)));
    const s: Service = {
      child,
      out: () => out,
      url: `http://127.0.0.1:${httpPort}`,
      grpc: `127.0.0.1:${grpcPort}`,
      metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      exited: new Promise((r) => child.on('exit', r)),
    };
    services.push(s);
    await waitFor('registration-service ready', async () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
      const r = await fetch(`${s.url}/health/ready`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, 30_000, 100);
    return s;
  }

  const rest = async (s: Service, method: string, path: string, key: string | undefined, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (key) headers['authorization'] = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${s.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };

  const tenantBody = (id: string, name: string) => ({
    id,
    orgId: ORG,
    displayName: name,
    region: 'uksouth',
    accountId: `AC${id.slice(0, 8)}`,
    certificate: { subject: 'sbc.carrier.example', issuer: 'ci-emulator test CA' },
    sourceIpNetwork: '127.0.0.1',
    hosting: 'cloud',
  });

  const registrationsAt = async () => (await emu.request('GET', '/emulator/registrations')).json.registrations as Array<{ tenantId: string; rawBody: unknown }>;
  /** What the emulator's providers API answered to registrations of this tenant: status → count. */
  const registerStatuses = async (tenantId: string) => {
    const log = await emu.request('GET', `/emulator/requests?kind=register&tenantId=${tenantId}`);
    const out: Record<string, number> = {};
    for (const c of log.json.counters as Array<{ kind: string; tenantId: string | null; status: number; count: number }>) {
      if (c.kind === 'register' && c.tenantId === tenantId) out[String(c.status)] = (out[String(c.status)] ?? 0) + c.count;
    }
    return out;
  };
  const registerCount = async (tenantId: string) => Object.values(await registerStatuses(tenantId)).reduce((a, b) => a + b, 0);
  const waitState = (s: Service, id: string, state: string) =>
    waitFor(`tenant ${id} ${state}`, async () => {
      const r = await rest(s, 'GET', `/tenants/${id}`, ADMIN);
      return r.body?.status?.state === state ? r.body : undefined;
    }, 30_000, 50);

  /** Every message on the topic, read from the beginning by a fresh consumer, until `until` holds. */
  async function readTopic(until: (msgs: Array<{ key: string; value: TenantChangedV1 | null }>) => boolean) {
    const kafka = createKafka({ clientId: `it-reader-${run}`, brokers: stack.kafkaBrokers });
    const consumer: Consumer = kafka.consumer({ groupId: `it-reader-${run}-${randomBytes(4).toString('hex')}` });
    const msgs: Array<{ key: string; value: TenantChangedV1 | null; partition: number; offset: string }> = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          msgs.push({ key: String(message.key), value: decodeTenantChanged(message.value), partition, offset: message.offset });
        },
      });
      await waitFor('the topic to hold what is expected', async () => (until(msgs) ? true : undefined), 30_000, 100);
      return msgs;
    } finally {
      await consumer.disconnect();
    }
  }

  beforeAll(async () => {
    const consent = [{ clientId: APP, roles: ['Users.Read.All'] }];
    emu = await startEmulator({
      configFile: {
        apps: [{ clientId: APP, displayName: 'carrier connector', secrets: [SECRET] }],
        tenants: [T_REST, T_GRPC, T_FAULT, T_RACE].map((tenantId, i) => ({ tenantId, displayName: `Tenant ${i}`, consents: consent })),
        registrations: [],
      },
    });
    redis = new Redis(stack.redisUrl);
    api = await startService();
  });

  afterAll(async () => {
    for (const s of services) {
      if (s.child.exitCode === null && s.child.signalCode === null) {
        s.child.kill('SIGTERM');
        await s.exited;
      }
    }
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await emu?.stop();
  });

  it('registers a tenant created through REST and another created through gRPC with the seed body; registering again changes nothing', async () => {
    const created = await rest(api, 'POST', '/tenants', ADMIN, tenantBody(T_REST, 'Contoso via REST'));
    expect(created.status).toBe(201);
    const grpc = registrationGrpcClient(api.grpc);
    try {
      const g = await grpc.call('CreateTenant', { ...tenantBody(T_GRPC, 'Fabrikam via gRPC'), hosting: 'on-premises' }, ADMIN);
      expect(g).toMatchObject({ ok: true, value: { id: T_GRPC, status: { state: 'unregistered' } } });

      expect((await rest(api, 'POST', `/tenants/${T_REST}/register`, ADMIN)).status).toBe(202);
      expect(await grpc.call('RegisterTenant', { id: T_GRPC }, ADMIN)).toMatchObject({ ok: true, value: { outcome: 'accepted' } });
      const a = await waitState(api, T_REST, 'registered');
      expect(a.status).toMatchObject({ attempts: 1, registeredAt: expect.any(String) });
      await waitState(api, T_GRPC, 'registered');

      const regs = await registrationsAt();
      const raw = (id: string) => {
        const r = regs.find((x) => x.tenantId === id)?.rawBody;
        return typeof r === 'string' ? JSON.parse(r) : r;
      };
      expect(raw(T_REST)).toEqual({
        orgId: ORG,
        Type: 'custom',
        hosting: 'cloud',
        displayName: 'Contoso via REST',
        AuthenticationDetails: { AccountId: `AC${T_REST.slice(0, 8)}`, CertificateSubjectName: 'sbc.carrier.example', CertificateIssuer: 'ci-emulator test CA', SourceIPNetwork: '127.0.0.1' },
      });
      expect(raw(T_GRPC)).toMatchObject({ orgId: ORG, Type: 'custom', hosting: 'on-premises', displayName: 'Fabrikam via gRPC' });

      const before = [await registerCount(T_REST), await registerCount(T_GRPC)];
      const again = await rest(api, 'POST', `/tenants/${T_REST}/register`, ADMIN);
      expect(again.status).toBe(200);
      expect(again.body.outcome).toBe('unchanged');
      expect(await grpc.call('RegisterTenant', { id: T_GRPC }, ADMIN)).toMatchObject({ ok: true, value: { outcome: 'unchanged' } });
      expect([await registerCount(T_REST), await registerCount(T_GRPC)]).toEqual(before);
      expect((await rest(api, 'GET', `/tenants/${T_REST}`, ADMIN)).body.version).toBe(a.version);
    } finally {
      grpc.close();
    }
  });

  it('retries an emulator 429 then 500, showing the error in the tenant status, then registers', async () => {
    const before = await api.metrics();
    const registeredBefore = sample(before, 'cic_registration_tenants{state="registered"}');
    await emu.request('POST', '/emulator/faults', { json: { kind: 'register', tenantId: T_FAULT, type: '429', retryAfter: 1, count: 1 } });
    await emu.request('POST', '/emulator/faults', { json: { kind: 'register', tenantId: T_FAULT, type: '500', count: 1 } });
    expect((await rest(api, 'POST', '/tenants', ADMIN, tenantBody(T_FAULT, 'Northwind'))).status).toBe(201);
    expect((await rest(api, 'POST', `/tenants/${T_FAULT}/register`, ADMIN)).status).toBe(202);
    const retrying = await waitFor('the error in the status', async () => {
      const r = await rest(api, 'GET', `/tenants/${T_FAULT}`, ADMIN);
      return r.body.status.state === 'pending' && r.body.status.lastError ? r.body.status : undefined;
    }, 30_000, 20);
    expect(retrying.attempts).toBeGreaterThanOrEqual(1);
    expect(retrying.lastError).toMatch(/429|500/);
    const done = await waitState(api, T_FAULT, 'registered');
    expect(done.status.attempts).toBe(3);
    expect(await registerStatuses(T_FAULT)).toEqual({ '429': 1, '500': 1, '201': 1 });
    // Every step is on Kafka, in order: pending with the 429, then with the 500, then registered.
    const msgs = await readTopic((m) => m.some((x) => x.key === T_FAULT && x.value?.tenant.status.state === 'registered'));
    const steps = msgs.filter((m) => m.key === T_FAULT).map((m) => [m.value?.tenant.status.state, m.value?.tenant.status.lastError ?? '']);
    expect(steps[0]).toEqual(['unregistered', '']);
    expect(steps.at(-1)?.[0]).toBe('registered');
    const errors = steps.map((s) => s[1]).filter(Boolean);
    expect(errors.findIndex((e) => /429/.test(String(e)))).toBeLessThan(errors.findIndex((e) => /500/.test(String(e))));
    // GET /metrics: two attempts failed and were retried, one succeeded; one more registered tenant (the count is read at most once a second).
    const after = await waitFor('one more registered tenant in GET /metrics', async () => {
      const text = await api.metrics();
      return sample(text, 'cic_registration_tenants{state="registered"}') === registeredBefore + 1 ? text : undefined;
    }, 5_000, 200);
    const attempts = (text: string) => ['ok', 'retryable_error', 'error'].map((r) => sample(text, `cic_registration_attempts_total{result="${r}"}`));
    expect(attempts(after).map((n, i) => n - (attempts(before)[i] ?? 0))).toEqual([1, 2, 0]);
  });

  it('refuses invalid tenants with 400 listing each field and writes nothing to Redis', async () => {
    const tenantsBefore = (await redis.smembers(`${prefix}tenants`)).sort();
    const tenantKeysBefore = (await redis.keys(`${prefix}tenant:*`)).sort();
    const r = await rest(api, 'POST', '/tenants', ADMIN, {
      id: 'e5e5e5e5-not-a-guid',
      orgId: 'nope',
      displayName: 'Bad',
      region: 'moon',
      accountId: 'AC1',
      certificate: { pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['certificate.pem', 'id', 'orgId', 'region']);
    const grpc = registrationGrpcClient(api.grpc);
    try {
      const g = await grpc.call('CreateTenant', { id: 'zzz', orgId: ORG, displayName: 'x', region: 'moon', accountId: 'A', certificate: { subject: 's', issuer: 'i' } }, ADMIN);
      expect(g).toMatchObject({ ok: false, code: 3, violations: [{ field: 'id' }, { field: 'region' }] });
    } finally {
      grpc.close();
    }
    expect((await redis.smembers(`${prefix}tenants`)).sort()).toEqual(tenantsBefore);
    expect((await redis.keys(`${prefix}tenant:*`)).sort()).toEqual(tenantKeysBefore);
    const outbox = await redis.xrange(`${prefix}outbox:tenants`, '-', '+');
    expect(JSON.stringify(outbox)).not.toMatch(/e5e5e5e5|zzz/);
  });

  it('no key → 401; a key for one tenant cannot see or change another, over REST and gRPC', async () => {
    expect((await rest(api, 'GET', '/tenants', undefined)).status).toBe(401);
    expect((await rest(api, 'GET', `/tenants/${T_REST}`, 'cic_invalid')).status).toBe(401);
    const minted = await rest(api, 'POST', '/api-keys', ADMIN, { name: 'rest tenant only', tenants: [T_REST] });
    expect(minted.status).toBe(201);
    const key: string = minted.body.key;
    // Stored hashed: the key itself is nowhere in Redis.
    const stored = await Promise.all((await redis.keys(`${prefix}apikey*`)).map(async (k) => ((await redis.type(k)) === 'string' ? await redis.get(k) : JSON.stringify(await redis.hgetall(k)))));
    expect(stored.join('\n')).not.toContain(key);

    expect((await rest(api, 'GET', '/tenants', key)).body.tenants.map((t: { id: string }) => t.id)).toEqual([T_REST]);
    expect((await rest(api, 'GET', `/tenants/${T_GRPC}`, key)).status).toBe(404);
    expect((await rest(api, 'PATCH', `/tenants/${T_GRPC}`, key, { displayName: 'hijacked' })).status).toBe(404);
    expect((await rest(api, 'DELETE', `/tenants/${T_GRPC}`, key)).status).toBe(404);
    const grpc = registrationGrpcClient(api.grpc);
    try {
      expect(await grpc.call('ListTenants', {})).toMatchObject({ ok: false, code: 16 });
      expect(await grpc.call('GetTenant', { id: T_GRPC }, key)).toMatchObject({ ok: false, code: 5 });
      expect(await grpc.call('UpdateTenant', { id: T_GRPC, displayName: 'hijacked' }, key)).toMatchObject({ ok: false, code: 5 });
      expect(await grpc.call('DeleteTenant', { id: T_GRPC }, key)).toMatchObject({ ok: false, code: 5 });
      expect(await grpc.call('GetTenant', { id: T_REST }, key, 'x-api-key')).toMatchObject({ ok: true, value: { id: T_REST } });
    } finally {
      grpc.close();
    }
    expect((await rest(api, 'GET', `/tenants/${T_GRPC}`, ADMIN)).body.displayName).toBe('Fabrikam via gRPC');
  });

  it('two replicas: one registration for concurrent requests, and the topic holds each tenant latest state in order, then a tombstone after delete', async () => {
    const second = await startService();
    expect((await rest(api, 'POST', '/tenants', ADMIN, tenantBody(T_RACE, 'Race v1'))).status).toBe(201);
    // Changes through both replicas; both relays compete for the outbox.
    for (let i = 2; i <= 6; i++) {
      const via = i % 2 === 0 ? second : api;
      expect((await rest(via, 'PATCH', `/tenants/${T_RACE}`, ADMIN, { displayName: `Race v${i}` })).status).toBe(200);
    }
    const [r1, r2] = await Promise.all([rest(api, 'POST', `/tenants/${T_RACE}/register`, ADMIN), rest(second, 'POST', `/tenants/${T_RACE}/register`, ADMIN)]);
    expect([r1.status, r2.status]).toEqual([202, 202]);
    const registered = await waitState(second, T_RACE, 'registered');
    expect(await registerCount(T_RACE)).toBe(1);

    const latest = await readTopic((m) => m.some((x) => x.key === T_RACE && x.value?.tenant.version === registered.version));
    const versions = latest.filter((m) => m.key === T_RACE).map((m) => m.value?.tenant.version ?? 0);
    // Per key, in order and none lost (duplicates of a re-sent batch are allowed).
    expect([...new Set(versions)]).toEqual(Array.from({ length: registered.version }, (_, i) => i + 1));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(latest.filter((m) => m.key === T_RACE).at(-1)?.value?.tenant).toMatchObject({ displayName: 'Race v6', status: { state: 'registered' } });

    expect((await rest(second, 'DELETE', `/tenants/${T_RACE}`, ADMIN)).status).toBe(204);
    expect((await rest(api, 'GET', `/tenants/${T_RACE}`, ADMIN)).status).toBe(404);
    const after = await readTopic((m) => m.some((x) => x.key === T_RACE && x.value === null));
    expect(after.filter((m) => m.key === T_RACE).at(-1)?.value).toBeNull();
    // The topic is compacted.
    const kafka = createKafka({ clientId: `it-admin-${run}`, brokers: stack.kafkaBrokers });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }], includeSynonyms: false });
      expect(cfg.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe('compact');
    } finally {
      await admin.disconnect();
    }
  });

  it('sync schedules the tenant for the policy-sync-worker now; SIGTERM shuts down cleanly', async () => {
    const before = Date.now();
    const r = await rest(api, 'POST', `/tenants/${T_REST}/sync`, ADMIN);
    expect(r.status).toBe(202);
    const due = Number(await redis.zscore(`${prefix}policy:schedule`, T_REST));
    expect(due).toBeGreaterThanOrEqual(before);
    expect(due).toBeLessThanOrEqual(Date.now());
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(api.out()).not.toContain(ADMIN);
  });
});
