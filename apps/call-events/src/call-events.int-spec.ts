import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import type { Admin, Consumer } from 'kafkajs';
import { createKafka } from '@ci-connector/platform-kafka';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { deleteRedisKeys, freePort, stackEndpoints, waitFor } from '@ci-connector/platform-testing';
import { callEventId, decodeDialerCallEvent, decodeRecordingControl, verifyWidgetToken, type DialerCallEventV1 } from '@ci-connector/events';
import { createApiKeyStore, createTenantStore } from '@ci-connector/recording-policy';
import { newTenant, type TenantCreate } from '@ci-connector/tenancy';
import { mintCerts } from '@ci-connector/ci-emulator-testing';
import { callEventsGrpcClient } from './testing/grpc-client';

// The BUILT service (nx builds it before this target) against the real Redis and
// the real Kafka, as an operator runs it; tenants and API keys written to Redis
// the way registration-service writes them.

const repo = join(__dirname, '../../..');
const dist = join(repo, 'dist/call-events/apps/call-events/src');

const T1 = 'a1a1a1a1-aaaa-4aaa-8aaa-aaaaaaaaaaa1';
const T2 = 'b2b2b2b2-bbbb-4bbb-8bbb-bbbbbbbbbbb2';
const T_UNKNOWN = 'c3c3c3c3-cccc-4ccc-8ccc-ccccccccccc3';
const SECRET = `secret-${randomBytes(24).toString('hex')}`;

interface Service {
  child: ChildProcess;
  out: () => string;
  url: string;
  grpc: string;
  /** GET /metrics (METRICS_PORT): the Prometheus text. */
  metrics(): Promise<string>;
  mtlsUrl?: string;
  mtlsGrpc?: string;
  exited: Promise<number | null>;
}

interface Seen {
  topic: string;
  key: string;
  value: Buffer;
}

const stack = stackEndpoints();
const run = randomBytes(4).toString('hex');
const prefix = `it-ce-${run}:`;
const eventsTopic = `it.call-events.${run}`;
const controlTopic = `it.recording-control.${run}`;
const work = mkdtempSync(join(tmpdir(), 'call-events-it-'));
const certs = join(work, 'certs');
const services: Service[] = [];
const redis = createRedisClient({ url: stack.redisUrl, connectionName: 'call-events-int-spec' });
const kafka = createKafka({ clientId: 'call-events-int-spec', brokers: stack.kafkaBrokers });
let admin: Admin;
let consumer: Consumer;
const seen: Seen[] = [];
let keyA: string; // partner A: tenant T1 only
let keyAll: string; // every tenant
let keyAId: string;
let keyAllId: string;
let api: Service;

async function startService(extra: Record<string, string> = {}, wait = true): Promise<Service> {
  const [httpPort, grpcPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
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
      KAFKA_CALL_EVENTS_TOPIC: eventsTopic,
      KAFKA_RECORDING_CONTROL_TOPIC: controlTopic,
      KAFKA_TOPIC_PARTITIONS: '3',
      WIDGET_TOKEN_SECRET: SECRET,
      AUTH_CACHE_TTL: '0',
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
    ...(extra['MTLS_HTTPS_PORT'] ? { mtlsUrl: `https://127.0.0.1:${extra['MTLS_HTTPS_PORT']}` } : {}),
    ...(extra['MTLS_GRPC_PORT'] ? { mtlsGrpc: `127.0.0.1:${extra['MTLS_GRPC_PORT']}` } : {}),
    exited: new Promise((r) => child.on('exit', r)),
  };
  services.push(s);
  if (wait) {
    await waitFor(
      'call-events ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
        const r = await fetch(`${s.url}/health/ready`).catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      },
      30_000,
      100,
    );
  }
  return s;
}

/** How much each series of GET /metrics grew since `before` (a series absent counts 0). */
function grown(before: string, after: string, series: string[]): Record<string, number> {
  const value = (text: string, name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.slice(name.length + 1) ?? 0);
  return Object.fromEntries(series.map((name) => [name, value(after, name) - value(before, name)]));
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : undefined };
}

