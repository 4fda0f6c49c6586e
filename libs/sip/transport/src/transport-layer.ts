import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { ConnectionPool } from './connection-pool';
import { TransportError } from './errors';
import { connectStream } from './stream-connector';
import { StreamConnection, type StreamConnectionEvents, type StreamConnectionSettings } from './stream-connection';
import { StreamListeners } from './stream-listeners';
import { UdpTransport } from './udp-transport';
import type {
  BoundListener,
  ConnectionInfo,
  ErrorHandler,
  ListenSpec,
  LookupFn,
  MessageHandler,
  SendResult,
  SendTarget,
  TlsClientIdentity,
  TlsPeerInfo,
  TransportLayerOptions,
  ConnectionClosed,
} from './types';

/** UDP, TCP and TLS behind one interface; it moves whole SIP messages as bytes and never parses them. */
export interface TransportLayer {
  /** Starts a listener; port 0 picks a free port (see the result). */
  listen(spec: ListenSpec): Promise<BoundListener>;
  /** Every listener started so far. */
  addresses(): BoundListener[];
  /** Every whole inbound message; returns a function that unsubscribes. */
  onMessage(handler: MessageHandler): () => void;
  /** Failures not tied to a send(): refused clients, framing errors, socket errors. */
  onError(handler: ErrorHandler): () => void;
  /** Every stream connection that closes (either side), after it left the pool; returns a function that unsubscribes. */
  onConnectionClosed(handler: (closed: ConnectionClosed) => void): () => void;
  /** Sends one whole message; rejects with a TransportError. */
  send(target: SendTarget, data: Buffer): Promise<SendResult>;
  /** Keeps a stream connection past its idle timeout (e.g. for a dialog's life) until the returned release() is called; undefined when the connection is gone. */
  holdConnection(connectionId: string): (() => void) | undefined;
  /** Open stream connections. */
  connections(): ConnectionInfo[];
  /** Closes one stream connection (politely, then by force after closeTimeoutMs). */
  closeConnection(connectionId: string): Promise<void>;
  /** Stops listeners, closes every connection and socket; bounded by closeTimeoutMs. */
  close(): Promise<void>;
}

const defaultLookup: LookupFn = async (host) => {
  // getaddrinfo: /etc/hosts first, then DNS (RFC 3263 §4.2 A/AAAA step).
  const r = await dnsLookup(host);
  return { address: r.address, family: r.family === 6 ? 6 : 4 };
};

/** Creates a transport layer; nothing listens until listen() is called. */
export function createTransportLayer(options: TransportLayerOptions = {}): TransportLayer {
  return new TransportLayerImpl(options);
}

class TransportLayerImpl implements TransportLayer {
  private readonly messageHandlers = new Set<MessageHandler>();
  private readonly errorHandlers = new Set<ErrorHandler>();
  private readonly closedHandlers = new Set<(closed: ConnectionClosed) => void>();
  private readonly pool = new ConnectionPool();
  private readonly udp: UdpTransport;
  private readonly streams: StreamListeners;
  private readonly closing = new AbortController();
  private readonly lookup: LookupFn;
  private readonly connTemplate: Omit<StreamConnectionSettings, 'direction' | 'tlsPeer' | 'protocol'>;
  private readonly connEvents: StreamConnectionEvents;

  constructor(private readonly options: TransportLayerOptions) {
    this.lookup = options.lookup ?? defaultLookup;
    const emitError = (err: TransportError) => this.emitError(err);
    this.udp = new UdpTransport({ maxDatagramBytes: options.maxDatagramBytes ?? 65_507, localAddress: options.localAddress, lookup: this.lookup }, { message: (m) => this.emitMessage(m), error: emitError });
    this.streams = new StreamListeners(
      { tlsServer: options.tlsServer, handshakeTimeoutMs: options.connectTimeoutMs ?? 5000 },
      { connection: (socket, protocol, tlsPeer) => this.accept(socket, protocol, tlsPeer), error: emitError },
    );
    const limits = options.limits;
    this.connTemplate = {
      limits,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 1000,
      maxPendingWriteBytes: 1024 * 1024,
    };
    this.connEvents = {
      message: (conn, data) => {
        const m = { data, protocol: conn.protocol, remote: conn.remote, local: conn.local, connectionId: conn.id };
        this.emitMessage(conn.tlsPeer ? { ...m, tlsPeer: conn.tlsPeer } : m);
      },
      error: emitError,
      closed: (conn) => {
        this.pool.remove(conn);
        this.emitClosed(conn);
      },
    };
  }

  listen(spec: ListenSpec): Promise<BoundListener> {
    if (this.closing.signal.aborted) return Promise.reject(new TransportError('closed', 'the transport layer is closed'));
    return spec.protocol === 'udp' ? this.udp.listen(spec.host, spec.port) : this.streams.listen(spec.protocol, spec.host, spec.port);
  }

  addresses(): BoundListener[] {
    return [...this.udp.listeners(), ...this.streams.listeners()];
  }

  onMessage(handler: MessageHandler): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  onConnectionClosed(handler: (closed: ConnectionClosed) => void): () => void {
    this.closedHandlers.add(handler);
    return () => this.closedHandlers.delete(handler);
  }

  onError(handler: ErrorHandler): () => void {
    this.errorHandlers.add(handler);
    return () => this.errorHandlers.delete(handler);
  }

