import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { parseSdesInline, parseWav, SrtpSender, ulawToLinear, waitFor } from '@ci-connector/platform-testing';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { randomInline, SiprecClient, show } from './testing/siprec-client';
import { caTrustingNetworkClient } from './entra/msal-network-client';

// The whole Microsoft side as a carrier meets it, through the built process:
// an app-only token from the Entra double (msal-node, certificate credential),
// the provider registered for the tenant through the providers API, and only
// then a SIPS connection with the registered client certificate carrying a
// SIPREC session whose SRTP (made by the independent test sender) lands in a WAV.

const CI_SCOPE = 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3/.default';
const APP = '4d4d4d4d-4444-4444-8444-444444444444';
const TENANT = 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';

describe('ci-emulator end to end: token → register → SIPREC → WAV', () => {
  let emu: EmulatorProcess;
  let token: string;
  const clients: SiprecClient[] = [];
  const pem = (name: string) => readFileSync(join(emu.certsDir, name));
  const srcClient = async () => {
    const c = await SiprecClient.start({ srs: { host: '127.0.0.1', port: emu.sipPort }, ca: pem('ca.pem'), cert: pem('carrier.pem'), key: pem('carrier-key.pem') });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    emu = await startEmulator({
      configFile: {
        apps: [{ clientId: APP, displayName: 'carrier connector', certificates: ['certs/app.pem'] }],
        tenants: [{ tenantId: TENANT, displayName: 'Contoso', consents: [{ clientId: APP, roles: ['Users.Read.All'] }] }],
      },
    });
    const thumbprintSha256 = createHash('sha256').update(new X509Certificate(pem('app.pem')).raw).digest('hex');
    const cca = new ConfidentialClientApplication({
      auth: { clientId: APP, authority: `${emu.url}/${TENANT}`, knownAuthorities: [emu.url], clientCertificate: { thumbprintSha256, privateKey: pem('app-key.pem').toString() } },
      system: { networkClient: caTrustingNetworkClient(emu.ca) },
    });
    const result = await cca.acquireTokenByClientCredential({ scopes: [CI_SCOPE] });
    token = result?.accessToken ?? '';
    expect(token).not.toBe('');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await emu?.stop();
  });

  it('refuses the SIPS connection while the tenant is not registered', async () => {
    const c = await srcClient();
    const res = (await c.invite(c.seedInvite({ accountId: ACCOUNT }))).response;
    expect(res.status).toBe(503); // our stack's synthetic answer to a refused connection
    const rejections = await emu.request('GET', '/emulator/recorder/rejections');
    expect(rejections.json.rejections.filter((r: { kind: string }) => r.kind === 'connection').at(-1)).toMatchObject({ rule: 'tls-registered-certificate' });
  });

  it('registers the provider with the seed body, then records a SIPREC session whose WAV equals what was sent', async () => {
    const body = {
      orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
      Type: 'custom',
      hosting: 'cloud',
      displayName: 'Example Carrier',
      AuthenticationDetails: { AccountId: ACCOUNT, CertificateSubjectName: 'sbc.carrier.example', CertificateIssuer: 'ci-emulator test CA', SourceIPNetwork: '127.0.0.1' },
    };
    const reg = await emu.request('POST', '/api/v1.0/providers/tenants', { json: body, bearer: token });
    expect(reg.status).toBe(201);
    expect((await emu.request('POST', '/api/v1.0/providers/tenants', { json: body, bearer: token })).json).toMatchObject({ status: 'unchanged' });

    const c = await srcClient();
    const wrong = await c.invite(c.seedInvite({ accountId: 'AC-not-registered' }));
    expect(wrong.response.status).toBe(403);
    expect(wrong.response.headers.get('Warning')).toMatch(/"x-accountid: /);

    const inline = { inbound: randomInline(), outbound: randomInline() };
    const { response, dialog } = await c.invite(c.seedInvite({ accountId: ACCOUNT, media: { inbound: { inline: inline.inbound }, outbound: { inline: inline.outbound } } }));
    if (response.status !== 200 || !dialog) throw new Error(show(response));
    const answer = response.body.toString();
    const portOf = (label: string) => Number(/^m=audio (\d+)/m.exec(answer.split(/(?=m=audio )/).find((s) => s.includes(`a=label:${label}\r\n`)) ?? '')?.[1]);

    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const sent: Buffer[] = [];
    const { masterKey, masterSalt } = parseSdesInline(inline.inbound);
    const sender = new SrtpSender({ masterKey, masterSalt, ssrc: 0xcafe, payloadType: 0 });
    for (let i = 0; i < 100; i++) {
      const payload = Buffer.from(Array.from({ length: 160 }, (_, k) => (i * 31 + k * 7) & 0xff));
      await new Promise<void>((r, j) => sock.send(sender.protect(payload), portOf('inbound'), '127.0.0.1', (e) => (e ? j(e) : r())));
      sent.push(payload);
    }
    sock.close();
    const path = `/emulator/recordings/${encodeURIComponent(dialog.callId)}`;
    await waitFor('100 packets at the recorder', async () => (await emu.request('GET', path)).json.streams.find((s: { label: string }) => s.label === 'inbound')?.packetsDecoded === 100);
    expect((await c.bye(dialog)).status).toBe(200);

    const rec = await emu.request('GET', path);
    expect(rec.json).toMatchObject({ callId: dialog.callId, tenantId: TENANT, accountId: ACCOUNT, state: 'ended' });
    const wav = parseWav((await emu.request('GET', `${path}/inbound.wav`)).body);
    expect(Array.from(wav.samples)).toEqual(Array.from(Buffer.concat(sent), (b) => ulawToLinear(b)));
    const stored = (await emu.request('GET', '/emulator/registrations')).json.registrations;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ tenantId: TENANT, rawBody: body });
  });
});
