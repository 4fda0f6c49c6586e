import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { freePort, parseWav, runSipp, stackEndpoints, ulawToLinear, waitFor, type SippResult, deleteRedisKeys, udpPortBound } from '@ci-connector/platform-testing';
import { createPolicyStore, createTenantStore, identitiesOfUser } from '@ci-connector/recording-policy';
import { newTenant, parseTenantCreate } from '@ci-connector/tenancy';
import { decodeRecordingEvent, encodeRecordingControl, type RecordingControlAction, type RecordingEventV1 } from '@ci-connector/events';
import { createIdempotentProducer, createKafka } from '@ci-connector/platform-kafka';
import { createLogger } from '@ci-connector/platform-logging';
import type { Consumer, Producer } from 'kafkajs';
import { startApp as startAppProcess, type AppProcess } from './testing/app-process';

// Acceptance of the recording session, real everything: the BUILT sip-signaling
// between two sipp (UDP), media anchored and forked by the real rtpengine, the
// recording policy and tenant in the real Redis, and the BUILT ci-emulator as
// the recorder (SIPS with the carrier's client certificate, SRTP to WAV).

const scenario = (name: string) => join(__dirname, 'recording/sipp', `${name}.xml`);
const stack = stackEndpoints();

const TENANT = randomUUID();
const ACCOUNT = `AC${randomBytes(10).toString('hex')}`;
const SELLER_CALLED = '+442079460018'; // recorded, reached by a called-number match → Role inbound
const SELLER_CALLING = '+441632960001'; // recorded, calling → Role outbound
const NOT_RECORDED = '+442079460099';
const OTHER = '+15551234567';
// A second tenant, in manual recording mode: recorded only after a recording.control `start`.
const TENANT_MANUAL = randomUUID();
const ACCOUNT_MANUAL = `AC${randomBytes(10).toString('hex')}`;
const SELLER_MANUAL = '+441134960001';
const prefix = `ss-rec-int:${randomBytes(4).toString('hex')}:`;

type App = AppProcess & { uasPort: number };

let work: string;
let emu: EmulatorProcess;
let emuConfigFile: string;
const apps: App[] = [];
const sipps = new Set<Promise<SippResult>>();
const redis = createRedisClient({ url: stack.redisUrl, connectionName: 'ss-recording-int' });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ss-recording-int-'));
  const emuConfig = {
    apps: [{ clientId: '4d4d4d4d-4444-4444-8444-444444444444', displayName: 'carrier connector', secrets: ['s3cret'] }],
    tenants: [TENANT, TENANT_MANUAL].map((tenantId) => ({ tenantId, displayName: 'Contoso', consents: [{ clientId: '4d4d4d4d-4444-4444-8444-444444444444', roles: ['Users.Read.All'] }], users: { generate: { count: 1 } } })),
    registrations: [
      {
        tenantId: TENANT,
        clientId: '4d4d4d4d-4444-4444-8444-444444444444',
        orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
        Type: 'custom',
        hosting: 'cloud',
        displayName: 'Example Carrier',
        AuthenticationDetails: { AccountId: ACCOUNT, CertificateSubjectName: 'sbc.carrier.example', CertificateIssuer: 'ci-emulator test CA', SourceIPNetwork: '127.0.0.1' },
      },
      {
        tenantId: TENANT_MANUAL,
        clientId: '4d4d4d4d-4444-4444-8444-444444444444',
        orgId: 'bd3dca46-962a-4895-9f85-d25f3828781f',
        Type: 'custom',
        hosting: 'cloud',
        displayName: 'Example Carrier',
        AuthenticationDetails: { AccountId: ACCOUNT_MANUAL, CertificateSubjectName: 'sbc.carrier.example', CertificateIssuer: 'ci-emulator test CA', SourceIPNetwork: '127.0.0.1' },
      },
    ],
  };
  emuConfigFile = join(work, 'emulator-config.json');
  writeFileSync(emuConfigFile, JSON.stringify(emuConfig));
  emu = await startEmulator({ configFile: emuConfig });
  const parsed = parseTenantCreate({
    id: TENANT,
    orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
    displayName: 'Example Carrier',
    region: 'uksouth',
    accountId: ACCOUNT,
    certificate: { subject: 'CN=sbc.carrier.example', issuer: 'CN=ci-emulator test CA' },
    defaultCountry: 'GB',
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const parsedManual = parseTenantCreate({
    id: TENANT_MANUAL,
    orgId: 'bd3dca46-962a-4895-9f85-d25f3828781f',
    displayName: 'Example Carrier (manual)',
    region: 'uksouth',
    accountId: ACCOUNT_MANUAL,
    certificate: { subject: 'CN=sbc.carrier.example', issuer: 'CN=ci-emulator test CA' },
    defaultCountry: 'GB',
    recordingMode: 'manual',
  });
  if (!parsedManual.ok) throw new Error(JSON.stringify(parsedManual.problems));
  const tenants = createTenantStore(redis, { prefix });
  await tenants.create(newTenant(parsed.value, new Date()));
  await tenants.create(newTenant(parsedManual.value, new Date()));
  await tenants.close();
  const wm = await createPolicyStore(redis, { prefix }).begin(TENANT_MANUAL);
  const manualUsers = [{ id: randomUUID(), businessPhones: [SELLER_MANUAL] }];
  await wm.add(manualUsers.flatMap((u) => identitiesOfUser(u, 'GB').identities));
  await wm.commit({ users: manualUsers.length });
  const w = await createPolicyStore(redis, { prefix }).begin(TENANT);
  const users = [{ id: randomUUID(), businessPhones: [SELLER_CALLED] }, { id: randomUUID(), mobilePhone: SELLER_CALLING }];
  await w.add(users.flatMap((u) => identitiesOfUser(u, 'GB').identities));
  await w.commit({ users: users.length });
}, 60_000);

