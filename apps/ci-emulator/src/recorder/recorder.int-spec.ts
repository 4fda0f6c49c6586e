import 'reflect-metadata';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@ci-connector/platform-logging';
import { freePort, parseSdesInline, parseWav, SrtpSender, ulawToLinear, alawToLinear, waitFor } from '@ci-connector/platform-testing';
import type { SipRequest, SipResponse } from '@ci-connector/sip';
import { buildConfig, type EmulatorConfig } from '../config/config';
import { StateModule } from '../state/state.module';
import { RegistrationStore, type Registration } from '../state/registrations';
import { httpsJson, mintCerts, type HttpResult } from '@ci-connector/ci-emulator-testing';
import { randomInline, replaceInBody, SiprecClient, show } from '../testing/siprec-client';
import { RecorderModule } from './recorder.module';

// The recorder in-process (StateModule + RecorderModule on HTTPS, the real
// MediaReceiver), real TLS sockets on 127.0.0.1, our SIP stack as the SRC.

@Module({})
class RecorderTestApp {
  static register(config: EmulatorConfig, registrations: RegistrationStore): DynamicModule {
    return { module: RecorderTestApp, imports: [StateModule.register(config, createLogger({ name: 'recorder-int', level: 'silent' }), registrations), RecorderModule] };
  }
}

const ACCOUNT = 'ACxxxxxxxxxxxxxxxxxxxx';
const TENANT: Omit<Registration, 'registeredAt' | 'updatedAt'> = {
  tenantId: '11111111-2222-3333-4444-555555555555',
  clientId: 'carrier-app',
  orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
  type: 'custom',
  hosting: 'cloud',
  displayName: 'Example Carrier',
  accountId: ACCOUNT,
  // A full DN in OpenSSL order with other spacing/case, and a bare CN for the issuer: both forms of the matching rule.
  certificateSubjectName: 'o=Example Carrier, cn=SBC.carrier.example',
  certificateIssuer: 'ci-emulator test CA',
  sourceIpNetwork: '127.0.0.0/8',
};

let work: string;
let certs: string;
let app: INestApplication;
let config: EmulatorConfig;
const registrations = new RegistrationStore();
let url: string;
const clients: SiprecClient[] = [];

const pem = (name: string) => readFileSync(join(certs, name));
const api = (method: string, path: string, json?: unknown): Promise<HttpResult> => httpsJson(url, pem('ca.pem'), method, path, json === undefined ? {} : { json });

async function client(name = 'carrier'): Promise<SiprecClient> {
  const c = await SiprecClient.start({ srs: { host: '127.0.0.1', port: config.sip.port }, ca: pem('ca.pem'), cert: pem(`${name}.pem`), key: pem(`${name}-key.pem`) });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ci-emulator-recorder-'));
  certs = join(work, 'certs');
  mintCerts(certs);
  mintCerts(certs, 'client', 'stranger', 'sbc.stranger.example', 'Stranger Telecom');
  mintCerts(certs, 'ca', 'rogue-ca', 'ci-emulator test CA');
  mintCerts(certs, 'signed-by', 'rogue-ca', 'rogue', 'sbc.carrier.example', 'Example Carrier');
  const base = 33000 + Math.floor(Math.random() * 50) * 100;
  config = buildConfig({ HTTPS_PORT: String(await freePort()), SIP_PORT: String(await freePort()), MEDIA_PORT_MIN: String(base), MEDIA_PORT_MAX: String(base + 99), CERTS_DIR: certs, RECORDINGS_DIR: join(work, 'recordings'), LOG_LEVEL: 'silent' });
  registrations.upsert(TENANT);
  app = await NestFactory.create(RecorderTestApp.register(config, registrations), { httpsOptions: { cert: pem('https.pem'), key: pem('https-key.pem') }, logger: false });
  await app.listen(config.https.port, '127.0.0.1');
  url = `https://127.0.0.1:${config.https.port}`;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  registrations.upsert(TENANT);
  await api('DELETE', '/emulator/recorder/faults');
});

