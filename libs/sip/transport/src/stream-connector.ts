import { isIP, connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { TransportError } from './errors';
import { ConnectContext, mapConnectError } from './error-mapping';
import { tlsPeerOf } from './tls-peer';
import type { LookupFn, TlsClientIdentity, TlsClientOptions, TlsPeerInfo } from './types';

export interface ConnectRequest {
  protocol: 'tcp' | 'tls';
  host: string;
  port: number;
  /** TLS: SNI (names only) and the name checked against the server certificate. */
  serverName?: string;
  identity?: TlsClientIdentity;
  tls?: TlsClientOptions;
  timeoutMs: number;
  localAddress?: string;
  lookup: LookupFn;
  /** Aborting destroys the connection attempt (the layer is closing). */
  signal?: AbortSignal;
}

export interface ConnectedStream {
  socket: Socket;
  tlsPeer?: TlsPeerInfo;
  /** Bytes read while waiting for the server's verdict after a TLS 1.3 handshake. */
  earlyData: Buffer[];
}

const MIN_POST_HANDSHAKE_WAIT_MS = 25;
const MAX_POST_HANDSHAKE_WAIT_MS = 2000;

/**
 * Opens a TCP or TLS connection within one deadline covering the name lookup,
 * the TCP connect, the TLS handshake and, under TLS 1.3, the wait for the
 * server's verdict on our certificate.
 */
export async function connectStream(req: ConnectRequest): Promise<ConnectedStream> {
  const started = Date.now();
  const deadline = started + req.timeoutMs;
  const serverName = req.serverName ?? req.host;
  const ctx: ConnectContext = { protocol: req.protocol, host: req.host, port: req.port, phase: 'lookup', sentClientCert: req.identity !== undefined };
  if (req.protocol === 'tls') ctx.serverName = serverName;

  const address = isIP(req.host) ? req.host : await withDeadline(req.lookup(req.host), deadline, ctx).then((r) => r.address, (err: unknown) => Promise.reject(mapConnectError(err, ctx)));
  ctx.address = address;
  ctx.phase = 'connect';
  if (req.signal?.aborted) throw aborted();

  const socket = req.protocol === 'tcp' ? openTcp(req, address) : openTls(req, address, serverName);
  const onAbort = () => socket.destroy(aborted());
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await waitForConnect(socket, req.protocol, deadline, ctx);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    if (req.protocol === 'tcp') return { socket, earlyData: [] };
    const tlsSocket = socket as TLSSocket;
    const earlyData = tlsSocket.getProtocol() === 'TLSv1.3' ? await awaitServerVerdict(tlsSocket, req, Date.now() - started, deadline, ctx) : [];
    const tlsPeer = tlsPeerOf(tlsSocket);
    return tlsPeer ? { socket, tlsPeer, earlyData } : { socket, earlyData };
  } catch (err) {
    socket.destroy();
    throw mapConnectError(err, ctx);
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
}

function aborted(): TransportError {
  return new TransportError('closed', 'the transport layer is closing');
}

function openTcp(req: ConnectRequest, address: string): Socket {
  return netConnect({ host: address, port: req.port, ...(req.localAddress ? { localAddress: req.localAddress } : {}) });
}

function openTls(req: ConnectRequest, address: string, serverName: string): TLSSocket {
  const t = req.tls ?? {};
  return tlsConnect({
    host: address,
    port: req.port,
    ...(req.localAddress ? { localAddress: req.localAddress } : {}),
    // RFC 6066 §3: SNI carries host names only, never IP literals.
    ...(isIP(serverName) ? {} : { servername: serverName }),
    ...(t.ca ? { ca: t.ca } : {}),
    ...(req.identity ? { cert: req.identity.cert, key: req.identity.key, ...(req.identity.passphrase ? { passphrase: req.identity.passphrase } : {}) } : {}),
    minVersion: t.minVersion ?? 'TLSv1.2',
    ...(t.maxVersion ? { maxVersion: t.maxVersion } : {}),
    rejectUnauthorized: true,
    // RFC 5922 §7.2: the certificate must match the name we were asked to reach,
    // not the address it resolved to.
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert),
  });
}

function waitForConnect(socket: Socket, protocol: 'tcp' | 'tls', deadline: number, ctx: ConnectContext): Promise<void> {
  const ready = protocol === 'tcp' ? 'connect' : 'secureConnect';
  if (protocol === 'tls') socket.once('connect', () => (ctx.phase = 'handshake'));
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new TransportError('connect-timeout', `${ctx.protocol}:${ctx.host}:${ctx.port}: no ${ctx.phase === 'handshake' ? 'TLS handshake' : 'connection'} within the connect timeout`)), Math.max(0, deadline - Date.now()));
    const onReady = () => finish();
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
    function finish(err?: Error) {
      clearTimeout(timer);
      socket.off(ready, onReady);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve();
    }
    socket.once(ready, onReady);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/**
 * TLS 1.3 (RFC 8446 §4.4.2): the client finishes its handshake before the server
 * has checked the client certificate, so a refusal arrives as an alert on the first
 * read after secureConnect. Wait up to about one more handshake time for a session
 * ticket or data (accepted), or an alert or close (refused). Bytes read meanwhile
 * are returned so no SIP message is lost.
 */
async function awaitServerVerdict(socket: TLSSocket, req: ConnectRequest, handshakeMs: number, deadline: number, ctx: ConnectContext): Promise<Buffer[]> {
  ctx.phase = 'post-handshake';
  const waitMs = Math.min(req.tls?.postHandshakeWaitMs ?? Math.min(Math.max(handshakeMs, MIN_POST_HANDSHAKE_WAIT_MS), MAX_POST_HANDSHAKE_WAIT_MS), Math.max(0, deadline - Date.now()));
  const early: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => finish(), waitMs);
    const onData = (chunk: Buffer) => {
      early.push(chunk);
      finish();
    };
    // Node emits 'session' from inside OpenSSL's ticket processing; a write issued
    // before that returns (even from a microtask) corrupts the TLS 1.3 record
    // stream ("bad record mac"), so the send waits for the next turn of the loop.
    const onSession = () => setImmediate(() => finish());
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(Object.assign(new Error('closed right after the TLS handshake, without an alert'), { code: 'ECONNRESET' }));
    function finish(err?: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('session', onSession);
      socket.off('error', onError);
      socket.off('close', onClose);
      // Back to paused mode until the connection attaches its own reader.
      socket.pause();
      if (err) reject(err);
      else resolve();
    }
    socket.on('data', onData);
    socket.once('session', onSession);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
  return early;
}

function withDeadline<T>(p: Promise<T>, deadline: number, ctx: ConnectContext): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransportError('connect-timeout', `no address for ${ctx.host} within the connect timeout`)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
