import { createServer as createTcpServer, isIP, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { TransportError } from './errors';
import { tlsPeerOf } from './tls-peer';
import type { BoundListener, ErrorHandler, TlsPeerInfo, TlsServerOptions } from './types';

export interface StreamListenerSettings {
  tlsServer: TlsServerOptions | undefined;
  handshakeTimeoutMs: number;
}

export interface StreamListenerEvents {
  /** A TCP connection, or a TLS connection whose handshake (and client certificate, when demanded) passed. */
  connection(socket: Socket, protocol: 'tcp' | 'tls', tlsPeer: TlsPeerInfo | undefined): void;
  error: ErrorHandler;
}

/** TCP and TLS listening sockets; accepted connections are handed to the pool. */
export class StreamListeners {
  private readonly servers: Array<{ server: Server; listener: BoundListener }> = [];
  /** Raw sockets, including TLS ones still handshaking, so close() can end them all. */
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly settings: StreamListenerSettings,
    private readonly events: StreamListenerEvents,
  ) {}

  listeners(): BoundListener[] {
    return this.servers.map((s) => s.listener);
  }

  async listen(protocol: 'tcp' | 'tls', host: string, port: number): Promise<BoundListener> {
    const server = protocol === 'tcp' ? this.tcpServer() : this.tlsServer();
    server.on('connection', (raw: Socket) => {
      this.sockets.add(raw);
      raw.once('close', () => this.sockets.delete(raw));
    });
    await new Promise<void>((resolve, reject) => {
      const onListenError = (err: Error) => reject(new TransportError('socket', `cannot listen on ${protocol} ${host}:${port}: ${err.message}`, { cause: err }));
      server.once('error', onListenError);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', onListenError);
        resolve();
      });
    });
    server.on('error', (err) => this.events.error(new TransportError('socket', `${protocol} listener ${host}:${port}: ${err.message}`, { cause: err })));
    const a = server.address();
    const bound = typeof a === 'object' && a ? a : { address: host, port };
    const listener: BoundListener = { protocol, address: bound.address, port: bound.port, family: isIP(bound.address) === 6 ? 6 : 4 };
    this.servers.push({ server, listener });
    return listener;
  }

  /**
   * Stops accepting. The promise settles once every listener is fully closed, i.e.
   * after the pool has ended the accepted connections and destroyRemaining() the rest.
   */
  stopAccepting(): Promise<void> {
    const servers = this.servers.splice(0);
    return Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve())))).then(() => undefined);
  }

  /** Destroys sockets still open after the pool closed its connections: TLS handshakes in progress. */
  destroyRemaining(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private tcpServer(): Server {
    return createTcpServer({ noDelay: true }, (socket) => this.events.connection(socket, 'tcp', undefined));
  }

  private tlsServer(): Server {
    const o = this.settings.tlsServer;
    if (!o) throw new TransportError('not-configured', 'listening on TLS needs the tlsServer option (certificate and key)');
    const requestCert = o.requestCert ?? false;
    const reject = requestCert && (o.rejectUnauthorized ?? true);
    const server = createTlsServer({
      cert: o.cert,
      key: o.key,
      ...(o.passphrase ? { passphrase: o.passphrase } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
      requestCert,
      // Node would refuse an unverified client by closing the socket with no
      // report at all; checking here lets us say who was refused and why.
      rejectUnauthorized: false,
      minVersion: o.minVersion ?? 'TLSv1.2',
      ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      handshakeTimeout: this.settings.handshakeTimeoutMs,
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const peer = tlsPeerOf(socket);
      if (reject && !socket.authorized) {
        const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
        const why = peer ? `certificate ${peer.subject} issued by ${peer.issuer} not verified (${peer.verifyError ?? 'unknown reason'})` : 'no client certificate';
        this.events.error(new TransportError('tls-client-certificate-refused', `refused TLS client ${remote.address}:${remote.port}: ${why}`, { remote }));
        socket.destroy();
        return;
      }
      if (o.authorize) {
        const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
        let refusal: string | undefined;
        try {
          refusal = o.authorize(peer, remote);
        } catch (err) {
          refusal = `admission check failed: ${err instanceof Error ? err.message : String(err)}`;
        }
        if (refusal !== undefined) {
          const who = peer ? `certificate ${peer.subject} issued by ${peer.issuer}` : 'no client certificate';
          this.events.error(new TransportError('tls-client-certificate-refused', `refused TLS client ${remote.address}:${remote.port} (${who}): ${refusal}`, { remote }));
          socket.destroy();
          return;
        }
      }
      socket.setNoDelay(true);
      this.events.connection(socket, 'tls', peer);
    });
    server.on('tlsClientError', (err, socket) => {
      const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      const code = (err as { code?: string }).code ?? '';
      this.events.error(new TransportError('tls-handshake', `TLS handshake with client ${remote.address}:${remote.port} failed: ${code ? `${code}: ` : ''}${err.message}`, { cause: err, remote }));
    });
    return server;
  }
}