afterAll(async () => {
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

const warningOf = (res: SipResponse) => res.headers.get('Warning') ?? '';
function expectRule(res: SipResponse, rule: string, status: number, warnCode = 399): void {
  if (res.status !== status) throw new Error(`expected ${status} for ${rule}, got:\n${show(res)}`);
  expect(res.reason).toContain(`(${rule})`);
  expect(warningOf(res)).toMatch(new RegExp(`^${warnCode} 127\\.0\\.0\\.1:${config.sip.port} "${rule}: .+"$`));
}

function sdpLines(res: SipResponse): string[] {
  return res.body.toString('utf8').split('\r\n');
}

describe('the seed INVITE', () => {
  it('is accepted with a 200 whose SDP answers each label recvonly with our own key, and the recording is inspectable', async () => {
    const c = await client();
    const req = c.seedInvite({ accountId: ACCOUNT });
    const offeredKeys = req.body.toString().match(/inline:\S+/g) ?? [];
    const { response, dialog } = await c.invite(req);
    if (response.status !== 200) throw new Error(show(response));
    expect(response.headers.get('Content-Type')).toBe('application/sdp');
    expect(response.headers.get('Supported')).toMatch(/siprec/);
    expect(response.headers.get('Contact')).toMatch(/^<sips?:SRS@127\.0\.0\.1:\d+/);
    const lines = sdpLines(response);
    const media = lines.filter((l) => l.startsWith('m='));
    expect(media).toHaveLength(2);
    for (const m of media) expect(m).toMatch(/^m=audio \d+ RTP\/SAVP 0 101$/);
    expect(lines.filter((l) => l === 'a=recvonly')).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('a=label:'))).toEqual(['a=label:inbound', 'a=label:outbound']);
    const crypto = lines.filter((l) => l.startsWith('a=crypto:'));
    expect(crypto).toHaveLength(2);
    for (const line of crypto) {
      const m = /^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(\S+)$/.exec(line);
      expect(m).not.toBeNull();
      expect(Buffer.from(m![1]!, 'base64')).toHaveLength(30);
      expect(offeredKeys).not.toContain(`inline:${m![1]}`);
    }
    expect(lines).toContain('a=rtpmap:0 PCMU/8000');
    expect(lines).toContain('c=IN IP4 127.0.0.1');

    const bye = await c.bye(dialog!);
    expect(bye.status).toBe(200);

    const rec = await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}`);
    expect(rec.status).toBe(200);
    expect(rec.json).toMatchObject({ callId: dialog!.callId, tenantId: TENANT.tenantId, accountId: ACCOUNT, state: 'ended', labels: ['inbound', 'outbound'] });
    expect(rec.json.metadata.parsed.extensionParameters).toEqual({ Role: 'inbound', CallerDisplayName: 'Kiana Anderson', CalleeDisplayName: 'Tomas Richardson' });
    expect(rec.json.metadata.parsed.streams.map((s: { label: string }) => s.label)).toEqual(['inbound', 'outbound']);
    expect(rec.json.metadata.xml).toContain('<ExtensionParameters xmlns="http://provider.com/siprec">');
    expect(rec.json.requests.map((r: { method: string }) => r.method)).toEqual(['INVITE', 'BYE']);
    expect(rec.json.requests[0].headers).toContainEqual(['X-AccountId', ACCOUNT]);
    expect(rec.json.sdp[0].answer).toBe(response.body.toString());
    expect(rec.json.streams.map((s: { label: string }) => s.label).sort()).toEqual(['inbound', 'outbound']);
    expect(rec.json.timeline.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(['invite-accepted', 'ended', 'finalised']));
    const list = await api('GET', '/emulator/recordings');
    expect(list.json.recordings).toContainEqual(expect.objectContaining({ callId: dialog!.callId, state: 'ended' }));
  });

  it('answers OPTIONS pings with 200, Allow and Supported', async () => {
    const res = await (await client()).options();
    expect(res.status).toBe(200);
    expect(res.headers.get('Allow')).toMatch(/INVITE/);
    expect(res.headers.get('Supported')).toMatch(/siprec/);
  });

  it('404 names an unknown Call-ID', async () => {
    const r = await api('GET', '/emulator/recordings/no-such-call');
    expect(r.status).toBe(404);
    expect(r.json.error.message).toContain('no-such-call');
  });
});

type Breaker = (req: SipRequest) => void;
const cases: [rule: string, status: number, warn: number, breakIt: Breaker, extra?: (res: SipResponse) => void][] = [
  ['sips-transport', 403, 399, (r) => void (r.uri = r.uri.replace(';transport=tls', ''))],
  ['siprec-require', 421, 399, (r) => r.headers.delete('Require'), (res) => expect(res.headers.get('Require')).toBe('siprec')],
  ['siprec-contact-src', 400, 399, (r) => r.headers.set('Contact', '<sip:SRC@127.0.0.1:5060;transport=udp>')],
  ['x-accountid', 403, 399, (r) => r.headers.set('X-AccountId', 'ACsomebodyelse')],
  [
    'multipart-mixed',
    415,
    399,
    (r) => {
      const sdp = /Content-Type: application\/sdp\r\n\r\n([\s\S]*?)\r\n------=/.exec(r.body.toString())?.[1] ?? '';
      r.body = Buffer.from(`${sdp}\r\n`);
      r.headers.set('Content-Type', 'application/sdp');
    },
    (res) => expect(res.headers.get('Accept')).toBe('multipart/mixed'),
  ],
  ['multipart-parts', 400, 399, (r) => void replaceInBody(r, /\r\n------=_Part_1253_283419664\.1674116473425\r\nContent-Type: application\/rs-metadata\+xml[\s\S]*<\/recording>/, '')],
  ['metadata-disposition', 400, 399, (r) => void replaceInBody(r, 'Content-Disposition: recording-session\r\n', '')],
  // The seed's own defect: a U+202F inside the ExtensionParameters tag makes the XML ill-formed.
  ['metadata-xml', 400, 399, (r) => void replaceInBody(r, '<ExtensionParameters xmlns=', '<ExtensionParameters\u202F xmlns=')],
  ['metadata-schema', 400, 399, (r) => void replaceInBody(r, '<datamode>complete</datamode>', '<datamode>everything</datamode>'), (res) => expect(warningOf(res)).toMatch(/datamode/)],
  ['metadata-extension', 400, 399, (r) => void replaceInBody(r, /\s*<Parameter name="CallerDisplayName" value="Kiana Anderson"\/>/, ''), (res) => expect(warningOf(res)).toContain('CallerDisplayName')],
  ['sdp-syntax', 400, 399, (r) => void replaceInBody(r, 'Content-Type: application/sdp\r\n\r\nv=0', 'Content-Type: application/sdp\r\n\r\nv=1')],
  ['sdp-two-audio', 488, 304, (r) => void replaceInBody(r, 'm=audio 16022 RTP/SAVP', 'm=video 16022 RTP/SAVP')],
  ['sdp-rtp-savp', 488, 302, (r) => void replaceInBody(r, 'm=audio 15352 RTP/SAVP', 'm=audio 15352 RTP/AVP')],
  ['sdp-sendonly', 488, 306, (r) => void replaceInBody(r, 'a=sendonly\r\na=label:inbound', 'a=sendrecv\r\na=label:inbound')],
  ['sdp-labels', 488, 306, (r) => void replaceInBody(r, 'a=label:outbound', 'a=label:inbound')],
  ['sdp-crypto', 488, 306, (r) => void replaceInBody(r, 'inline:bckPlyxG6j4/3JzzT4wXPyJ7hYHdYCTy3IPtkjfk', `inline:${Buffer.alloc(20, 7).toString('base64')}`)],
  ['sdp-codec', 488, 305, (r) => void replaceInBody(r, 'm=audio 15352 RTP/SAVP 0 8 101', 'm=audio 15352 RTP/SAVP 18 101')],
  ['sdp-connection', 488, 301, (r) => void replaceInBody(r, 'c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0')],
  ['metadata-stream-labels', 400, 399, (r) => void replaceInBody(r, '<label>outbound</label>', '<label>outbound-leg</label>')],
];

describe('each rule broken alone is rejected with its named Warning', () => {
  // Rest parameters: jest would take a fifth parameter for a `done` callback.
  it.each(cases)('%s → %i', async (...row) => {
    const [rule, status, warn, breakIt, extra] = row;
    const c = await client();
    const req = c.seedInvite({ accountId: ACCOUNT });
    breakIt(req);
    const { response } = await c.invite(req);
    expectRule(response, rule, status, warn);
    extra?.(response);
    const rej = await api('GET', `/emulator/recorder/rejections?callId=${encodeURIComponent(req.headers.get('Call-ID')!)}`);
    expect(rej.json.rejections).toEqual([expect.objectContaining({ rule, status, kind: 'invite' })]);
    expect(rej.json.rejections[0].headers).toContainEqual(['Call-ID', req.headers.get('Call-ID')]);
  });

  it('tls-registered → 403 when the registration changed after the connection was admitted', async () => {
    const c = await client();
    expect((await c.options()).status).toBe(200); // admitted, connection open
    registrations.upsert({ ...TENANT, certificateSubjectName: 'CN=another.carrier.example' });
    const { response } = await c.invite(c.seedInvite({ accountId: ACCOUNT }));
    expectRule(response, 'tls-registered', 403);
  });

  it('call-id-unique → 400 for a new INVITE reusing the Call-ID of a recording in progress', async () => {
    const c = await client();
    const first = await c.invite(c.seedInvite({ accountId: ACCOUNT }));
    expect(first.response.status).toBe(200);
    const { response } = await c.invite(c.seedInvite({ accountId: ACCOUNT, callId: first.dialog!.callId }));
    expectRule(response, 'call-id-unique', 400);
    expect((await c.bye(first.dialog!)).status).toBe(200);
  });

  it('the rule table is served in check order', async () => {
    const r = await api('GET', '/emulator/recorder/rules');
    expect(r.json.rules.map((x: { id: string }) => x.id)).toEqual([
      'sips-transport', 'tls-registered', 'siprec-require', 'siprec-contact-src', 'x-accountid', 'multipart-mixed', 'multipart-parts', 'metadata-disposition', 'metadata-xml', 'metadata-schema',
      'metadata-extension', 'sdp-syntax', 'sdp-two-audio', 'sdp-rtp-savp', 'sdp-sendonly', 'sdp-labels', 'sdp-crypto', 'sdp-codec', 'sdp-connection', 'metadata-stream-labels', 'call-id-unique', 'bye-x-accountid',
    ]);
  });
});

describe('TLS admission', () => {
  async function lastConnectionRejection() {
    const r = await api('GET', '/emulator/recorder/rejections');
    return r.json.rejections.filter((x: { kind: string }) => x.kind === 'connection').at(-1);
  }

  it.each([
    ['a certificate of another CA', 'rogue', 'tls-client-certificate', () => undefined],
    ['a registered-CA certificate whose subject is not registered', 'stranger', 'tls-registered-certificate', () => undefined],
    ['the registered certificate from outside the SourceIPNetwork', 'carrier', 'tls-source-network', () => void registrations.upsert({ ...TENANT, sourceIpNetwork: '10.0.0.0/8' })],
  ])('refuses %s at TLS and records why', async (_what, name, rule, setup) => {
    setup();
    const c = await client(name);
    const res = await c.invite(c.seedInvite({ accountId: ACCOUNT })).then((r) => r.response);
    // Our stack turns the refused connection into the transaction's synthetic 503.
    expect(res.status).toBe(503);
    expect(await lastConnectionRejection()).toMatchObject({ rule });
  });
});

describe('in the dialog', () => {
  it('BYE without X-AccountId → 403 with its Warning, the session continues; with it → 200', async () => {
    const c = await client();
    const { dialog } = await c.invite(c.seedInvite({ accountId: ACCOUNT }));
    const bad = await c.bye(dialog!, { accountId: null });
    expectRule(bad, 'bye-x-accountid', 403);
    let rec = await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}`);
    expect(rec.json.state).toBe('active');
    expect((await c.bye(dialog!)).status).toBe(200);
    rec = await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}`);
    expect(rec.json.state).toBe('ended');
    expect(rec.json.timeline.map((e: { event: string }) => e.event)).toContain('bye-refused');
  });

  it('a re-INVITE offering a=inactive (pause) is answered inactive; sendonly again resumes', async () => {
    const c = await client();
    const req = c.seedInvite({ accountId: ACCOUNT });
    const { dialog } = await c.invite(req);
    const ct = req.headers.get('Content-Type')!;
    const paused = req.body.toString().replace(/a=sendonly/g, 'a=inactive');
    const res = await c.reinvite(dialog!, { body: paused, contentType: ct });
    if (res.status !== 200) throw new Error(show(res));
    const lines = sdpLines(res);
    expect(lines.filter((l) => l === 'a=inactive')).toHaveLength(2);
    expect(lines).not.toContain('a=recvonly');
    expect((await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}`)).json.state).toBe('paused');
    const resumed = await c.reinvite(dialog!, { body: req.body, contentType: ct });
    expect(sdpLines(resumed).filter((l) => l === 'a=recvonly')).toHaveLength(2);
    expect((await c.bye(dialog!)).status).toBe(200);
  });

  it('a re-INVITE breaking a rule is refused with its Warning and changes nothing', async () => {
    const c = await client();
    const req = c.seedInvite({ accountId: ACCOUNT });
    const { dialog } = await c.invite(req);
    const res = await c.reinvite(dialog!, { body: req.body.toString().replace('RTP/SAVP 0 8 101', 'RTP/AVP 0 8 101'), contentType: req.headers.get('Content-Type')! });
    expectRule(res, 'sdp-rtp-savp', 488, 302);
    expect((await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}`)).json.state).toBe('active');
    expect((await c.bye(dialog!)).status).toBe(200);
  });
});

describe('faults', () => {
  it('refuse: 503 with Retry-After and a Warning to the next INVITE, then calls are answered again', async () => {
    expect((await api('POST', '/emulator/recorder/faults', { fault: 'refuse', count: 1, retryAfter: 7 })).status).toBe(201);
    const c = await client();
    const { response } = await c.invite(c.seedInvite({ accountId: ACCOUNT }));
    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toBe('7');
    expect(warningOf(response)).toMatch(/^399 127\.0\.0\.1:\d+ "fault-refuse: /);
    const next = await c.invite(c.seedInvite({ accountId: ACCOUNT }));
    expect(next.response.status).toBe(200);
    await c.bye(next.dialog!);
  });

  it('no-answer: the INVITE gets nothing at all while a later OPTIONS on the same connection is answered', async () => {
    await api('POST', '/emulator/recorder/faults', { fault: 'no-answer' });
    const c = await client();
    const req = c.seedInvite({ accountId: ACCOUNT });
    let answered = false;
    const provisional: SipResponse[] = [];
    const tx = c.stack.transactions.request(req, c.dest, { onProvisional: (r) => void provisional.push(r) });
    void tx.result.then(() => (answered = true), () => (answered = true));
    expect((await c.options()).status).toBe(200);
    expect(answered).toBe(false);
    expect(provisional).toEqual([]);
    const faults = await api('GET', '/emulator/recorder/faults');
    expect(faults.json.fired).toContainEqual(expect.objectContaining({ kind: 'no-answer', callId: req.headers.get('Call-ID') }));
  });

  it('drop-tls: the TLS connection is closed mid-call; the BYE comes over a new connection and ends the recording', async () => {
    await api('POST', '/emulator/recorder/faults', { fault: 'drop-tls', afterMs: 0 });
    const c = await client();
    const { response, dialog } = await c.invite(c.seedInvite({ accountId: ACCOUNT }));
    expect(response.status).toBe(200);
    await c.connectionClosed();
    expect((await c.bye(dialog!)).status).toBe(200);
    const rec = await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}`);
    expect(rec.json.timeline.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(['tls-dropped', 'ended']));
  });

  it('names the bad field of a fault', async () => {
    const r = await api('POST', '/emulator/recorder/faults', { fault: 'explode', count: 0 });
    expect(r.status).toBe(400);
    expect(r.json.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['count', 'fault']);
  });
});