/** POST over HTTPS with an optional client certificate (fetch cannot present one). */
function postTls(path: string, body: unknown, client?: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const ca = readFileSync(join(certs, 'ca.pem'));
  const tlsClient = client ? { cert: readFileSync(join(certs, `${client}.pem`)), key: readFileSync(join(certs, `${client}-key.pem`)) } : {};
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${api.mtlsUrl}${path}`,
      { method: 'POST', ca, ...tlsClient, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'idempotency-key': `tls-${randomBytes(4).toString('hex')}` } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += String(d)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const bearer = (key: string, idem?: string) => ({ authorization: `Bearer ${key}`, ...(idem ? { 'idempotency-key': idem } : {}) });

const startedBody = (over: Record<string, unknown> = {}) => ({
  tenantId: T1,
  sellerId: 'seller-1@contoso.example',
  startTime: '2026-11-29T10:00:00Z',
  isIncomingCall: true,
  contactNumber: '+442079460000',
  contactName: 'Ada Customer',
  ...over,
});
const endedBody = (over: Record<string, unknown> = {}) => ({
  tenantId: T1,
  sellerId: 'seller-1@contoso.example',
  callDurationInSeconds: 42,
  callTerminationReason: 'success',
  callEndTime: '2026-11-29T10:00:42Z',
  isCallStarted: true,
  ...over,
});

/** Sum of the topic's high watermarks: how many messages the broker has acknowledged on it. */
async function stored(topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

const eventsFor = (callId: string) => seen.filter((m) => m.topic === eventsTopic && m.key === callId).map((m) => decodeDialerCallEvent(m.value));
const waitEvents = (callId: string, n: number) => waitFor(`${n} events of ${callId} on ${eventsTopic}`, () => (eventsFor(callId).length >= n ? eventsFor(callId) : undefined), 20_000);

function tenant(id: string): TenantCreate {
  return {
    id,
    orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
    displayName: `call-events it ${id.slice(0, 8)}`,
    region: 'uksouth',
    accountId: 'AC0123',
    certificate: { subject: 'sbc.carrier.example', issuer: 'ci-emulator test CA' },
    sourceIpNetwork: '0.0.0.0',
    hosting: 'cloud',
    recordingMode: 'automatic',
    defaultCountry: 'GB',
  } as TenantCreate;
}

beforeAll(async () => {
  // Tenants and partners' API keys as registration-service keeps them.
  const tenants = createTenantStore(redis, { prefix });
  await tenants.create(newTenant(tenant(T1), new Date()));
  await tenants.create(newTenant(tenant(T2), new Date()));
  await tenants.close();
  const keys = createApiKeyStore(redis, { prefix });
  const a = await keys.create('dialer A', [T1]);
  const all = await keys.create('carrier dialer', '*');
  [keyA, keyAId, keyAll, keyAllId] = [a.key, a.record.id, all.key, all.record.id];

  // The partners' PKI: a trusted dialer certificate, one from another CA with the same subject, one nobody mapped.
  mintCerts(certs);
  mintCerts(certs, 'client', 'dialer', 'dialer.acme.example', 'Acme');
  mintCerts(certs, 'client', 'stranger', 'stranger.example');
  mintCerts(certs, 'ca', 'rogue', 'rogue CA');
  mintCerts(certs, 'signed-by', 'rogue', 'roguedialer', 'dialer.acme.example', 'Acme');
  const partners = join(work, 'partners.json');
  writeFileSync(partners, JSON.stringify({ partners: [{ id: 'acme-mtls', subject: { CN: 'dialer.acme.example', O: 'Acme' }, tenants: [T1] }] }));

  api = await startService({
    MTLS_HTTPS_PORT: String(await freePort()),
    MTLS_GRPC_PORT: String(await freePort()),
    MTLS_CERT_FILE: join(certs, 'https.pem'),
    MTLS_KEY_FILE: join(certs, 'https-key.pem'),
    MTLS_CA_FILE: join(certs, 'ca.pem'),
    MTLS_PARTNERS_FILE: partners,
  });

  admin = kafka.admin();
  await admin.connect();
  consumer = kafka.consumer({ groupId: `call-events-it-${run}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [eventsTopic, controlTopic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, message }) => void seen.push({ topic, key: String(message.key), value: message.value! }) });
}, 90_000);

