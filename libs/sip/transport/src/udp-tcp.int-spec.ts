import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { waitFor } from '@ci-connector/platform-testing';
import { createTransportLayer, type TransportLayer } from './transport-layer';
import { TransportError } from './errors';
import type { BoundListener, TransportLayerOptions } from './types';
import { Inbox } from './test-support/inbox';
import { freePort } from './test-support/free-port';
import { headerValue, okResponse, optionsRequest, startLine } from './test-support/sip-messages';

const HOST = '127.0.0.1';
const layers: TransportLayer[] = [];
const sockets: Socket[] = [];

async function layerWith(protocols: Array<'udp' | 'tcp'>, options: TransportLayerOptions = {}) {
  const layer = createTransportLayer(options);
  layers.push(layer);
  const inbox = new Inbox(layer);
  const bound: Partial<Record<'udp' | 'tcp', BoundListener>> = {};
  for (const protocol of protocols) bound[protocol] = await layer.listen({ protocol, host: HOST, port: 0 });
  return { layer, inbox, bound };
}

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: HOST, port }, () => resolve(s));
    sockets.push(s);
    s.once('error', reject);
  });
}

const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(layers.splice(0).map((l) => l.close()));
});

describe('UDP', () => {
  it('carries a request and its response between two layers, from and to the listening ports', async () => {
    const a = await layerWith(['udp']);
    const b = await layerWith(['udp']);
    const req = optionsRequest({ requestUri: `sip:${HOST}:${a.bound.udp!.port}`, transport: 'UDP', via: { host: HOST, port: b.bound.udp!.port } });
    const sent = await b.layer.send({ protocol: 'udp', host: HOST, port: a.bound.udp!.port }, req.bytes);
    expect(sent).toEqual({ local: { address: HOST, port: b.bound.udp!.port } });

    const got = await a.inbox.nextMessage();
    expect(got).toEqual({ data: req.bytes, protocol: 'udp', remote: { address: HOST, port: b.bound.udp!.port }, local: { address: HOST, port: a.bound.udp!.port } });
    await a.layer.send({ protocol: 'udp', host: got.remote.address, port: got.remote.port }, okResponse(got.data));
    const res = await b.inbox.nextMessage();
    expect(startLine(res.data)).toBe('SIP/2.0 200 OK');
    expect(headerValue(res.data, 'Call-ID')).toBe(req.callId);
  });

  it('resolves a host name from /etc/hosts', async () => {
    const a = await layerWith(['udp']);
    const b = await layerWith(['udp']);
    await b.layer.send({ protocol: 'udp', host: 'localhost', port: a.bound.udp!.port }, Buffer.from('MESSAGE sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    expect((await a.inbox.nextMessage()).remote.port).toBe(b.bound.udp!.port);
  });

  it('drops keep-alive and oversize datagrams, reporting the oversize one, and keeps receiving', async () => {
    const a = await layerWith(['udp'], { maxDatagramBytes: 600 });
    const raw = createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, HOST, () => r()));
    try {
      const sendRaw = (b: Buffer) => new Promise<void>((resolve, reject) => raw.send(b, a.bound.udp!.port, HOST, (e) => (e ? reject(e) : resolve())));
      await sendRaw(Buffer.from('\r\n\r\n'));
      await sendRaw(Buffer.alloc(0));
      await sendRaw(Buffer.from('MESSAGE sip:x SIP/2.0\r\nX: ' + 'a'.repeat(700) + '\r\nContent-Length: 0\r\n\r\n'));
      const ok = Buffer.from('MESSAGE sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n');
      await sendRaw(ok);
      expect((await a.inbox.nextMessage()).data).toEqual(ok);
      expect(a.inbox.messages).toHaveLength(1);
      const err = await a.inbox.nextError();
      expect(err.code).toBe('too-large');
      expect(err.remote?.port).toBe(raw.address().port);
    } finally {
      raw.close();
    }
  });

  it('refuses to send a datagram above the limit with too-large, so the caller can switch to TCP', async () => {
    const a = await layerWith(['udp'], { maxDatagramBytes: 1300 });
    const err = await a.layer.send({ protocol: 'udp', host: HOST, port: a.bound.udp!.port }, Buffer.alloc(1301, 0x41)).catch((e: unknown) => e as TransportError);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ code: 'too-large', retriable: false });
  });

  it('sends a datagram to an address from the listening port within send(), not after the caller\'s task', async () => {
    const a = await layerWith(['udp']);
    const b = await layerWith(['udp']);
    const req = optionsRequest({ requestUri: `sip:${HOST}:${a.bound.udp!.port}`, transport: 'UDP', via: { host: HOST, port: b.bound.udp!.port } });
    // The kernel's count of datagrams sent, read synchronously around send(): it has gone up before
    // send() returns (Node's own lookup answered an address only on the next tick, so it had not).
    const sentByKernel = () => Number(/^Udp: (?:\d+ ){3}(\d+)/m.exec(readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'))[1] ?? '')?.[1] ?? NaN);
    const before = sentByKernel();
    const sending = b.layer.send({ protocol: 'udp', host: HOST, port: a.bound.udp!.port }, req.bytes);
    const after = sentByKernel();
    expect(after - before).toBeGreaterThanOrEqual(1);
    await sending;
    expect((await a.inbox.nextMessage()).data).toEqual(req.bytes);
  });
});

