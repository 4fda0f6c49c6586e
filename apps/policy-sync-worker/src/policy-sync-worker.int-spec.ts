import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { freePort, stackEndpoints, waitFor, deleteRedisKeys } from '@ci-connector/platform-testing';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { createIdempotentProducer, createKafka, ensureTopics, produce } from '@ci-connector/platform-kafka';
import { decodeRecordingPolicyUpdated, encodeEvent, type RecordingPolicyUpdatedV1 } from '@ci-connector/events';
import { createPolicyStore, createRecordingPolicy, createSyncScheduler, createTenantStore, type PolicyStore, type RecordingPolicy, type TenantStore } from '@ci-connector/recording-policy';
import { newTenant, type Tenant } from '@ci-connector/tenancy';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
// The emulator's deterministic users (the same function serves them): a test-only import from that app.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { generatedUser } from '../../ci-emulator/src/entra/users';
import type { WorkerStatus } from './status/status-service';

// Runs the BUILT worker (nx builds it, and the emulator, before this target) as
// an operator would, against the real Redis and Kafka of deploy/local and the
// real ci-emulator process. Every run uses its own Redis prefix, Kafka topics
// and consumer group.

const repo = join(__dirname, '../../..');
const dist = join(repo, 'dist/policy-sync-worker/apps/policy-sync-worker/src');
const run = randomBytes(4).toString('hex');
const APP = '4d4d4d4d-4444-4444-8444-444444444444';
const SECRET = 's3cret-' + run;
const guid = (n: number) => `${run}-${String(n).padStart(4, '0')}-4aaa-8aaa-${String(n).padStart(12, '0')}`;
const TA = guid(1); // on-demand, tenant changes, lookups
const TB = guid(2); // interval, outage (runs last: it stops the emulator)
const TC = [guid(31), guid(32), guid(33), guid(34)]; // two replicas
const TD = guid(4); // 100,000 users
const GEN = { count: 100_000, seed: `psw-${run}`, domain: 'bigcorp.example' };

const alice = { id: 'a11ce000-0000-4000-8000-000000000001', userPrincipalName: 'Alice.Jones@Fabrikam.example', mobilePhone: '+447700900123' };
const bob = { id: 'b0b00000-0000-4000-8000-000000000002', userPrincipalName: 'bob@fabrikam.example', businessPhones: ['+442079460018'] };