afterAll(async () => {
  if (process.env['SS_DEBUG']) for (const app of apps) process.stderr.write(app.output());
  await Promise.allSettled([...sipps]);
  for (const app of apps) if (app.running()) await app.stop();
  await emu?.stop();
  await deleteRedisKeys(redis, prefix);
  await closeRedis(redis);
  rmSync(work, { recursive: true, force: true });
}, 60_000);

async function startApp(overrides: string, env: Record<string, string> = {}): Promise<App> {
  const uasPort = await freePort();
  const app = Object.assign(
    await startAppProcess({
      work,
      tenants: {
        tenants: {
          [TENANT]: { match: { calledNumbers: ['+44207946*'], callingNumbers: ['+441632960*'] }, nextHop: `sip:127.0.0.1:${uasPort}`, dialerCallIdHeader: 'X-Dialer-Call-Id' },
          [TENANT_MANUAL]: { match: { calledNumbers: ['+44113496*'] }, nextHop: `sip:127.0.0.1:${uasPort}`, dialerCallIdHeader: 'X-Dialer-Call-Id' },
        },
      },
      env: {
        REDIS_KEY_PREFIX: prefix,
        RECORDING_TLS_CERT_FILE: join(emu.certsDir, 'carrier.pem'),
        RECORDING_TLS_KEY_FILE: join(emu.certsDir, 'carrier-key.pem'),
        RECORDING_TLS_CA_FILE: join(emu.certsDir, 'ca.pem'),
        RECORDING_SRC_DOMAIN: 'sbc.carrier.example',
        RECORDER_HOST_OVERRIDES: overrides,
        ...env,
      },
    }),
    { uasPort },
  );
  apps.push(app);
  return app;
}

function track(p: Promise<SippResult>): Promise<SippResult> {
  sipps.add(p);
  void p.finally(() => sipps.delete(p)).catch(() => undefined);
  return p;
}

const ok = (r: SippResult) => (r.successful === 1 && r.failed === 0 ? 'ok' : JSON.stringify({ code: r.code, killed: r.killedAtDeadline, ok: r.successful, failed: r.failed, stderr: r.stderr.slice(-2000) }));

interface Leg {
  socket: Socket;
  port: number;
}

async function udpSocket(): Promise<Leg> {
  const socket = createSocket('udp4');
  socket.on('message', () => undefined);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port };
}

/** Runs one call (sipp UAC → app → sipp UAS); returns the rtpengine ports each side got and the sipp results. */
async function call(app: App, o: { caller: string; callee: string; callerName: string; calleeName: string; dialerId: string; holdMs?: number; durationMs: number; a: Leg; b: Leg }) {
  const aPort = join(work, `${o.dialerId}-a`);
  const bPort = join(work, `${o.dialerId}-b`);
  const uas = track(runSipp({ scenario: scenario('uas-answer-reinvites'), localPort: app.uasPort, controlPort: await freePort(), calls: 1, deadlineMs: 60_000, keys: { port_file: bPort, rtp_port: String(o.b.port) } }));
  let uasExited = false;
  void uas.then(() => (uasExited = true));
  await waitFor('sipp UAS listening', () => uasExited || udpPortBound(app.uasPort), 10_000, 20);
  const uac = track(
    runSipp({
      scenario: scenario('uac-hold'),
      remote: `127.0.0.1:${app.sipPort}`,
      localPort: await freePort(),
      controlPort: await freePort(),
      calls: 1,
      deadlineMs: 60_000,
      keys: { port_file: aPort, rtp_port: String(o.a.port), caller: o.caller, callee: o.callee, caller_name: o.callerName, callee_name: o.calleeName, dialer_id: o.dialerId, hold_ms: String(o.holdMs ?? 10) },
      extraArgs: ['-d', String(o.durationMs)],
    }),
  );
  const ports = (await waitFor('both anchored ports', () => (existsSync(aPort) && existsSync(bPort) ? [Number(readFileSync(aPort, 'utf8')), Number(readFileSync(bPort, 'utf8'))] : undefined), 20_000, 20)) as [number, number];
  return { aSide: ports[0], bSide: ports[1], uac, uas };
}