describe('TCP', () => {
  it('carries a request and answers on the same connection (RFC 3261 §18.2.2)', async () => {
    const a = await layerWith(['tcp']);
    const b = await layerWith(['tcp']);
    const req = optionsRequest({ requestUri: `sip:${HOST}:${a.bound.tcp!.port};transport=tcp`, transport: 'TCP', via: { host: HOST, port: b.bound.tcp!.port } });
    const sent = await b.layer.send({ protocol: 'tcp', host: HOST, port: a.bound.tcp!.port }, req.bytes);
    expect(sent.connectionId).toMatch(/^tcp-\d+$/);

    const got = await a.inbox.nextMessage();
    expect(got.data).toEqual(req.bytes);
    expect(got.protocol).toBe('tcp');
    expect(got.remote).toEqual(sent.local);
    const reply = await a.layer.send({ protocol: 'tcp', host: got.remote.address, port: got.remote.port, connectionId: got.connectionId! }, okResponse(got.data));
    expect(reply.connectionId).toBe(got.connectionId);

    const res = await b.inbox.nextMessage();
    expect(res.connectionId).toBe(sent.connectionId);
    expect(headerValue(res.data, 'CSeq')).toBe('1 OPTIONS');
    expect(a.layer.connections()).toHaveLength(1);
    expect(b.layer.connections()).toHaveLength(1);
  });

  it('reuses one connection for several sends, also when they start together', async () => {
    const a = await layerWith(['tcp']);
    const b = await layerWith([]);
    const target = { protocol: 'tcp' as const, host: HOST, port: a.bound.tcp!.port };
    const msg = (i: number) => Buffer.from(`MESSAGE sip:x SIP/2.0\r\nCall-ID: ${i}\r\nContent-Length: 1\r\n\r\n${i}`);
    const together = await Promise.all([0, 1, 2, 3].map((i) => b.layer.send(target, msg(i))));
    const later = await b.layer.send(target, msg(4));
    expect(new Set([...together, later].map((r) => r.connectionId)).size).toBe(1);
    await a.inbox.nextMessage((m) => headerValue(m.data, 'Call-ID') === '4');
    expect(a.inbox.messages.map((m) => headerValue(m.data, 'Call-ID')).sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(a.layer.connections()).toHaveLength(1);
  });

  it('sends requests back to a peer over the connection it opened to us', async () => {
    const a = await layerWith(['tcp']);
    const b = await layerWith([]);
    const first = await b.layer.send({ protocol: 'tcp', host: HOST, port: a.bound.tcp!.port }, Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    const inbound = await a.inbox.nextMessage();
    // No connectionId: the peer's address and port find the inbound connection.
    const back = await a.layer.send({ protocol: 'tcp', host: inbound.remote.address, port: inbound.remote.port }, Buffer.from('BYE sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    expect(back.connectionId).toBe(inbound.connectionId);
    expect((await b.inbox.nextMessage()).connectionId).toBe(first.connectionId);
  });

  it('answers a double-CRLF ping with a single CRLF pong (RFC 5626 §4.4.1)', async () => {
    const a = await layerWith(['tcp']);
    const raw = await rawConnect(a.bound.tcp!.port);
    const received: Buffer[] = [];
    raw.on('data', (d: Buffer) => received.push(d));
    raw.write('\r\n\r\n');
    await waitFor('the pong', () => Buffer.concat(received).length >= 2, 2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(Buffer.concat(received).toString()).toBe('\r\n');
  });

  it('closes an idle connection, but not while it is held', async () => {
    const a = await layerWith(['tcp'], { idleTimeoutMs: 300 });
    const b = await layerWith([], { idleTimeoutMs: 300 });
    const sent = await b.layer.send({ protocol: 'tcp', host: HOST, port: a.bound.tcp!.port }, Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    const inbound = await a.inbox.nextMessage();
    const releaseA = a.layer.holdConnection(inbound.connectionId!);
    const releaseB = b.layer.holdConnection(sent.connectionId!);
    expect(releaseA).toBeDefined();
    await new Promise((r) => setTimeout(r, 900));
    expect(a.layer.connections()).toEqual([expect.objectContaining({ id: inbound.connectionId, holds: 1, direction: 'inbound' })]);
    expect(b.layer.connections()).toEqual([expect.objectContaining({ id: sent.connectionId, holds: 1, direction: 'outbound' })]);
    releaseA!();
    releaseB!();
    await waitFor('both ends to close the idle connection', () => a.layer.connections().length === 0 && b.layer.connections().length === 0, 3000);
    expect(a.layer.holdConnection(inbound.connectionId!)).toBeUndefined();
  });

  it('tells who closed a connection: the peer (both ends see it, the closing end as local), or ourselves', async () => {
    const a = await layerWith(['tcp']);
    const b = await layerWith([]);
    const seenA: { id: string; closedBy: string; direction: string }[] = [];
    const seenB: { id: string; closedBy: string; direction: string; remote: { port: number } }[] = [];
    a.layer.onConnectionClosed((c) => seenA.push(c));
    b.layer.onConnectionClosed((c) => seenB.push(c));
    const sent = await b.layer.send({ protocol: 'tcp', host: HOST, port: a.bound.tcp!.port }, Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    const inbound = await a.inbox.nextMessage();
    // A closes the connection B opened: for B that is the peer's doing, for A its own.
    await a.layer.closeConnection(inbound.connectionId!);
    await waitFor('B to see the close', () => seenB.length === 1, 3000);
    expect(seenB).toEqual([expect.objectContaining({ id: sent.connectionId, closedBy: 'peer', direction: 'outbound', protocol: 'tcp', remote: { address: HOST, port: a.bound.tcp!.port } })]);
    expect(seenA).toEqual([expect.objectContaining({ id: inbound.connectionId, closedBy: 'local', direction: 'inbound' })]);
    // A raw peer that resets its connection.
    const raw = await rawConnect(a.bound.tcp!.port);
    await waitFor('the raw connection accepted', () => a.layer.connections().length === 1, 3000);
    raw.resetAndDestroy();
    await waitFor('A to see the reset', () => seenA.length === 2, 3000);
    expect(seenA[1]).toMatchObject({ closedBy: 'peer', direction: 'inbound' });
  });

  it('closes a connection that sends an oversize message, reports too-large, and keeps serving others', async () => {
    const a = await layerWith(['tcp']);
    const raw = await rawConnect(a.bound.tcp!.port);
    raw.write('MESSAGE sip:a SIP/2.0\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
    const err = await a.inbox.nextError();
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe('too-large');
    expect(err.message).toContain('Content-Length 100000, limit 65536');
    expect(err.connectionId).toMatch(/^tcp-/);
    await closed(raw);
    await waitFor('the pool to forget it', () => a.layer.connections().length === 0, 2000);

    const b = await layerWith([]);
    await b.layer.send({ protocol: 'tcp', host: HOST, port: a.bound.tcp!.port }, Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 2\r\n\r\nok'));
    expect((await a.inbox.nextMessage()).data.toString()).toContain('\r\n\r\nok');
  });

  it('closes a connection whose message has no Content-Length, with a framing error', async () => {
    const a = await layerWith(['tcp']);
    const raw = await rawConnect(a.bound.tcp!.port);
    raw.write('OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n');
    expect(await a.inbox.nextError()).toMatchObject({ code: 'framing', message: expect.stringContaining('Content-Length is mandatory') });
    await closed(raw);
  });

  it('closes a connection that never ends its headers, before buffering beyond the limit', async () => {
    const a = await layerWith(['tcp'], { limits: { maxHeaderBytes: 4096 } });
    const raw = await rawConnect(a.bound.tcp!.port);
    raw.on('error', () => undefined);
    for (let i = 0; i < 100 && !raw.destroyed; i++) raw.write('X-Filler: ' + 'y'.repeat(100) + '\r\n');
    expect(await a.inbox.nextError()).toMatchObject({ code: 'too-large', message: expect.stringContaining('no end of headers within 4096 bytes') });
    await closed(raw);
  });

  it('reports a refused connection as connect-refused (retriable)', async () => {
    const b = await layerWith([]);
    const port = await freePort();
    await expect(b.layer.send({ protocol: 'tcp', host: HOST, port }, Buffer.from('x'))).rejects.toMatchObject({ code: 'connect-refused', retriable: true });
  });

  it('answers a reply whose connection has closed by connecting to the given address instead', async () => {
    const a = await layerWith(['tcp']);
    const b = await layerWith(['tcp']);
    const first = await b.layer.send({ protocol: 'tcp', host: HOST, port: a.bound.tcp!.port }, Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    const got = await a.inbox.nextMessage();
    await b.layer.closeConnection(first.connectionId!);
    await waitFor('a to see the close', () => a.layer.connections().length === 0, 2000);
    // RFC 3261 §18.2.2: the response goes to the Via sent-by (here B's listener) on a new connection.
    const reply = await a.layer.send({ protocol: 'tcp', host: HOST, port: b.bound.tcp!.port, connectionId: got.connectionId! }, okResponse(got.data));
    expect(reply.connectionId).not.toBe(got.connectionId);
    expect(startLine((await b.inbox.nextMessage()).data)).toBe('SIP/2.0 200 OK');
  });
});

describe('close()', () => {
  it('stops listeners and connections, and refuses further sends', async () => {
    const a = await layerWith(['tcp', 'udp']);
    const b = await layerWith([]);
    await b.layer.send({ protocol: 'tcp', host: HOST, port: a.bound.tcp!.port }, Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    await a.inbox.nextMessage();
    const started = Date.now();
    await a.layer.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(a.layer.connections()).toEqual([]);
    await waitFor('b to see the close', () => b.layer.connections().length === 0, 2000);
    await expect(b.layer.send({ protocol: 'tcp', host: HOST, port: a.bound.tcp!.port }, Buffer.from('x'))).rejects.toMatchObject({ code: 'connect-refused' });
    await expect(a.layer.send({ protocol: 'udp', host: HOST, port: 9 }, Buffer.from('x'))).rejects.toMatchObject({ code: 'closed' });
  });

  it('aborts a connection attempt that is still handshaking', async () => {
    // A server that accepts TCP but never speaks TLS.
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, HOST, () => r()));
    try {
      const port = (silent.address() as { port: number }).port;
      const b = await layerWith([], { connectTimeoutMs: 10_000 });
      const pending = b.layer.send({ protocol: 'tls', host: HOST, port }, Buffer.from('x')).catch((e: unknown) => e as TransportError);
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      await b.layer.close();
      expect(await pending).toMatchObject({ code: 'closed' });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      for (const s of sockets.splice(0)) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
