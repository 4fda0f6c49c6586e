import { X509Certificate } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import type { SecureVersion } from 'node:tls';
import { createTransportLayer, type TransportLayer } from './transport-layer';
import { TransportError } from './errors';
import type { BoundListener, SendTarget, TlsClientOptions, TlsServerOptions } from './types';
import { Inbox } from './test-support/inbox';
import { createTestPki, type TestPki } from './test-support/test-pki';
import { headerValue, okResponse, optionsRequest, startLine } from './test-support/sip-messages';

const HOST = '127.0.0.1';
let pki: TestPki;
const layers: TransportLayer[] = [];

beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.remove());
afterEach(async () => {
  await Promise.all(layers.splice(0).map((l) => l.close()));
});

/** A TLS server that demands a client certificate from our test CA. */
async function server(overrides: Partial<TlsServerOptions> = {}): Promise<{ layer: TransportLayer; inbox: Inbox; bound: BoundListener }> {
  const layer = createTransportLayer({ tlsServer: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, ...overrides } });
  layers.push(layer);
  const inbox = new Inbox(layer);
  return { layer, inbox, bound: await layer.listen({ protocol: 'tls', host: HOST, port: 0 }) };
}

function client(overrides: Partial<TlsClientOptions> = {}, connectTimeoutMs = 5000): { layer: TransportLayer; inbox: Inbox } {
  const layer = createTransportLayer({
    connectTimeoutMs,
    tlsClient: {
      ca: pki.ca.cert,
      identities: { carrier: { cert: pki.client.cert, key: pki.client.key }, rogue: { cert: pki.otherClient.cert, key: pki.otherClient.key } },
      defaultIdentity: 'carrier',
      ...overrides,
    },
  });
  layers.push(layer);
  return { layer, inbox: new Inbox(layer) };
}

const options = (port: number) => optionsRequest({ requestUri: `sips:sip.test.local:${port}`, transport: 'TLS', via: { host: HOST, port: 5061 } });
const tlsTarget = (port: number, extra: Partial<SendTarget> = {}): SendTarget => ({ protocol: 'tls', host: HOST, port, serverName: 'sip.test.local', ...extra });

function failure(p: Promise<unknown>): Promise<TransportError> {
  return p.then(
    () => {
      throw new Error('expected the send to fail');
    },
    (e: unknown) => {
      if (!(e instanceof TransportError)) throw e;
      return e;
    },
  );
}