/** 20 ms μ-law packets, paced in real time, with a pattern of its own per side. */
async function sendAudio(from: Leg, toPort: number, packets: number, seed: number): Promise<Buffer> {
  const payloads: Buffer[] = [];
  const ssrc = 0x10000000 + seed;
  for (let i = 0; i < packets; i++) {
    const payload = Buffer.from(Array.from({ length: 160 }, (_, k) => (((i * 37 + k * 11 + seed * 101) * 2654435761) >>> 24) & 0xff));
    const pkt = Buffer.alloc(12);
    pkt[0] = 0x80;
    pkt[1] = i === 0 ? 0x80 : 0; // marker on the first packet, PCMU
    pkt.writeUInt16BE((1000 + i) & 0xffff, 2);
    pkt.writeUInt32BE(i * 160, 4);
    pkt.writeUInt32BE(ssrc, 8);
    from.socket.send(Buffer.concat([pkt, payload]), toPort, '127.0.0.1');
    payloads.push(payload);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Buffer.concat(payloads);
}

/** The recorded samples contain exactly what was sent, in one piece (aligned by search: the first packets may race the subscription). */
function alignedMatch(recorded: Int16Array, sentUlaw: Buffer): { offset: number; equal: boolean; length: number } {
  const expected = Int16Array.from(sentUlaw, (b) => ulawToLinear(b));
  const probe = 160;
  // Packets before the fork was in place may be missing: find where packet j (the first present) starts.
  for (let skip = 0; skip + probe <= expected.length; skip += 160) {
    for (let off = 0; off + probe <= recorded.length; off++) {
      let hit = true;
      for (let k = 0; k < probe; k++) if (recorded[off + k] !== expected[skip + k]) { hit = false; break; }
      if (!hit) continue;
      const rest = expected.subarray(skip);
      const got = recorded.subarray(off, off + rest.length);
      return { offset: off - skip, equal: got.length === rest.length && got.every((v, i) => v === rest[i]), length: rest.length };
    }
  }
  return { offset: -1, equal: false, length: 0 };
}

/**
 * The recording is up and quiet on our side too (GET /calls/{id}/recording: active, nothing in flight),
 * so rtpengine forks every packet sent from now on (the recorder's 200 OK alone comes before our
 * `subscribe answer`; the scenario's hold and resume right after the answer re-INVITE the recorder).
 */
async function recordingSteady(app: App, callId: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `the recording of ${callId} active and steady`,
    async () => {
      const r = await fetch(`${app.http}/calls/${encodeURIComponent(callId)}/recording`).catch(() => undefined);
      const s = r?.status === 200 ? ((await r.json()) as { phase: string; busy: boolean }) : undefined;
      return s?.phase === 'active' && !s.busy ? true : undefined;
    },
    timeoutMs,
    20,
  );
}

