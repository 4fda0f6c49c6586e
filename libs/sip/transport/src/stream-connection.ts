import type { Socket } from 'node:net';
import { TransportError } from './errors';
import { mapConnectError } from './error-mapping';
import { FramingError, StreamFramer, type FramerLimits } from './stream-framer';
import type { ConnectionInfo, Endpoint, TlsPeerInfo } from './types';

export interface StreamConnectionSettings {
  protocol: 'tcp' | 'tls';
  direction: 'inbound' | 'outbound';
  limits: FramerLimits | undefined;
  idleTimeoutMs: number;
  closeTimeoutMs: number;
  /** Refuse writes while more than this is queued for a peer that does not read. */
  maxPendingWriteBytes: number;
  tlsPeer: TlsPeerInfo | undefined;
}

export interface StreamConnectionEvents {
  message(conn: StreamConnection, data: Buffer): void;
  error(err: TransportError): void;
  closed(conn: StreamConnection): void;
}

let sequence = 0;

const PONG = Buffer.from('\r\n');

/**
 * One TCP or TLS connection, in or out: frames what it reads, answers keep-alive
 * pings, and closes itself after an idle period unless someone holds it.
 */
export class StreamConnection {
  readonly id: string;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** Outbound reuse key, set by the pool. */
  key: string | undefined;
  private holds = 0;
  private closedFlag = false;
  /** We asked for the close (idle, close(), destroy()): anything else is the peer's doing or a failure. */
  private closedLocally = false;
  private readonly framer: StreamFramer;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly socket: Socket,
    readonly settings: StreamConnectionSettings,
    private readonly events: StreamConnectionEvents,
  ) {
    this.id = `${settings.protocol}-${++sequence}`;
    this.local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
    this.remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    this.framer = new StreamFramer(settings.limits);
    this.idleTimer = setTimeout(() => this.onIdle(), settings.idleTimeoutMs);
    this.idleTimer.unref();
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', (err) => this.onSocketError(err));
    socket.once('close', () => this.onClose());
  }

  /** Starts reading, first framing what arrived while the connection was being set up. */
  start(earlyData: Buffer[] = []): void {
    for (const chunk of earlyData) this.onData(chunk);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The connector may have paused it explicitly; a new 'data' listener does not undo that.
    this.socket.resume();
  }

  get protocol(): 'tcp' | 'tls' {
    return this.settings.protocol;
  }

  get tlsPeer(): TlsPeerInfo | undefined {
    return this.settings.tlsPeer;
  }

  get isOpen(): boolean {
    return !this.closedFlag && !this.socket.destroyed && this.socket.writable;
  }

  info(): ConnectionInfo {
    const info: ConnectionInfo = { id: this.id, protocol: this.protocol, direction: this.settings.direction, local: this.local, remote: this.remote, holds: this.holds };
    if (this.tlsPeer) info.tlsPeer = this.tlsPeer;
    return info;
  }

  /** Keeps the connection open past the idle timeout until the returned function is called (once). */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.idleTimer.refresh();
    };
  }

  write(data: Buffer): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.closedError('connection is closed'));
    if (this.socket.writableLength > this.settings.maxPendingWriteBytes) {
      return Promise.reject(
        new TransportError('write-failed', `${this.describe()}: ${this.socket.writableLength} bytes already queued for a peer that is not reading`, { connectionId: this.id, remote: this.remote }),
      );
    }
    this.idleTimer.refresh();
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(this.mapError(err)) : resolve()));
    });
  }

  /** Ends politely, destroys after closeTimeoutMs; resolves once the socket is closed. */
  close(): Promise<void> {
    this.closedLocally = true;
    if (!this.socket.destroyed) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), this.settings.closeTimeoutMs).unref();
    }
    return this.closedPromise;
  }

  destroy(): Promise<void> {
    this.closedLocally = true;
    this.socket.destroy();
    return this.closedPromise;
  }

  private onData(chunk: Buffer): void {
    this.idleTimer.refresh();
    let events;
    try {
      events = this.framer.push(chunk);
    } catch (err) {
      if (!(err instanceof FramingError)) throw err;
      const code = err.code === 'missing-content-length' || err.code === 'bad-content-length' ? 'framing' : 'too-large';
      this.events.error(new TransportError(code, `${this.describe()}: ${err.message}; closing the connection`, { cause: err, connectionId: this.id, remote: this.remote }));
      this.socket.destroy();
      return;
    }
    for (const e of events) {
      if (e.kind === 'ping') this.socket.write(PONG);
      else if (!this.closedFlag) this.events.message(this, e.data);
    }
  }

  private onSocketError(err: Error): void {
    this.events.error(this.mapError(err));
  }

  private onClose(): void {
    this.closedFlag = true;
    clearTimeout(this.idleTimer);
    this.events.closed(this);
  }

  /** Who ended it: known once closed. */
  get closedBy(): 'peer' | 'local' {
    return this.closedLocally ? 'local' : 'peer';
  }

  private onIdle(): void {
    if (this.closedFlag) return;
    // RFC 5626 flows and open dialogs keep their connection (LOCAL-INFRA: Kamailio
    // dials back to a closed ephemeral port otherwise).
    if (this.holds > 0) this.idleTimer.refresh();
    else void this.close();
  }

  private mapError(err: Error): TransportError {
    const mapped = mapConnectError(err, { protocol: this.protocol, host: this.remote.address, port: this.remote.port, phase: 'established' });
    return new TransportError(mapped.code, `${mapped.message} [${this.id}]`, { cause: err, connectionId: this.id, remote: this.remote });
  }

  private closedError(why: string): TransportError {
    return new TransportError('closed', `${this.describe()}: ${why}`, { connectionId: this.id, remote: this.remote });
  }

  private describe(): string {
    return `${this.protocol} connection ${this.id} with ${this.remote.address}:${this.remote.port}`;
  }
}