describe.each<SecureVersion>(['TLSv1.3', 'TLSv1.2'])('mutual TLS, %s', (version) => {
  it('delivers the verified client subject and issuer to the server, and the answer back on the same connection', async () => {
    const s = await server({ maxVersion: version });
    const c = client({ maxVersion: version });
    const req = options(s.bound.port);
    const sent = await c.layer.send(tlsTarget(s.bound.port), req.bytes);
    expect(sent.connectionId).toMatch(/^tls-/);

    const got = await s.inbox.nextMessage();
    expect(got.data).toEqual(req.bytes);
    expect(got.protocol).toBe('tls');
    expect(got.tlsPeer).toEqual({
      subject: 'CN=src.carrier.test,O=Carrier',
      subjectCN: 'src.carrier.test',
      issuer: 'CN=Test SIP CA,O=Test',
      issuerCN: 'Test SIP CA',
      san: ['DNS:src.carrier.test'],
      fingerprint256: new X509Certificate(pki.client.cert).fingerprint256,
      verified: true,
    });

    await s.layer.send({ protocol: 'tls', host: got.remote.address, port: got.remote.port, connectionId: got.connectionId! }, okResponse(got.data));
    const res = await c.inbox.nextMessage();
    expect(startLine(res.data)).toBe('SIP/2.0 200 OK');
    expect(headerValue(res.data, 'Call-ID')).toBe(req.callId);
    expect(res.connectionId).toBe(sent.connectionId);
    expect(res.tlsPeer).toMatchObject({ subjectCN: 'sip.test.local', verified: true, san: ['DNS:sip.test.local', 'DNS:localhost', 'IP Address:127.0.0.1'] });
  });

  it('refuses a client certificate from another CA: the server says who and why, the send fails', async () => {
    const s = await server({ maxVersion: version });
    const c = client({ maxVersion: version });
    const err = await failure(c.layer.send(tlsTarget(s.bound.port, { clientIdentity: 'rogue' }), options(s.bound.port).bytes));
    // Node's TLS server closes without an alert, so the client cannot see more than a handshake failure.
    expect(err.code).toBe('tls-handshake');
    expect(err.message).toContain('may have refused our client certificate');

    const refused = await s.inbox.nextError((e) => e.code === 'tls-client-certificate-refused');
    expect(refused.message).toContain('CN=rogue.carrier.test,O=Rogue issued by CN=Rogue CA,O=Rogue not verified (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect(s.inbox.messages).toEqual([]);
    expect(s.layer.connections()).toEqual([]);
  });

  it('lets the application refuse a verified client after the handshake (authorize): reported with its reason, nothing read', async () => {
    const seen: { subject: string | undefined; address: string }[] = [];
    const s = await server({
      maxVersion: version,
      authorize: (peer, remote) => {
        seen.push({ subject: peer?.subject, address: remote.address });
        return peer?.subjectCN === 'src.carrier.test' ? 'subject not registered' : undefined;
      },
    });
    const c = client({ maxVersion: version });
    const err = await failure(c.layer.send(tlsTarget(s.bound.port), options(s.bound.port).bytes));
    expect(err.code).toBe('tls-handshake');
    const refused = await s.inbox.nextError((e) => e.code === 'tls-client-certificate-refused');
    expect(refused.message).toContain(`refused TLS client ${HOST}:`);
    expect(refused.message).toContain('(certificate CN=src.carrier.test,O=Carrier issued by CN=Test SIP CA,O=Test): subject not registered');
    expect(seen).toEqual([{ subject: 'CN=src.carrier.test,O=Carrier', address: HOST }]);
    expect(s.inbox.messages).toEqual([]);
    expect(s.layer.connections()).toEqual([]);
  });

  it('admits a client the authorize hook accepts', async () => {
    const s = await server({ maxVersion: version, authorize: () => undefined });
    const c = client({ maxVersion: version });
    const req = options(s.bound.port);
    await c.layer.send(tlsTarget(s.bound.port), req.bytes);
    expect((await s.inbox.nextMessage()).tlsPeer?.subjectCN).toBe('src.carrier.test');
  });
});

describe('TLS client checks', () => {
  it('refuses a server whose certificate does not carry the name: tls-hostname-mismatch with both sides of it', async () => {
    const s = await server();
    const c = client();
    const err = await failure(c.layer.send(tlsTarget(s.bound.port, { serverName: 'wrong.test.local' }), options(s.bound.port).bytes));
    expect(err.code).toBe('tls-hostname-mismatch');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('"wrong.test.local"');
    expect(err.message).toContain('DNS:sip.test.local, DNS:localhost, IP Address:127.0.0.1');
    expect(s.inbox.messages).toEqual([]);
  });

  it('checks the name it was given, not the address it dialled, and reaches a name from /etc/hosts', async () => {
    const s = await server();
    const c = client();
    // Default serverName = host: "localhost" is in the certificate (and resolves via /etc/hosts).
    await c.layer.send({ protocol: 'tls', host: 'localhost', port: s.bound.port }, options(s.bound.port).bytes);
    // An IP host without serverName is checked against the IP SAN.
    await c.layer.send({ protocol: 'tls', host: HOST, port: s.bound.port }, options(s.bound.port).bytes);
    await s.inbox.nextMessage(() => s.inbox.messages.length === 2);
    // Different names are different connections.
    expect(c.layer.connections()).toHaveLength(2);
  });

  it('refuses a server certificate from a CA it does not trust', async () => {
    const s = await server();
    const c = client({ ca: pki.otherCa.cert });
    const err = await failure(c.layer.send(tlsTarget(s.bound.port), options(s.bound.port).bytes));
    expect(err.code).toBe('tls-untrusted-certificate');
    // The server sends its CA along (OpenSSL builds the chain from its `ca`), hence "self-signed in chain".
    expect(err.message).toContain('SELF_SIGNED_CERT_IN_CHAIN');
  });

  it('reports a client without a certificate to a server that demands one', async () => {
    const s = await server();
    const c = client({ defaultIdentity: undefined });
    await failure(c.layer.send(tlsTarget(s.bound.port), options(s.bound.port).bytes));
    expect((await s.inbox.nextError((e) => e.code === 'tls-client-certificate-refused')).message).toContain('no client certificate');
  });

  it('refuses an unknown client identity without connecting', async () => {
    const s = await server();
    const c = client();
    const err = await failure(c.layer.send(tlsTarget(s.bound.port, { clientIdentity: 'nobody' }), options(s.bound.port).bytes));
    expect(err).toMatchObject({ code: 'not-configured', message: expect.stringContaining('"nobody"') });
  });

  it('reuses the connection per identity and name: two sends, one connection', async () => {
    const s = await server();
    const c = client();
    const one = await c.layer.send(tlsTarget(s.bound.port), options(s.bound.port).bytes);
    const two = await c.layer.send(tlsTarget(s.bound.port), options(s.bound.port).bytes);
    expect(two.connectionId).toBe(one.connectionId);
    await s.inbox.nextMessage(() => s.inbox.messages.length === 2);
    expect(s.layer.connections()).toHaveLength(1);
    expect(new Set(s.inbox.messages.map((m) => m.connectionId)).size).toBe(1);
  });

  it('times out a server that accepts TCP but never completes the handshake', async () => {
    const held: Socket[] = [];
    const silent = createServer((sock) => held.push(sock));
    await new Promise<void>((r) => silent.listen(0, HOST, () => r()));
    try {
      const c = client({}, 300);
      const started = Date.now();
      const err = await failure(c.layer.send(tlsTarget((silent.address() as { port: number }).port), Buffer.from('x')));
      expect(err).toMatchObject({ code: 'connect-timeout', retriable: true });
      expect(err.message).toContain('no TLS handshake');
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      for (const sock of held) sock.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('lets a server accept unverified clients when told to, marking them unverified', async () => {
    const s = await server({ rejectUnauthorized: false });
    const c = client();
    await c.layer.send(tlsTarget(s.bound.port, { clientIdentity: 'rogue' }), options(s.bound.port).bytes);
    const got = await s.inbox.nextMessage();
    expect(got.tlsPeer).toMatchObject({ subjectCN: 'rogue.carrier.test', verified: false, verifyError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});