/** One sample's value in GET /metrics (0 while the series is absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const recording = async (callId: string) => (await emu.request('GET', `/emulator/recordings/${encodeURIComponent(callId)}`)).json;

type Req = { method: string; headers: [string, string][]; response: { status: number } };
const header = (r: Req, name: string) => r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];

describe('sip-signaling records through the ci-emulator (sipp ↔ sip-signaling ↔ sipp, rtpengine, Redis)', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp(`uksouth=127.0.0.1:${emu.sipPort},global=127.0.0.1:${emu.sipPort}`);
  }, 30_000);

  for (const dir of ['inbound', 'outbound'] as const) {
    it(`records an ${dir} call: one session with the call id, X-AccountId, Role, display names, and two WAVs equal to what each side sent`, async () => {
      const [a, b] = [await udpSocket(), await udpSocket()];
      const dialerId = `dialer-${dir}-${randomBytes(4).toString('hex')}`;
      const o = dir === 'inbound' ? { caller: OTHER, callee: SELLER_CALLED, callerName: 'Kiana Anderson', calleeName: 'Tomas Richardson' } : { caller: SELLER_CALLING, callee: OTHER, callerName: 'Tomas Richardson', calleeName: 'Kiana Anderson' };
      const recorder = `127.0.0.1:${emu.sipPort}`;
      const counted = ['cic_sip_calls_total{outcome="answered"}', `cic_sip_recordings_started_total{recorder="${recorder}"}`, `cic_sip_recordings_stopped_total{reason="call_ended",recorder="${recorder}"}`, `cic_sip_recorder_attempts_total{recorder="${recorder}",result="ok"}`];
      const before = await app.metrics();
      try {
        // 10 s of audio each way (500 packets of 20 ms), inside a call of 13 s.
        const c = await call(app, { ...o, dialerId, durationMs: 13_000, a, b });
        await waitFor('the recording session at the emulator', async () => (await recording(dialerId))?.state === 'active', 20_000, 50);
        await recordingSteady(app, dialerId);
        const [sentA, sentB] = await Promise.all([sendAudio(a, c.aSide, 500, 1), sendAudio(b, c.bSide, 500, 2)]);
        expect(ok(await c.uac)).toBe('ok');
        expect(ok(await c.uas)).toBe('ok');
        await waitFor('the session ended', async () => (await recording(dialerId))?.state === 'ended', 10_000, 50);

        const rec = await recording(dialerId);
        expect(rec).toMatchObject({ callId: dialerId, tenantId: TENANT, accountId: ACCOUNT });
        const invite = (rec.requests as Req[])[0] as Req;
        expect(invite.method).toBe('INVITE');
        expect(header(invite, 'Call-ID')).toBe(dialerId);
        expect(header(invite, 'X-AccountId')).toBe(ACCOUNT);
        expect(header(invite, 'Require')).toBe('siprec');
        expect(header(invite, 'Contact')).toMatch(/^<sip:SRC@127\.0\.0\.1[^>]*;transport=tls>;\+sip\.src$/);
        expect(header(invite, 'From')).toMatch(/^<sip:SRC@sbc\.carrier\.example>;tag=/);
        expect(header(invite, 'To')).toBe(`<sip:SRS@127.0.0.1:${emu.sipPort};transport=tls>`);
        const bye = (rec.requests as Req[]).find((r) => r.method === 'BYE');
        expect(bye && header(bye, 'X-AccountId')).toBe(ACCOUNT);
        expect(bye?.response.status).toBe(200);
        expect(rec.metadata.parsed.extensionParameters).toEqual({ Role: dir, CallerDisplayName: o.callerName, CalleeDisplayName: o.calleeName });
        for (const s of rec.streams as { label: string; authFailed: number }[]) expect(s.authFailed).toBe(0);

        // outbound = what the seller says: the callee's audio on an inbound call, the caller's on an outbound call.
        const saidBySeller = dir === 'inbound' ? sentB : sentA;
        const heardBySeller = dir === 'inbound' ? sentA : sentB;
        for (const [label, sent] of [['outbound', saidBySeller], ['inbound', heardBySeller]] as const) {
          const wav = await emu.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}/${label}.wav`);
          expect(wav.status).toBe(200);
          const m = alignedMatch(parseWav(wav.body).samples, sent);
          // Sent once the session was active: every sample of the 10 s, in order.
          expect({ label, equal: m.equal, length: m.length }).toEqual({ label, equal: true, length: sent.length });
        }
        for (const s of rec.streams as { label: string; received: number; lost: number }[]) expect({ label: s.label, lost: s.lost }).toEqual({ label: s.label, lost: 0 });
        expect((await emu.request('GET', `/emulator/recorder/rejections?callId=${encodeURIComponent(dialerId)}`)).json.rejections).toEqual([]);

        // GET /metrics: this call answered, its recording started and stopped at this recorder, one INVITE accepted there.
        const after = await waitFor('recording.stopped counted', async () => {
          const text = await app.metrics();
          return sample(text, counted[2] ?? '') > sample(before, counted[2] ?? '') ? text : undefined;
        });
        expect(counted.map((series) => [series, sample(after, series) - sample(before, series)])).toEqual(counted.map((series) => [series, 1]));
        expect(sample(after, 'cic_sip_active_calls')).toBe(0);
        expect(after).toMatch(new RegExp(`^cic_sip_recorder_up\\{recorder="${recorder.replace(/\./g, '\\.')}",region="[a-z]+"\\} 1$`, 'm'));
      } finally {
        a.socket.close();
        b.socket.close();
      }
    }, 90_000);
  }

  it('does not record a user who is not on the list: no SIPREC at all, the call and its media unaffected', async () => {
    const [a, b] = [await udpSocket(), await udpSocket()];
    const got: Buffer[] = [];
    b.socket.on('message', (m) => got.push(m));
    const dialerId = `dialer-none-${randomBytes(4).toString('hex')}`;
    try {
      const c = await call(app, { caller: OTHER, callee: NOT_RECORDED, callerName: 'A', calleeName: 'B', dialerId, durationMs: 2500, a, b });
      await sendAudio(a, c.aSide, 25, 3);
      await waitFor('RTP at the callee', () => got.length >= 20, 5_000, 20);
      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      expect((await emu.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}`)).status).toBe(404);
      expect(app.output()).toMatch(new RegExp(`"callId":"${dialerId}".*recording decision: do not record \\(seller-not-recorded\\)`));
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 30_000);

  it('re-INVITEs the recorder on hold and resume, and the recorder accepts them', async () => {
    const [a, b] = [await udpSocket(), await udpSocket()];
    const dialerId = `dialer-hold-${randomBytes(4).toString('hex')}`;
    try {
      const c = await call(app, { caller: OTHER, callee: SELLER_CALLED, callerName: 'A', calleeName: 'B', dialerId, holdMs: 1500, durationMs: 1500, a, b });
      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      await waitFor('the session ended', async () => (await recording(dialerId))?.state === 'ended', 10_000, 50);
      const reinvites = ((await recording(dialerId)).requests as Req[]).filter((r) => r.method === 'INVITE').slice(1);
      expect(reinvites.length).toBeGreaterThanOrEqual(2);
      for (const r of reinvites) {
        expect(r.response.status).toBe(200);
        expect(header(r, 'X-AccountId')).toBe(ACCOUNT);
      }
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 30_000);

  it('when the recorder refuses (503), the call completes unrecorded and recording.failed is reported', async () => {
    expect((await emu.request('POST', '/emulator/recorder/faults', { json: { fault: 'refuse', count: 1, retryAfter: 1 } })).status).toBeLessThan(300);
    const [a, b] = [await udpSocket(), await udpSocket()];
    const dialerId = `dialer-refuse-${randomBytes(4).toString('hex')}`;
    const recorder = `127.0.0.1:${emu.sipPort}`;
    const counted = [`cic_sip_recordings_failed_total{reason="status_503",recorder="${recorder}"}`, `cic_sip_recorder_attempts_total{recorder="${recorder}",result="status_503"}`];
    const before = await app.metrics();
    try {
      const c = await call(app, { caller: OTHER, callee: SELLER_CALLED, callerName: 'A', calleeName: 'B', dialerId, durationMs: 2500, a, b });
      await waitFor('recording.failed', () => new RegExp(`"callId":"${dialerId}".*"msg":"recording.failed"`).test(app.output()), 10_000, 50);
      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      expect((await emu.request('GET', `/emulator/recorder/rejections?callId=${encodeURIComponent(dialerId)}`)).json.rejections).toEqual([expect.objectContaining({ rule: 'fault-refuse' })]);
      // Both recorders are the emulator here: its 503 is the last failure, counted by reason and recorder.
      const after = await app.metrics();
      expect(counted.map((series) => [series, sample(after, series) - sample(before, series)])).toEqual([
        [counted[0], 1],
        [counted[1], 1],
      ]);
    } finally {
      a.socket.close();
      b.socket.close();
      await emu.request('DELETE', '/emulator/recorder/faults');
    }
  }, 30_000);
});

describe('recorder failover', () => {
  let closed: Server;
  let app: App;
  beforeAll(async () => {
    // The region's recorder: a TCP port that accepts and closes at once (TLS fails); global: the emulator.
    closed = createServer((s) => s.destroy());
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    app = await startApp(`uksouth=127.0.0.1:${port},global=127.0.0.1:${emu.sipPort}`);
  }, 30_000);
  afterAll(() => new Promise<void>((r) => closed.close(() => r())));

  it('a TLS failure at the region recorder → the global one records the call; the call completes', async () => {
    const [a, b] = [await udpSocket(), await udpSocket()];
    const dialerId = `dialer-failover-${randomBytes(4).toString('hex')}`;
    try {
      const c = await call(app, { caller: OTHER, callee: SELLER_CALLED, callerName: 'A', calleeName: 'B', dialerId, durationMs: 3000, a, b });
      await waitFor('the recording at the global recorder', async () => (await recording(dialerId))?.state === 'active', 5_000, 50);
      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      expect(app.output()).toMatch(new RegExp(`"callId":"${dialerId}".*"msg":"SIPREC INVITE failed"`));
      const text = await app.metrics();
      expect(sample(text, `cic_sip_recorder_attempts_total{recorder="127.0.0.1:${(closed.address() as { port: number }).port}",result="transport"}`)).toBe(1);
      expect(sample(text, `cic_sip_recordings_started_total{recorder="127.0.0.1:${emu.sipPort}"}`)).toBe(1);
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 30_000);
});

describe('recorder failover between two real recorders (a second ci-emulator as the global one)', () => {
  let emu2: EmulatorProcess;
  let app: App;
  beforeAll(async () => {
    // Same test PKI and registrations: the carrier's certificate is admitted by both.
    emu2 = await startEmulator({ certsDir: emu.certsDir, configFile: JSON.parse(readFileSync(emuConfigFile, 'utf8')) });
    app = await startApp(`uksouth=127.0.0.1:${emu.sipPort},global=127.0.0.1:${emu2.sipPort}`, { RECORDING_ATTEMPT_TIMEOUT: '1500ms' });
  }, 60_000);
  afterAll(async () => {
    await emu.request('DELETE', '/emulator/recorder/faults');
    await emu2?.stop();
  }, 30_000);

  it('the region recorder never answers → CANCELled after RECORDING_ATTEMPT_TIMEOUT (1.5 s), the global one records the call with its audio; the call completes', async () => {
    expect((await emu.request('POST', '/emulator/recorder/faults', { json: { fault: 'no-answer', count: 1 } })).status).toBeLessThan(300);
    const [a, b] = [await udpSocket(), await udpSocket()];
    const dialerId = `dialer-noanswer-${randomBytes(4).toString('hex')}`;
    try {
      const c = await call(app, { caller: OTHER, callee: SELLER_CALLED, callerName: 'A', calleeName: 'B', dialerId, durationMs: 6000, a, b });
      const at2 = async () => (await emu2.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}`)).json;
      await waitFor('the recording at the global recorder', async () => (await at2())?.state === 'active', 20_000, 50);
      await recordingSteady(app, dialerId);
      const sent = await sendAudio(a, c.aSide, 100, 4);
      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      await waitFor('the session ended at the global recorder', async () => (await at2())?.state === 'ended', 10_000, 50);
      const rec = await at2();
      expect(rec).toMatchObject({ callId: dialerId, tenantId: TENANT, accountId: ACCOUNT });
      const invite = (rec.requests as Req[])[0] as Req;
      expect(header(invite, 'To')).toBe(`<sip:SRS@127.0.0.1:${emu2.sipPort};transport=tls>`);
      // The caller's audio is what the seller hears (inbound call): all of it, sample-exact, at the global recorder.
      const wav = await emu2.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}/inbound.wav`);
      expect(alignedMatch(parseWav(wav.body).samples, sent)).toMatchObject({ equal: true, length: sent.length });
      // The region recorder got the INVITE, swallowed it, and then our CANCEL: no session there.
      expect((await emu.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}`)).status).toBe(404);
      expect(app.output()).toMatch(new RegExp(`"callId":"${dialerId}".*"failure":\\{"kind":"timeout"\\},"msg":"SIPREC INVITE failed"`));
      expect(app.output()).not.toMatch(new RegExp(`"callId":"${dialerId}".*"msg":"recording.failed"`));
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 60_000);

  it('the recorder drops the TLS connection after its 200 OK → the session goes on: the BYE reaches it over a new connection, the call completes', async () => {
    expect((await emu.request('POST', '/emulator/recorder/faults', { json: { fault: 'drop-tls', count: 1, afterMs: 300 } })).status).toBeLessThan(300);
    const [a, b] = [await udpSocket(), await udpSocket()];
    const dialerId = `dialer-droptls-${randomBytes(4).toString('hex')}`;
    try {
      const c = await call(app, { caller: OTHER, callee: SELLER_CALLED, callerName: 'A', calleeName: 'B', dialerId, durationMs: 5000, a, b });
      await waitFor('the TLS connection dropped by the recorder', async () => ((await recording(dialerId))?.timeline as { event: string }[] | undefined)?.some((e) => e.event === 'tls-dropped') || undefined, 20_000, 50);
      await recordingSteady(app, dialerId);
      const sent = await sendAudio(b, c.bSide, 100, 5);
      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      await waitFor('the session ended', async () => (await recording(dialerId))?.state === 'ended', 10_000, 50);
      const rec = await recording(dialerId);
      const bye = (rec.requests as Req[]).find((r) => r.method === 'BYE');
      expect(bye && header(bye, 'X-AccountId')).toBe(ACCOUNT);
      expect(bye?.response.status).toBe(200);
      // The media never used the TLS connection: the seller's audio (the callee's, inbound call) is all there.
      const wav = await emu.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}/outbound.wav`);
      expect(alignedMatch(parseWav(wav.body).samples, sent)).toMatchObject({ equal: true, length: sent.length });
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 60_000);
});

describe('the recorder is lost mid-call (its process killed): the next recorder takes over', () => {
  let region: EmulatorProcess;
  let global: EmulatorProcess;
  let app: App;
  beforeAll(async () => {
    const started = await Promise.all([0, 1].map(() => startEmulator({ certsDir: emu.certsDir, configFile: JSON.parse(readFileSync(emuConfigFile, 'utf8')) })));
    [region, global] = [started[0] as EmulatorProcess, started[1] as EmulatorProcess];
    app = await startApp(`uksouth=127.0.0.1:${region!.sipPort},global=127.0.0.1:${global!.sipPort}`);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([region?.stop(), global?.stop()]);
  }, 30_000);

  it('the TLS connection resets, the in-dialog probe finds nobody → a new subscription and SIPREC INVITE to the global recorder, which records the rest of the call sample-exact', async () => {
    const [a, b] = [await udpSocket(), await udpSocket()];
    const dialerId = `dialer-lost-${randomBytes(4).toString('hex')}`;
    const at = (e: EmulatorProcess) => async () => (await e.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}`)).json;
    try {
      const c = await call(app, { caller: OTHER, callee: SELLER_CALLED, callerName: 'A', calleeName: 'B', dialerId, durationMs: 9000, a, b });
      await waitFor('the recording at the region recorder', async () => (await at(region)())?.state === 'active', 20_000, 50);
      await recordingSteady(app, dialerId);
      await sendAudio(b, c.bSide, 25, 6);
      process.kill(region.pid, 'SIGKILL');
      await waitFor('the recording at the global recorder', async () => (await at(global)())?.state === 'active', 20_000, 50);
      await recordingSteady(app, dialerId);
      const after = await sendAudio(b, c.bSide, 150, 7);
      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      await waitFor('the session ended at the global recorder', async () => (await at(global)())?.state === 'ended', 10_000, 50);
      const rec = await at(global)();
      expect(rec).toMatchObject({ callId: dialerId, tenantId: TENANT, accountId: ACCOUNT });
      expect(rec.metadata.parsed.extensionParameters).toEqual({ Role: 'inbound', CallerDisplayName: 'A', CalleeDisplayName: 'B' });
      // What the seller said after the takeover, every sample of it, at the global recorder.
      const wav = await global.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}/outbound.wav`);
      expect(alignedMatch(parseWav(wav.body).samples, after)).toMatchObject({ equal: true, length: after.length });
      expect(app.output()).toMatch(new RegExp(`"callId":"${dialerId}".*"msg":"recorder lost: the SIPREC session is gone"`));
      expect(app.output()).toMatch(new RegExp(`"callId":"${dialerId}".*"event":"recording.started","recorder":"sip:SRS@127\\.0\\.0\\.1:${global.sipPort};transport=tls"`));
      expect(app.output()).not.toMatch(new RegExp(`"callId":"${dialerId}".*"msg":"recording.failed"`));
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 60_000);
});

describe('recording events and recording.control on Kafka (KAFKA_BROKERS set)', () => {
  const run = randomBytes(4).toString('hex');
  const eventsTopic = `ss-rec-int-events-${run}`;
  const controlTopic = `ss-rec-int-control-${run}`;
  const kafka = createKafka({ clientId: `ss-rec-int-${run}`, brokers: stack.kafkaBrokers, logger: createLogger({ name: 'kafkajs', level: 'warn' }) });
  const seen: RecordingEventV1[] = [];
  let consumer: Consumer;
  let producer: Producer;
  let app: App;

  beforeAll(async () => {
    app = await startApp(`uksouth=127.0.0.1:${emu.sipPort},global=127.0.0.1:${emu.sipPort}`, {
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      KAFKA_RECORDING_EVENTS_TOPIC: eventsTopic,
      KAFKA_RECORDING_CONTROL_TOPIC: controlTopic,
      KAFKA_TOPIC_PARTITIONS: '1',
    });
    // The app creates both topics, then joins the control topic.
    await waitFor('the app consuming recording.control', () => /"msg":"recording control: consuming"/.test(app.output()), 30_000, 100);
    consumer = kafka.consumer({ groupId: `ss-rec-int-reader-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topic: eventsTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(decodeRecordingEvent(message.value)) });
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  }, 60_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([`ss-rec-int-reader-${run}`]).catch(() => undefined);
    await admin.deleteTopics({ topics: [eventsTopic, controlTopic] }).catch(() => undefined);
    await admin.disconnect();
  }, 30_000);

  const eventsOf = (callId: string) => seen.filter((e) => e.callId === callId);
  const control = (callId: string, action: RecordingControlAction) =>
    producer.send({ topic: controlTopic, messages: [{ key: callId, value: encodeRecordingControl({ type: 'recording.control', action, callId, tenantId: TENANT_MANUAL, requestedBy: 'int-spec', at: new Date().toISOString() }) }] });
  const recorder = () => `sip:SRS@127.0.0.1:${emu.sipPort};transport=tls`;
  type Offer = { method: string; offer: string };
  const ports = (sdp: string) => [...sdp.matchAll(/^m=audio (\d+) /gm)].map((m) => Number(m[1]));
  const directions = (sdp: string) => [...sdp.matchAll(/^a=(sendonly|recvonly|sendrecv|inactive)\r?$/gm)].map((m) => m[1]);

  it('a recorded call produces recording.started then recording.stopped on the events topic (call id, tenant, recorder)', async () => {
    const [a, b] = [await udpSocket(), await udpSocket()];
    const dialerId = `dialer-kafka-${randomBytes(4).toString('hex')}`;
    try {
      const c = await call(app, { caller: OTHER, callee: SELLER_CALLED, callerName: 'A', calleeName: 'B', dialerId, durationMs: 2000, a, b });
      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      await waitFor('recording.stopped on Kafka', () => eventsOf(dialerId).some((e) => e.type === 'recording.stopped') || undefined, 20_000, 50);
      expect(eventsOf(dialerId).map((e) => e.type)).toEqual(['recording.started', 'recording.stopped']);
      for (const e of eventsOf(dialerId)) expect(e).toMatchObject({ callId: dialerId, tenantId: TENANT, seller: expect.stringContaining('442079460018'), recorder: recorder() });
      expect((await recording(dialerId))?.state).toBe('ended');
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 60_000);

  it('a manual-mode tenant is recorded only after a start command; pause and resume re-INVITE the recorder (inactive, then sendonly on new ports)', async () => {
    const [a, b] = [await udpSocket(), await udpSocket()];
    const dialerId = `dialer-manual-${randomBytes(4).toString('hex')}`;
    try {
      const c = await call(app, { caller: OTHER, callee: SELLER_MANUAL, callerName: 'A', calleeName: 'B', dialerId, durationMs: 20_000, a, b });
      await waitFor('the manual decision', () => new RegExp(`"callId":"${dialerId}".*recording decision: record \\(manual\\)`).test(app.output()), 10_000, 50);
      // Answered and on the list, but nothing goes to the recorder without a command.
      expect((await emu.request('GET', `/emulator/recordings/${encodeURIComponent(dialerId)}`)).status).toBe(404);
      expect(eventsOf(dialerId)).toEqual([]);

      // start (sent again until it lands: the app's consumer may still be resolving its offsets; a repeated start is a no-op).
      await waitFor(
        'the recording after start',
        async () => {
          if ((await recording(dialerId))?.state === 'active') return true;
          await control(dialerId, 'start');
          return undefined;
        },
        15_000,
        500,
      );
      const started = await recording(dialerId);
      expect(started).toMatchObject({ callId: dialerId, tenantId: TENANT_MANUAL, accountId: ACCOUNT_MANUAL });
      const firstOffer = (started.sdp as Offer[])[0] as Offer;
      expect(directions(firstOffer.offer)).toEqual(['sendonly', 'sendonly']);

      await control(dialerId, 'pause');
      await waitFor('paused at the recorder', async () => (await recording(dialerId))?.state === 'paused' || undefined, 10_000, 50);
      const paused = (await recording(dialerId)).sdp as Offer[];
      const pauseOffer = paused[paused.length - 1] as Offer;
      expect(pauseOffer.method).toBe('INVITE');
      expect(directions(pauseOffer.offer)).toEqual(['inactive', 'inactive']);

      await control(dialerId, 'resume');
      await waitFor('active again at the recorder', async () => ((await recording(dialerId))?.sdp as Offer[]).length > paused.length && (await recording(dialerId))?.state === 'active' || undefined, 10_000, 50);
      const resumed = (await recording(dialerId)).sdp as Offer[];
      const resumeOffer = resumed[resumed.length - 1] as Offer;
      expect(directions(resumeOffer.offer)).toEqual(['sendonly', 'sendonly']);
      expect(ports(resumeOffer.offer)).toHaveLength(2);
      // A new subscription: new SRTP keys on every stream (and the ports rtpengine gives it).
      const keys = (sdp: string) => [...sdp.matchAll(/^a=crypto:\d+ \S+ inline:(\S+)/gm)].map((m) => m[1]);
      expect({ first: keys(firstOffer.offer), resumed: keys(resumeOffer.offer), firstPorts: ports(firstOffer.offer), resumedPorts: ports(resumeOffer.offer), resume: resumeOffer.offer }).toEqual({ first: [expect.any(String), expect.any(String)], resumed: [expect.any(String), expect.any(String)], firstPorts: [expect.any(Number), expect.any(Number)], resumedPorts: [expect.any(Number), expect.any(Number)], resume: expect.any(String) });
      for (const k of keys(resumeOffer.offer)) expect(keys(firstOffer.offer)).not.toContain(k);
      for (const p of ports(resumeOffer.offer)) expect(ports(firstOffer.offer)).not.toContain(p);

      expect(ok(await c.uac)).toBe('ok');
      expect(ok(await c.uas)).toBe('ok');
      await waitFor('recording.stopped on Kafka', () => eventsOf(dialerId).some((e) => e.type === 'recording.stopped') || undefined, 20_000, 50);
      expect(eventsOf(dialerId).map((e) => e.type)).toEqual(['recording.started', 'recording.paused', 'recording.resumed', 'recording.stopped']);
      for (const e of eventsOf(dialerId)) expect(e).toMatchObject({ callId: dialerId, tenantId: TENANT_MANUAL, recorder: recorder() });
      expect(new RegExp(`"callId":"${dialerId}".*"action":"start".*"msg":"recording control"}`).test(app.output())).toBe(true);
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 90_000);
});