interface Worker {
  child: ChildProcess;
  base: string;
  /** GET /metrics (METRICS_PORT). */
  metrics(): Promise<string>;
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

const stack = stackEndpoints();
const tenantsTopic = `psw-${run}.tenants`;
const policyTopic = `psw-${run}.policy`;
let emu: EmulatorProcess;
let redis: Redis;
let kafka: Kafka;
let producer: Producer;
let policyConsumer: Consumer;
const policyEvents: RecordingPolicyUpdatedV1[] = [];
const workers: Worker[] = [];

function world(prefix: string): { prefix: string; tenants: TenantStore; policies: PolicyStore; lookups: RecordingPolicy } {
  return { prefix, tenants: createTenantStore(redis, { prefix }), policies: createPolicyStore(redis, { prefix }), lookups: createRecordingPolicy(redis, { prefix }) };
}

function registered(id: string, over: Partial<Tenant> = {}): Tenant {
  const t = newTenant(
    {
      id,
      orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
      displayName: `psw ${id.slice(0, 8)}`,
      region: 'uksouth',
      accountId: 'AC0123',
      certificate: { subject: 'sbc.carrier.example', issuer: 'ci-emulator test CA' },
      sourceIpNetwork: '0.0.0.0',
      hosting: 'cloud',
      recordingMode: 'automatic',
      defaultCountry: 'GB',
    } as Parameters<typeof newTenant>[0],
    new Date(),
  );
  return { ...t, status: { state: 'registered', attempts: 1, registeredAt: new Date().toISOString() }, ...over };
}

async function publishTenant(id: string, tenant: Tenant | null): Promise<void> {
  await produce(producer, tenantsTopic, [{ key: id, value: tenant ? encodeEvent({ type: 'tenant.changed', tenant, at: new Date().toISOString() }) : null }], { deadlineMs: 10_000 });
}

async function startWorker(prefix: string, env: Record<string, string>): Promise<Worker> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  // The flags of project.json's serve target (and the container's): a young generation of 8 MB keeps the RSS low while syncing.
  const child = spawn(process.execPath, ['--max-semi-space-size=8', '--enable-source-maps', '--import', join(dist, 'instrumentation.js'), join(dist, 'main.js')], {
    cwd: repo,
    env: {
      PATH: process.env['PATH'] ?? '',
      HTTP_PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      REDIS_URL: stack.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      KAFKA_GROUP_ID: `psw-${run}-${prefix}`,
      KAFKA_TENANTS_TOPIC: tenantsTopic,
      KAFKA_POLICY_TOPIC: policyTopic,
      KAFKA_TOPIC_PARTITIONS: '3',
      CI_API_BASE_URL: emu.url,
      ENTRA_AUTHORITY_HOST: emu.url,
      CI_API_CA_FILE: join(emu.certsDir, 'ca.pem'),
      CI_APP_CLIENT_ID: APP,
      CI_APP_CLIENT_SECRET: SECRET,
      SYNC_POLL: '100ms',
      SYNC_JITTER: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const worker: Worker = {
    child,
    base,
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  workers.push(worker);
  await waitFor(
    'the worker to be ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}:\n${out}`);
      const r = await fetch(`${base}/health/ready`).catch(() => undefined);
      return r?.status === 200;
    },
    30_000,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- worker output ---\n${out}`);
  });
  return worker;
}

/** waitFor, with the workers' output in the failure message. */
async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  try {
    return await waitFor(what, check, timeoutMs, everyMs);
  } catch (err) {
    const outputs = workers.map((w, i) => `--- worker ${i + 1} output (last 6000 characters) ---\n${w.output().slice(-6000)}`).join('\n');
    throw new Error(`${(err as Error).message}\n${outputs}`);
  }
}

async function status(w: Worker): Promise<WorkerStatus> {
  const r = await fetch(`${w.base}/status`);
  expect(r.status).toBe(200);
  return (await r.json()) as WorkerStatus;
}

/** One sample's value in GET /metrics (undefined while the series is absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function row(s: WorkerStatus, id: string) {
  return s.tenants.find((t) => t.tenantId === id);
}

async function isRecorded(lookups: RecordingPolicy, tenantId: string, identity: string): Promise<boolean> {
  lookups.invalidate(tenantId);
  return lookups.isRecorded(tenantId, identity);
}

function deleteKeys(prefix: string): Promise<void> {
  return deleteRedisKeys(redis, prefix);
}

function vmHwmBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  const kb = Number(/(\d+)\s*kB/.exec(line ?? '')?.[1]);
  return kb * 1024;
}

beforeAll(async () => {
  emu = await startEmulator({
    configFile: {
      apps: [{ clientId: APP, displayName: 'carrier connector', secrets: [SECRET] }],
      tenants: [
        { tenantId: TA, displayName: 'Fabrikam', consents: [{ clientId: APP, roles: ['Users.Read.All'] }], users: [alice, bob], usersResponse: { shape: 'paged', pageSize: 1 } },
        { tenantId: TB, displayName: 'Tailspin', consents: [{ clientId: APP, roles: ['Users.Read.All'] }], users: [alice], usersResponse: { shape: 'value' } },
        ...TC.map((t) => ({ tenantId: t, consents: [{ clientId: APP, roles: ['Users.Read.All'] }], users: [alice, bob], usersResponse: { shape: 'array' } })),
        { tenantId: TD, displayName: 'Bigcorp', consents: [{ clientId: APP, roles: ['Users.Read.All'] }], users: { generate: GEN }, usersResponse: { shape: 'paged', pageSize: 1000 } },
      ],
      registrations: [],
    },
  });
  redis = createRedisClient({ url: stack.redisUrl, connectionName: `psw-test-${run}`, commandTimeoutMs: 5000 });
  kafka = createKafka({ clientId: `psw-test-${run}`, brokers: stack.kafkaBrokers });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic: tenantsTopic, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: policyTopic, numPartitions: 3, replicationFactor: 1 },
  ]);
  await admin.disconnect();
  producer = createIdempotentProducer(kafka);
  await producer.connect();
  policyConsumer = kafka.consumer({ groupId: `psw-test-${run}-policy` });
  await policyConsumer.connect();
  await policyConsumer.subscribe({ topic: policyTopic, fromBeginning: true });
  await policyConsumer.run({
    eachMessage: async ({ message }) => {
      const event = decodeRecordingPolicyUpdated(message.value);
      expect(message.key?.toString()).toBe(event.tenantId);
      policyEvents.push(event);
    },
  });
}, 120_000);

afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
  }
});

afterAll(async () => {
  await policyConsumer?.disconnect();
  await producer?.disconnect();
  await emu?.stop();
  if (redis) {
    await deleteKeys(`psw-${run}-`);
    await closeRedis(redis);
  }
});

describe('policy-sync-worker', () => {
  it('follows the tenants topic: syncs a tenant that becomes registered, answers lookups, syncs on demand, drops a deleted tenant', async () => {
    const w = world(`psw-${run}-a:`);
    const worker = await startWorker(w.prefix, { SYNC_INTERVAL: '1h', DEGRADED_AFTER: '2h' });

    // Garbage on the topic is skipped (logged), never fatal.
    await produce(producer, tenantsTopic, [{ key: TA, value: Buffer.from('not json') }], { deadlineMs: 10_000 });
    // A pending tenant is not synced; once registered it is synced at once.
    const pending = { ...registered(TA), status: { state: 'pending' as const, attempts: 0 } };
    await w.tenants.create(pending);
    await publishTenant(TA, pending);
    const reg = { ...registered(TA), version: 2 };
    await w.tenants.update(reg, 1);
    await publishTenant(TA, reg);

    const first = await until('the first sync of TA', async () => row(await status(worker), TA)?.version, 30_000, 100);
    const s = row(await status(worker), TA);
    expect(s).toMatchObject({ state: 'registered', version: first, users: 2, identities: 6, stale: false, syncing: false, failures: 0 });
    expect(s?.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(typeof s?.nextDueAt).toBe('string');
    expect(s).not.toHaveProperty('lastError');

    // Lookups (recording-policy) against what the worker wrote.
    expect(await isRecorded(w.lookups, TA, 'alice.jones@fabrikam.example')).toBe(true);
    expect(await isRecorded(w.lookups, TA, 'ALICE.JONES@FABRIKAM.EXAMPLE')).toBe(true);
    expect(await isRecorded(w.lookups, TA, alice.id.toUpperCase())).toBe(true);
    expect(await isRecorded(w.lookups, TA, '07700 900123')).toBe(true);
    expect(await isRecorded(w.lookups, TA, '+44 20 7946 0018')).toBe(true);
    expect(await isRecorded(w.lookups, TA, 'mallory@fabrikam.example')).toBe(false);
    expect(await isRecorded(w.lookups, TA, '07700 900999')).toBe(false);

    const firstEvent = await until('the first recording-policy.updated', () => policyEvents.find((e) => e.tenantId === TA && e.version === first), 20_000);
    expect(firstEvent).toMatchObject({ type: 'recording-policy.updated', users: 2, identities: 6, trigger: 'tenant-change' });

    // A change at the emulator appears at once after POST /tenants/{id}/sync (the interval is an hour).
    const carol = { id: 'ca201000-0000-4000-8000-000000000003', userPrincipalName: 'carol@fabrikam.example' };
    expect((await emu.request('POST', `/emulator/tenants/${TA}/users`, { json: carol })).status).toBe(201);
    expect(await isRecorded(w.lookups, TA, 'carol@fabrikam.example')).toBe(false);
    const sync = await fetch(`${worker.base}/tenants/${TA.toUpperCase()}/sync`, { method: 'POST' });
    expect(sync.status).toBe(202);
    expect(await sync.json()).toMatchObject({ tenantId: TA, trigger: 'on-demand' });
    await until('carol to be recorded', () => isRecorded(w.lookups, TA, 'carol@fabrikam.example'), 30_000, 100);
    // /status may answer from its one-second cache
    const second = await until('the new version in /status', async () => {
      const r = row(await status(worker), TA);
      return r?.version !== first ? r : undefined;
    });
    expect(second).toMatchObject({ users: 3, identities: 8 });
    expect(await until('the on-demand event', () => policyEvents.find((e) => e.tenantId === TA && e.version === second?.version), 20_000)).toMatchObject({ trigger: 'on-demand', users: 3 });
    // GET /metrics: two syncs went live (2 then 3 users); TA's last sync time is the live list's.
    const metrics = await worker.metrics();
    expect(sample(metrics, 'cic_policy_syncs_total{result="synced"}')).toBe(2);
    expect(sample(metrics, 'cic_policy_users_synced_total')).toBe(5);
    expect(sample(metrics, 'cic_policy_sync_duration_seconds_count')).toBe(2);
    expect(sample(metrics, `cic_policy_last_sync_timestamp_seconds{tenant_id="${TA}"}`)).toBe(Date.parse(second?.syncedAt ?? '') / 1000);
    expect(sample(metrics, `cic_policy_tenant_stale{tenant_id="${TA}"}`)).toBe(0);

    // Bad requests are named.
    const bad = await fetch(`${worker.base}/tenants/not-a-guid/sync`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ details: [{ field: 'id', message: 'not a GUID (Entra tenant id)' }] });
    const unknown = await fetch(`${worker.base}/tenants/${guid(999)}/sync`, { method: 'POST' });
    expect(unknown.status).toBe(404);

    // Deleted (tombstone): unscheduled and its policy dropped.
    expect(await w.tenants.delete(TA)).toBe(true);
    await publishTenant(TA, null);
    await until('TA dropped', async () => (await w.policies.meta(TA)).version === undefined, 20_000, 100);
    expect(await createSyncScheduler(redis, { prefix: w.prefix }).dueAt(TA)).toBeUndefined();
    expect(await isRecorded(w.lookups, TA, 'alice.jones@fabrikam.example')).toBe(false);
    expect(await redis.keys(`${w.prefix}policy:${TA}:*`)).toEqual([]);

    expect(worker.output()).toContain('undecodable tenant change: skipped');
    expect(await worker.stop()).toBe(0);
    expect(worker.output()).toMatch(/"reason":"SIGTERM".*"code":0.*"msg":"shut down"/);
  });

  it('exits 78 before starting, with one message listing every bad variable', async () => {
    const child = spawn(process.execPath, [join(dist, 'main.js')], {
      cwd: repo,
      env: { PATH: process.env['PATH'] ?? '', REDIS_URL: 'http://wrong', KAFKA_BROKERS: '127.0.0.1:9092', CI_APP_CLIENT_ID: 'not-a-guid', CI_APP_CLIENT_SECRET: 'hunter2', SYNC_INTERVAL: 'often' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(78);
    expect(stderr).toBe(
      [
        'policy-sync-worker: invalid configuration, 3 bad variables:',
        '  - REDIS_URL: not a valid URL (got "http://wrong"); expects a URL (redis:// or rediss://)',
        '  - CI_APP_CLIENT_ID: not a GUID (got "not-a-guid"); expects the carrier\'s Entra app (client) id, a GUID',
        '  - SYNC_INTERVAL: not a duration (got "often"); expects a duration such as 500ms, 10s, 5m or 1h (a bare number is ms)',
        '',
      ].join('\n'),
    );
  });

  it('two replicas sync each tenant once per interval (the emulator counts the listings)', async () => {
    const w = world(`psw-${run}-c:`);
    for (const t of TC) await w.tenants.create(registered(t));
    expect((await emu.request('DELETE', '/emulator/requests')).status).toBeLessThan(300);
    const env = { SYNC_INTERVAL: '3s', DEGRADED_AFTER: '1h', SYNC_CONCURRENCY: '2' };
    const [w1, w2] = await Promise.all([startWorker(w.prefix, { ...env, WORKER_ID: 'replica-1' }), startWorker(w.prefix, { ...env, WORKER_ID: 'replica-2' })]);

    await until(
      'three syncs of every tenant',
      async () => {
        const r = await emu.request('GET', '/emulator/requests?kind=users');
        return TC.every((t) => (r.json.syncsByTenant[t]?.count ?? 0) >= 3);
      },
      60_000,
      250,
    );
    expect(await w1.stop()).toBe(0);
    expect(await w2.stop()).toBe(0);

    const r = await emu.request('GET', '/emulator/requests?kind=users');
    const syncs = r.json.syncsByTenant as Record<string, { count: number; times: string[] }>;
    let total = 0;
    for (const t of TC) {
      const times = (syncs[t]?.times ?? []).map((x) => Date.parse(x)).sort((a, b) => a - b);
      total += times.length;
      // never twice within one interval, whichever replica did it
      for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(2900);
    }
    // every listing the emulator answered was one sync of one replica: nothing done twice
    const synced = (out: string) => out.split('\n').filter((l) => l.includes('"msg":"policy synced"')).length;
    expect(synced(w1.output()) + synced(w2.output())).toBe(total);
    // and the replicas shared the work
    expect(synced(w1.output())).toBeGreaterThan(0);
    expect(synced(w2.output())).toBeGreaterThan(0);
  });

  it('syncs 100,000 users paged with the worker under 200 MB RSS; a shutdown mid-sync aborts it without switching the pointer', async () => {
    const w = world(`psw-${run}-d:`);
    await w.tenants.create(registered(TD, { defaultCountry: 'US' }));
    const worker = await startWorker(w.prefix, { SYNC_INTERVAL: '1h', DEGRADED_AFTER: '2h', SYNC_DRAIN_TIMEOUT: '100ms' });

    const synced = await until('100,000 users synced', async () => {
      const s = row(await status(worker), TD);
      return s?.version ? s : undefined;
    }, 120_000, 200);
    expect(synced.users).toBe(100_000);
    expect(synced.identities).toBeGreaterThanOrEqual(200_000);
    const hwm = vmHwmBytes(worker.pid);
    expect(hwm).toBeLessThan(200 * 1024 * 1024);

    const u = generatedUser(GEN, 77_777);
    expect(await isRecorded(w.lookups, TD, String(u['userPrincipalName']))).toBe(true);
    expect(await isRecorded(w.lookups, TD, String(u['id']))).toBe(true);
    expect(await isRecorded(w.lookups, TD, 'nobody@bigcorp.example')).toBe(false);

    // Slow the listing down, start a sync, stop the worker in the middle of it.
    expect((await emu.request('POST', '/emulator/faults', { json: { kind: 'users', type: 'slow', delayMs: 300, tenantId: TD } })).status).toBeLessThan(300);
    expect((await fetch(`${worker.base}/tenants/${TD}/sync`, { method: 'POST' })).status).toBe(202);
    await until('the sync to be in progress', async () => row(await status(worker), TD)?.syncing, 20_000, 50);
    expect(await worker.stop()).toBe(0);
    await emu.request('DELETE', '/emulator/faults');

    expect(worker.output()).toContain('policy sync aborted: handed back for another replica');
    const meta = await w.policies.meta(TD);
    expect(meta.version).toBe(synced.version);
    expect(meta.users).toBe(100_000);
    expect(meta).not.toHaveProperty('lastError');
    expect(await redis.keys(`${w.prefix}policy:${TD}:v:*`)).toEqual([`${w.prefix}policy:${TD}:v:${synced.version}`]);
    // handed back: due now, for another replica
    expect(await createSyncScheduler(redis, { prefix: w.prefix }).dueAt(TD)).toBeLessThanOrEqual(Date.now());
  });

  // Last: it stops the emulator.
  it('reconciles from Redis, picks up a change after the next interval; with the API down keeps the last list, its age grows, readiness says degraded', async () => {
    const w = world(`psw-${run}-b:`);
    await w.tenants.create(registered(TB)); // in Redis only, never on Kafka: found by reconcile
    const worker = await startWorker(w.prefix, {
      SYNC_INTERVAL: '2s',
      DEGRADED_AFTER: '3s',
      SYNC_RETRY_MIN: '500ms',
      SYNC_RETRY_MAX: '2s',
      CI_RETRY_MAX_ATTEMPTS: '1',
      CI_API_TIMEOUT: '2s',
    });
    const first = await until('the first sync of TB', async () => row(await status(worker), TB)?.version, 30_000, 100);
    expect(await isRecorded(w.lookups, TB, 'alice.jones@fabrikam.example')).toBe(true);

    expect((await emu.request('POST', `/emulator/tenants/${TB}/users`, { json: bob })).status).toBe(201);
    await until('bob to be recorded after the next interval', () => isRecorded(w.lookups, TB, 'bob@fabrikam.example'), 30_000, 100);
    const afterInterval = await until('the new version in /status', async () => {
      const r = row(await status(worker), TB);
      return r?.version !== first ? r : undefined;
    });
    expect(await until('the interval event', () => policyEvents.find((e) => e.tenantId === TB && e.version === afterInterval?.version), 20_000)).toMatchObject({ trigger: 'interval', users: 2 });

    await emu.stop();
    const failing = await until('the failure to show', async () => {
      const s = row(await status(worker), TB);
      return s?.lastError && s.stale ? s : undefined;
    }, 60_000, 200);
    expect(failing.version).toBe(afterInterval?.version);
    expect(failing.lastError).toMatch(/ProvidersApiError|TokenError/);
    const ready = await fetch(`${worker.base}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { checks: { policies: { ok: boolean; degraded: boolean; stale: { tenantId: string; ageSeconds: number }[] } } };
    expect(body.checks.policies).toMatchObject({ ok: true, degraded: true, stale: [{ tenantId: TB }] });
    expect((await status(worker)).degraded).toBe(true);
    // GET /metrics: the failures by what failed (the emulator is gone: the token or the providers call), TB stale, its last sync time unchanged.
    const metrics = await worker.metrics();
    const failures = [...metrics.matchAll(/^cic_policy_sync_failures_total\{reason="((?:providers|token)_[a-z_]+)"\} (\d+)$/gm)];
    expect(failures.reduce((n, m) => n + Number(m[2]), 0)).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, `cic_policy_tenant_stale{tenant_id="${TB}"}`)).toBe(1);
    expect(sample(metrics, 'cic_policy_degraded')).toBe(1);
    expect(sample(metrics, `cic_policy_last_sync_timestamp_seconds{tenant_id="${TB}"}`)).toBe(Date.parse(afterInterval?.syncedAt ?? '') / 1000);
    // the age grows while the last good list stays in use
    await until('the age to grow', async () => (row(await status(worker), TB)?.ageSeconds ?? 0) > (failing.ageSeconds ?? 0), 10_000, 250);
    expect(await isRecorded(w.lookups, TB, 'bob@fabrikam.example')).toBe(true);
    expect(await isRecorded(w.lookups, TB, 'alice.jones@fabrikam.example')).toBe(true);
    expect((await w.policies.meta(TB)).version).toBe(afterInterval?.version);

    expect(await worker.stop()).toBe(0);
  });
});