describe('SRTP acceptance', () => {
  it('decrypts independently made SRTP into WAVs equal to the reference decode; one tampered packet is counted auth-failed', async () => {
    const c = await client();
    const inline = { inbound: randomInline(), outbound: randomInline() };
    const req = c.seedInvite({ accountId: ACCOUNT, media: { inbound: { inline: inline.inbound }, outbound: { inline: inline.outbound } } });
    replaceInBody(req, 'm=audio 16022 RTP/SAVP 0 8 101', 'm=audio 16022 RTP/SAVP 8 0 101'); // outbound offers PCMA first
    const { response, dialog } = await c.invite(req);
    if (response.status !== 200) throw new Error(show(response));
    const text = response.body.toString();
    const section = (label: string) => text.split(/(?=m=audio )/).find((s) => s.includes(`a=label:${label}\r\n`)) ?? '';
    const portOf = (label: string) => Number(/^m=audio (\d+)/.exec(section(label))?.[1]);
    const ptOf = (label: string) => Number(/^m=audio \d+ RTP\/SAVP (\d+)/.exec(section(label))?.[1]);
    expect(ptOf('inbound')).toBe(0);
    expect(ptOf('outbound')).toBe(8);

    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const send = (buf: Buffer, port: number) => new Promise<void>((r, j) => sock.send(buf, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    const sent: Record<string, Buffer[]> = { inbound: [], outbound: [] };
    const PACKETS = 250; // 5 s of 20 ms frames per label
    for (const label of ['inbound', 'outbound'] as const) {
      const { masterKey, masterSalt } = parseSdesInline(inline[label]);
      const sender = new SrtpSender({ masterKey, masterSalt, ssrc: label === 'inbound' ? 0x1234 : 0x5678, payloadType: ptOf(label), sequenceNumber: 65400, timestamp: 1000 });
      for (let i = 0; i < PACKETS; i++) {
        const payload = Buffer.alloc(160);
        for (let k = 0; k < 160; k++) payload[k] = (i * 7 + k * 13 + (label === 'outbound' ? 101 : 0)) & 0xff;
        const packet = sender.protect(payload, { marker: i === 0 });
        if (label === 'inbound' && i === 100) {
          const tampered = Buffer.from(packet);
          tampered[20] = (tampered[20] ?? 0) ^ 0x01; // one payload bit: the tag no longer matches
          await send(tampered, portOf(label));
        }
        await send(packet, portOf(label));
        sent[label]!.push(payload);
        if (i % 25 === 24) await new Promise((r) => setImmediate(r));
      }
    }
    sock.close();
    // Everything sent has arrived when each stream counted all its datagrams.
    await waitFor('the recorder to receive every packet', async () => {
      const r = await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}`);
      const by = Object.fromEntries(r.json.streams.map((s: { label: string; packetsReceived: number }) => [s.label, s.packetsReceived]));
      return by['inbound'] === PACKETS + 1 && by['outbound'] === PACKETS;
    });
    expect((await c.bye(dialog!)).status).toBe(200);

    const rec = await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}`);
    const stats = Object.fromEntries(rec.json.streams.map((s: { label: string }) => [s.label, s]));
    expect(stats['inbound']).toMatchObject({ authFailed: 1, packetsDecoded: PACKETS, lost: 0 });
    expect(stats['outbound']).toMatchObject({ authFailed: 0, packetsDecoded: PACKETS, lost: 0 });

    for (const label of ['inbound', 'outbound'] as const) {
      const wav = await api('GET', `/emulator/recordings/${encodeURIComponent(dialog!.callId)}/${label}.wav`);
      expect(wav.status).toBe(200);
      expect(wav.headers['content-type']).toBe('audio/wav');
      const audio = parseWav(wav.body);
      expect(audio.sampleRate).toBe(8000);
      const decode = label === 'inbound' ? ulawToLinear : alawToLinear;
      const expected = Int16Array.from(Buffer.concat(sent[label]!), (b) => decode(b));
      expect(audio.samples.length).toBe(expected.length);
      expect(Buffer.from(audio.samples.buffer, audio.samples.byteOffset, audio.samples.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
    }
  });
});