  async send(target: SendTarget, data: Buffer): Promise<SendResult> {
    if (this.closing.signal.aborted) throw new TransportError('closed', 'the transport layer is closed');
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new TransportError('not-configured', `invalid port ${target.port}`);
    if (target.protocol === 'udp') return this.udp.send(target, data);
    const { conn, reused } = await this.streamFor(target);
    try {
      await conn.write(data);
    } catch (err) {
      // A pooled connection the peer closed an instant ago: one fresh attempt (not for a pinned connection).
      if (!(reused && err instanceof TransportError && err.code === 'closed' && target.connectionId === undefined)) throw err;
      const fresh = await this.pool.getOrConnect(this.poolKey(target), () => this.connect(target));
      await fresh.write(data);
      return { connectionId: fresh.id, local: fresh.local };
    }
    return { connectionId: conn.id, local: conn.local };
  }

  holdConnection(connectionId: string): (() => void) | undefined {
    return this.pool.get(connectionId)?.hold();
  }

  connections(): ConnectionInfo[] {
    return this.pool.all().map((c) => c.info());
  }

  async closeConnection(connectionId: string): Promise<void> {
    await this.pool.get(connectionId)?.close();
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    const listenersClosed = this.streams.stopAccepting();
    // Each connection ends politely and is destroyed after closeTimeoutMs at most.
    await Promise.all(this.pool.all().map((c) => c.close()));
    this.streams.destroyRemaining();
    await listenersClosed;
    await this.udp.close();
  }

  private async streamFor(target: SendTarget): Promise<{ conn: StreamConnection; reused: boolean }> {
    if (target.connectionId !== undefined) {
      const pinned = this.pool.get(target.connectionId);
      if (pinned && pinned.protocol === target.protocol) return { conn: pinned, reused: true };
    }
    const key = this.poolKey(target);
    const outbound = this.pool.outbound(key);
    if (outbound) return { conn: outbound, reused: true };
    // A connection the peer opened to us serves requests back to it. For TLS only
    // when no server name must be checked: we never verified its server certificate.
    if (isIP(target.host) && (target.protocol === 'tcp' || target.serverName === undefined)) {
      const inbound = this.pool.inbound(target.protocol, target.host, target.port);
      if (inbound) return { conn: inbound, reused: true };
    }
    return { conn: await this.pool.getOrConnect(key, () => this.connect(target)), reused: false };
  }

  private poolKey(t: SendTarget): string {
    if (t.protocol !== 'tls') return `${t.protocol}|${t.host.toLowerCase()}|${t.port}`;
    const identity = t.clientIdentity ?? this.options.tlsClient?.defaultIdentity ?? '';
    return `tls|${t.host.toLowerCase()}|${t.port}|${(t.serverName ?? t.host).toLowerCase()}|${identity}`;
  }

  private identityFor(t: SendTarget): TlsClientIdentity | undefined {
    const id = t.clientIdentity ?? this.options.tlsClient?.defaultIdentity;
    if (id === undefined) return undefined;
    const identity = this.options.tlsClient?.identities?.[id];
    if (!identity) throw new TransportError('not-configured', `no TLS client identity ${JSON.stringify(id)} in tlsClient.identities`);
    return identity;
  }

  private async connect(target: SendTarget): Promise<StreamConnection> {
    const protocol = target.protocol === 'tls' ? 'tls' : 'tcp';
    const identity = protocol === 'tls' ? this.identityFor(target) : undefined;
    const connected = await connectStream({
      protocol,
      host: target.host,
      port: target.port,
      ...(target.serverName !== undefined ? { serverName: target.serverName } : {}),
      ...(identity ? { identity } : {}),
      ...(this.options.tlsClient ? { tls: this.options.tlsClient } : {}),
      timeoutMs: this.options.connectTimeoutMs ?? 5000,
      ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
      lookup: this.lookup,
      signal: this.closing.signal,
    });
    if (this.closing.signal.aborted) {
      connected.socket.destroy();
      throw new TransportError('closed', 'the transport layer is closing');
    }
    // No await between here and start(): the socket's events need their listeners.
    const conn = new StreamConnection(connected.socket, { ...this.connTemplate, protocol, direction: 'outbound', tlsPeer: connected.tlsPeer }, this.connEvents);
    this.pool.add(conn, this.poolKey(target));
    conn.start(connected.earlyData);
    return conn;
  }

  private accept(socket: Socket, protocol: 'tcp' | 'tls', tlsPeer: TlsPeerInfo | undefined): void {
    if (this.closing.signal.aborted) {
      socket.destroy();
      return;
    }
    const conn = new StreamConnection(socket, { ...this.connTemplate, protocol, direction: 'inbound', tlsPeer }, this.connEvents);
    this.pool.add(conn);
    conn.start();
  }

  private emitMessage(m: Parameters<MessageHandler>[0]): void {
    for (const handler of this.messageHandlers) {
      try {
        handler(m);
      } catch (err) {
        // One failing consumer must not stop the socket's reading or the other consumers.
        this.emitError(new TransportError('handler-failed', `an onMessage handler threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err, ...(m.connectionId ? { connectionId: m.connectionId } : {}), remote: m.remote }));
      }
    }
  }

  private emitClosed(conn: StreamConnection): void {
    const closed: ConnectionClosed = { id: conn.id, protocol: conn.protocol, direction: conn.settings.direction, local: conn.local, remote: conn.remote, closedBy: conn.closedBy };
    for (const handler of this.closedHandlers) {
      try {
        handler(closed);
      } catch (err) {
        this.emitError(new TransportError('handler-failed', `an onConnectionClosed handler threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err, connectionId: conn.id, remote: conn.remote }));
      }
    }
  }

  private emitError(err: TransportError): void {
    for (const handler of this.errorHandlers) handler(err);
  }
}
