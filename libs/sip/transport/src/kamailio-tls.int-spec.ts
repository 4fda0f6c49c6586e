/**
 * Interop with a real TLS peer: Kamailio 5.6 demanding a client certificate from
 * our test CA (LOCAL-INFRA, "Kamailio 5.6 as a TLS peer").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { createTransportLayer, type TransportLayer } from './transport-layer';
import { TransportError } from './errors';
import type { SendTarget } from './types';
import { Inbox } from './test-support/inbox';
import { freePort } from './test-support/free-port';
import { createTestPki, type TestPki } from './test-support/test-pki';
import { startKamailioTls, type KamailioTls } from './test-support/kamailio';
import { headerValue, optionsRequest, startLine } from './test-support/sip-messages';

let pki: TestPki;
let dir: string;
let kamailio: KamailioTls;
const layers: TransportLayer[] = [];

beforeAll(async () => {
  pki = createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'sip-transport-kamailio-'));
  kamailio = await startKamailioTls(dir, await freePort(), pki);
}, 60_000);

afterAll(async () => {
  await Promise.all(layers.splice(0).map((l) => l.close()));
  if (kamailio) {
    await kamailio.stop();
    expect(await kamailio.processes()).toEqual([]);
  }
  rmSync(dir, { recursive: true, force: true });
  pki.remove();
}, 30_000);

function client(maxVersion?: SecureVersion): { layer: TransportLayer; inbox: Inbox } {
  const layer = createTransportLayer({
    tlsClient: {
      ca: pki.ca.cert,
      identities: { carrier: { cert: pki.client.cert, key: pki.client.key }, rogue: { cert: pki.otherClient.cert, key: pki.otherClient.key } },
      defaultIdentity: 'carrier',
      ...(maxVersion ? { maxVersion } : {}),
    },
  });
  layers.push(layer);
  return { layer, inbox: new Inbox(layer) };
}

const target = (extra: Partial<SendTarget> = {}): SendTarget => ({ protocol: 'tls', host: '127.0.0.1', port: kamailio.tlsPort, serverName: 'sip.test.local', ...extra });
const options = () => optionsRequest({ requestUri: `sip:sip.test.local:${kamailio.tlsPort};transport=tls`, transport: 'TLS', via: { host: '127.0.0.1', port: 5061 } });

async function refusal(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TransportError) return err;
    throw err;
  }
  throw new Error('expected the send to fail');
}

describe.each<SecureVersion>(['TLSv1.3', 'TLSv1.2'])('Kamailio over %s', (version) => {
  it('answers OPTIONS with 200 on our connection and saw our verified client certificate', async () => {
    const c = client(version);
    const req = options();
    const sent = await c.layer.send(target(), req.bytes);
    const res = await c.inbox.nextMessage((m) => headerValue(m.data, 'Call-ID') === req.callId);
    expect(startLine(res.data)).toBe('SIP/2.0 200 OK');
    expect(res.connectionId).toBe(sent.connectionId);
    expect(headerValue(res.data, 'CSeq')).toBe('1 OPTIONS');
    expect(headerValue(res.data, 'Via')).toContain(req.branch);
    expect(headerValue(res.data, 'X-TLS-Peer-CN')).toBe('src.carrier.test');
    expect(headerValue(res.data, 'X-TLS-Peer-O')).toBe('Carrier');
    expect(headerValue(res.data, 'X-TLS-Issuer-CN')).toBe('Test SIP CA');
    expect(headerValue(res.data, 'X-TLS-Peer-Verified')).toBe('1');
    expect(headerValue(res.data, 'X-Proto')).toBe('tls');
    // What we saw of Kamailio's certificate.
    expect(res.tlsPeer).toMatchObject({ subject: 'CN=sip.test.local,O=Test', issuerCN: 'Test SIP CA', verified: true });

    // A second request reuses the connection.
    const again = options();
    const second = await c.layer.send(target(), again.bytes);
    expect(second.connectionId).toBe(sent.connectionId);
    await c.inbox.nextMessage((m) => headerValue(m.data, 'Call-ID') === again.callId);
    expect(c.layer.connections()).toHaveLength(1);
  });

  it('reports a client certificate from another CA as tls-peer-rejected-certificate (Kamailio sends an unknown_ca alert)', async () => {
    const c = client(version);
    const err = await refusal(c.layer.send(target({ clientIdentity: 'rogue' }), options().bytes));
    expect(err.code).toBe('tls-peer-rejected-certificate');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('refused our client certificate (TLS alert unknown_ca)');
    expect(c.layer.connections()).toEqual([]);
    expect(c.inbox.messages).toEqual([]);
  });
});

describe('Kamailio server certificate', () => {
  it('is refused when it does not carry the name we asked for', async () => {
    const c = client();
    const err = await refusal(c.layer.send(target({ serverName: 'wrong.test.local' }), options().bytes));
    expect(err.code).toBe('tls-hostname-mismatch');
    expect(err.message).toContain('"wrong.test.local"');
    expect(err.message).toContain('DNS:sip.test.local');
  });

  it('is accepted for a name from /etc/hosts that it carries (localhost)', async () => {
    const c = client();
    const req = options();
    await c.layer.send({ protocol: 'tls', host: 'localhost', port: kamailio.tlsPort }, req.bytes);
    expect(startLine((await c.inbox.nextMessage((m) => headerValue(m.data, 'Call-ID') === req.callId)).data)).toBe('SIP/2.0 200 OK');
  });

  it('logged its side of the refusal', () => {
    expect(kamailio.log()).toContain('certificate verify failed');
  });
});