afterAll(async () => {
  if (process.env['CE_DEBUG']) for (const s of services) process.stderr.write(s.out());
  for (const s of services) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGTERM');
      const t = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
      await s.exited;
      clearTimeout(t);
    }
  }
  await consumer?.disconnect();
  await admin?.deleteTopics({ topics: [eventsTopic, controlTopic] }).catch(() => undefined);
  await admin?.disconnect();
  await deleteRedisKeys(redis, prefix);
  await closeRedis(redis);
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('call-events with the real Redis and Kafka', () => {
  it('REST: each 202 comes once the broker holds the event; started and ended are on the topic, keyed by the call id, as posted', async () => {
    const callId = `CA${run}rest`;
    const before = await stored(eventsTopic);
    const metricsBefore = await api.metrics();
    const s = await post(api.url, `/v1/calls/${callId}/started`, startedBody({ sipCallId: `${run}@pbx.carrier.example` }), bearer(keyA, `${run}-s`));
    expect(s.status).toBe(202);
    // Readable right after the 202: the broker had acknowledged it before we answered.
    expect(await stored(eventsTopic)).toBe(before + 1);
    const e = await post(api.url, `/v1/calls/${callId}/ended`, endedBody(), bearer(keyA, `${run}-e`));
    expect(e.status).toBe(202);
    expect(await stored(eventsTopic)).toBe(before + 2);
    expect([s.body.eventId, e.body.eventId]).toEqual([callEventId(keyAId, `${run}-s`), callEventId(keyAId, `${run}-e`)]);

    const [first, second] = await waitEvents(callId, 2);
    expect(first).toEqual<DialerCallEventV1>({
      type: 'call.started',
      eventId: s.body.eventId,
      idempotencyKey: `${run}-s`,
      partnerId: keyAId,
      tenantId: T1,
      sellerId: 'seller-1@contoso.example',
      callId,
      sipCallId: `${run}@pbx.carrier.example`,
      started: { startTime: '2026-11-29T10:00:00Z', isIncomingCall: true, contactNumber: '+442079460000', contactName: 'Ada Customer' },
      receivedAt: expect.any(String),
    });
    expect(second).toMatchObject({ type: 'call.ended', eventId: e.body.eventId, callId, ended: { callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: '2026-11-29T10:00:42Z', isCallStarted: true } });
    // GET /metrics: both accepted, each timed to Kafka's acknowledgement.
    const counted = ['cic_call_events_accepted_total{type="call_started"}', 'cic_call_events_accepted_total{type="call_ended"}', 'cic_call_events_produce_duration_seconds_count{outcome="ok"}'];
    expect(grown(metricsBefore, await api.metrics(), counted)).toEqual({ [counted[0]!]: 1, [counted[1]!]: 1, [counted[2]!]: 2 });
  });

  it('a retried post (same idempotency key) gets the same event id, which both copies on the topic carry', async () => {
    const callId = `CA${run}retry`;
    const one = await post(api.url, `/v1/calls/${callId}/started`, startedBody(), bearer(keyAll, `${run}-retry`));
    const two = await post(api.url, `/v1/calls/${callId}/started`, startedBody(), bearer(keyAll, `${run}-retry`));
    expect([one.status, two.status]).toEqual([202, 202]);
    expect(two.body.eventId).toBe(one.body.eventId);
    const events = await waitEvents(callId, 2);
    expect(events.map((e) => e.eventId)).toEqual([one.body.eventId, one.body.eventId]);
    expect(events[0]!.partnerId).toBe(keyAllId);
  });

  it('answers 400 naming each field, 401, 403 and 413, and nothing of it reaches the topic', async () => {
    const before = await stored(eventsTopic);
    const metricsBefore = await api.metrics();
    const invalid = await post(api.url, `/v1/calls/CA${run}bad/started`, { tenantId: T1, sellerId: 'seller-1', startTime: 'now', isIncomingCall: 1, contactNumber: '+44' }, bearer(keyA));
    expect(invalid.status).toBe(400);
    expect(invalid.body.problems).toEqual(
      expect.arrayContaining([
        { field: 'Idempotency-Key', message: 'required' },
        { field: 'startTime', message: expect.stringContaining('ISO 8601') },
        { field: 'isIncomingCall', message: 'must be true or false' },
        { field: 'contactName', message: 'required' },
      ]),
    );
    expect(invalid.body.problems).toHaveLength(4);
    expect((await post(api.url, `/v1/calls/CA${run}bad/started`, '{"tenantId":', bearer(keyA, 'k'))).status).toBe(400);
    expect((await post(api.url, `/v1/calls/CA${run}bad/started`, startedBody(), { 'idempotency-key': 'k' })).status).toBe(401);
    expect((await post(api.url, `/v1/calls/CA${run}bad/started`, startedBody(), bearer('cic_' + 'x'.repeat(43), 'k'))).status).toBe(401);
    const other = await post(api.url, `/v1/calls/CA${run}bad/started`, startedBody({ tenantId: T2 }), bearer(keyA, 'k'));
    expect(other).toMatchObject({ status: 403, body: { problems: [{ field: 'tenantId', message: 'not one of your tenants' }] } });
    const unknown = await post(api.url, `/v1/calls/CA${run}bad/started`, startedBody({ tenantId: T_UNKNOWN }), bearer(keyAll, 'k'));
    expect(unknown).toMatchObject({ status: 403, body: { error: expect.stringContaining('unknown tenant') } });
    const big = await post(api.url, `/v1/calls/CA${run}bad/started`, startedBody({ contactName: 'x'.repeat(20_000) }), bearer(keyA, 'k'));
    expect(big.status).toBe(413);
    // A revoked key stops working (AUTH_CACHE_TTL=0 here; by default within 5 s).
    const revoked = await createApiKeyStore(redis, { prefix }).create('short-lived', [T1]);
    expect((await post(api.url, `/v1/calls/CA${run}bad/recording/stop`, { tenantId: T1 }, bearer(revoked.key))).status).toBe(202);
    await createApiKeyStore(redis, { prefix }).revoke(revoked.record.id);
    expect((await post(api.url, `/v1/calls/CA${run}bad/started`, startedBody(), bearer(revoked.key, 'k'))).status).toBe(401);
    expect(await stored(eventsTopic)).toBe(before);
    // GET /metrics: the refusals by reason (the unparsable and the oversize bodies never reach the service), nothing accepted.
    const counted = [
      'cic_call_events_rejected_total{type="call_started",reason="invalid"}',
      'cic_call_events_rejected_total{type="call_started",reason="forbidden"}',
      'cic_call_events_auth_failures_total{method="api_key"}',
      'cic_call_events_recording_commands_total{action="stop",result="accepted"}',
      'cic_call_events_accepted_total{type="call_started"}',
    ];
    expect(grown(metricsBefore, await api.metrics(), counted)).toEqual(Object.fromEntries(counted.map((c, i) => [c, [1, 2, 3, 1, 0][i]])));
  });

  it('gRPC: CallStarted / CallEnded reach the topic keyed by the call id; bad input, no key and another tenant get their status codes', async () => {
    const grpc = callEventsGrpcClient(api.grpc);
    try {
      const callId = `CA${run}grpc`;
      const before = await stored(eventsTopic);
      const s = await grpc.call('CallStarted', { idempotencyKey: `${run}-gs`, callId, ...startedBody({ isIncomingCall: false }) }, keyA);
      expect(s).toEqual({ ok: true, value: { eventId: callEventId(keyAId, `${run}-gs`) } });
      expect(await stored(eventsTopic)).toBe(before + 1);
      const e = await grpc.call('CallEnded', { idempotencyKey: `${run}-ge`, callId, ...endedBody({ callDurationInSeconds: 0, isCallStarted: false, callTerminationReason: 'error' }) }, keyA);
      expect(e.ok).toBe(true);
      const [first, second] = await waitEvents(callId, 2);
      expect(first).toMatchObject({ type: 'call.started', partnerId: keyAId, tenantId: T1, started: { isIncomingCall: false } });
      expect(second).toMatchObject({ type: 'call.ended', ended: { callDurationInSeconds: 0, isCallStarted: false, callTerminationReason: 'error' } });

      const invalid = await grpc.call('CallEnded', { callId, tenantId: T1, sellerId: 's', callTerminationReason: 'hangup' }, keyA);
      expect(invalid).toMatchObject({ ok: false, code: 3 });
      expect((invalid as { violations: Array<{ field: string }> }).violations.map((v) => v.field).sort()).toEqual(['callDurationInSeconds', 'callEndTime', 'callTerminationReason', 'idempotencyKey', 'isCallStarted']);
      expect(await grpc.call('CallStarted', { idempotencyKey: 'k', callId, ...startedBody() })).toMatchObject({ ok: false, code: 16 });
      expect(await grpc.call('CallStarted', { idempotencyKey: 'k', callId, ...startedBody({ tenantId: T2 }) }, keyA)).toMatchObject({ ok: false, code: 7 });
      expect(await stored(eventsTopic)).toBe(before + 2);
    } finally {
      grpc.close();
    }
  });

  it('recording commands from REST and gRPC go to the control topic, keyed by the call id, with the tenant', async () => {
    const callId = `CA${run}ctl`;
    const r = await post(api.url, `/v1/calls/${callId}/recording/pause`, { tenantId: T1, sellerId: 'seller-1' }, bearer(keyA));
    expect(r.status).toBe(202);
    const grpc = callEventsGrpcClient(api.grpc);
    try {
      expect(await grpc.call('ControlRecording', { callId, action: 'resume', tenantId: T1 }, keyA)).toMatchObject({ ok: true, value: { callId, action: 'resume' } });
    } finally {
      grpc.close();
    }
    const commands = await waitFor('two commands', () => {
      const c = seen.filter((m) => m.topic === controlTopic && m.key === callId).map((m) => decodeRecordingControl(m.value));
      return c.length >= 2 ? c : undefined;
    });
    expect(commands).toEqual([
      { type: 'recording.control', action: 'pause', callId, tenantId: T1, requestedBy: `partner:${keyAId} seller:seller-1`, at: r.body.at },
      { type: 'recording.control', action: 'resume', callId, tenantId: T1, requestedBy: `partner:${keyAId}`, at: expect.any(String) },
    ]);
  });

  it('issues widget tokens that verifyWidgetToken accepts with the shared secret', async () => {
    const r = await post(api.url, '/v1/widget-tokens', { tenantId: T1, sellerId: 'seller-1@contoso.example', ttlSeconds: 300 }, bearer(keyA));
    expect(r.status).toBe(201);
    expect(verifyWidgetToken(r.body.token, SECRET)).toEqual({ tid: T1, sub: 'seller-1@contoso.example', pid: keyAId, exp: Date.parse(r.body.expiresAt) / 1000 });
    expect((await post(api.url, '/v1/widget-tokens', { tenantId: T2, sellerId: 's' }, bearer(keyA))).status).toBe(403);
  });

  it('mutual TLS over HTTPS: a trusted certificate mapped in the partners file posts for its tenant; none, another CA, an unmapped subject → 401; another tenant → 403', async () => {
    const callId = `CA${run}mtls`;
    const ok = await postTls(`/v1/calls/${callId}/started`, startedBody(), 'dialer');
    expect(ok.status).toBe(202);
    const [event] = await waitEvents(callId, 1);
    expect(event).toMatchObject({ partnerId: 'acme-mtls', tenantId: T1, eventId: ok.body.eventId });

    const none = await postTls(`/v1/calls/${callId}/started`, startedBody());
    expect(none).toMatchObject({ status: 401, body: { error: 'a client certificate is required on this listener (mutual TLS)' } });
    const rogue = await postTls(`/v1/calls/${callId}/started`, startedBody(), 'roguedialer');
    expect(rogue).toMatchObject({ status: 401, body: { error: expect.stringContaining('the client certificate is not trusted') } });
    const stranger = await postTls(`/v1/calls/${callId}/started`, startedBody(), 'stranger');
    expect(stranger).toMatchObject({ status: 401, body: { error: expect.stringContaining('no partner has the client certificate subject CN=stranger.example') } });
    expect((await postTls(`/v1/calls/${callId}/started`, startedBody({ tenantId: T2 }), 'dialer')).status).toBe(403);
    expect(eventsFor(callId)).toHaveLength(1);
  });

  it('mutual TLS over gRPC: the certificate is the credential; one from another CA does not get through the handshake', async () => {
    const ca = readFileSync(join(certs, 'ca.pem'));
    const creds = (name: string) => credentials.createSsl(ca, readFileSync(join(certs, `${name}-key.pem`)), readFileSync(join(certs, `${name}.pem`)));
    const good = callEventsGrpcClient(api.mtlsGrpc!, creds('dialer'));
    const rogue = callEventsGrpcClient(api.mtlsGrpc!, creds('roguedialer'));
    try {
      const callId = `CA${run}mtlsgrpc`;
      const r = await good.call('CallStarted', { idempotencyKey: `${run}-mg`, callId, ...startedBody() });
      expect(r).toEqual({ ok: true, value: { eventId: callEventId('acme-mtls', `${run}-mg`) } });
      expect(await good.call('CallStarted', { idempotencyKey: `${run}-mg2`, callId, ...startedBody({ tenantId: T2 }) })).toMatchObject({ ok: false, code: 7 });
      expect((await rogue.call('CallStarted', { idempotencyKey: `${run}-mg3`, callId, ...startedBody() })).ok).toBe(false);
      const events = await waitEvents(callId, 1);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ partnerId: 'acme-mtls', eventId: r.ok ? r.value.eventId : '' });
    } finally {
      good.close();
      rogue.close();
    }
  });

  it('Kafka unreachable: 503 with Retry-After (never 202), UNAVAILABLE over gRPC, not ready; SIGTERM then exits 0', async () => {
    const down = await startService({ KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, RETRY_AFTER: '3s' }, false);
    await waitFor('the HTTP listener', async () => {
      if (down.child.exitCode !== null) throw new Error(`exited ${down.child.exitCode}: ${down.out()}`);
      return (await fetch(`${down.url}/health/live`).catch(() => undefined))?.status === 200 || undefined;
    }, 30_000, 100);
    const ready = await fetch(`${down.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks['kafka']).toMatchObject({ ok: false });
    const r = await post(down.url, `/v1/calls/CA${run}down/started`, startedBody(), bearer(keyA, `${run}-down`));
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('3');
    expect(r.body.error).toMatch(/Kafka is not reachable/);
    const grpc = callEventsGrpcClient(down.grpc);
    try {
      expect(await grpc.call('CallStarted', { idempotencyKey: 'k', callId: `CA${run}down`, ...startedBody() }, keyA)).toMatchObject({ ok: false, code: 14, retryAfter: '3' });
    } finally {
      grpc.close();
    }
    down.child.kill('SIGTERM');
    expect(await down.exited).toBe(0);
    expect(down.out()).toContain('"msg":"shut down"');
  });

  it('refuses to start with a bad configuration: exit 78 naming each variable', async () => {
    const bad = join(work, 'bad-partners.json');
    writeFileSync(bad, JSON.stringify({ partners: [{ id: 'x', subject: { O: 'no CN' }, tenants: '*' }] }));
    const s = await startService(
      { WIDGET_TOKEN_SECRET: 'short', MTLS_HTTPS_PORT: String(await freePort()), MTLS_CERT_FILE: join(certs, 'https.pem'), MTLS_KEY_FILE: join(certs, 'https-key.pem'), MTLS_CA_FILE: join(certs, 'ca.pem'), MTLS_PARTNERS_FILE: bad, HTTP_PORT: 'eighty' },
      false,
    );
    expect(await s.exited).toBe(78);
    expect(s.out()).toContain('call-events: invalid configuration');
    expect(s.out()).toContain('HTTP_PORT: not a number (got "eighty")');
    expect(s.out()).toContain('WIDGET_TOKEN_SECRET: too short');
    expect(s.out()).toContain('MTLS_PARTNERS_FILE: $.partners[0].subject: CN is required');
    expect(s.out()).not.toContain('"short"');
  });
});
