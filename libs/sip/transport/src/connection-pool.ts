import type { StreamConnection } from './stream-connection';

/**
 * Open stream connections, found by id (a reply on the connection a request came
 * in on, RFC 3261 §18.2.2), by reuse key (outbound: protocol, host, port, server
 * name, client identity) and by peer address (inbound, for requests back to the
 * peer that connected to us). Concurrent sends to one key share one connect.
 */
export class ConnectionPool {
  private readonly byId = new Map<string, StreamConnection>();
  private readonly byKey = new Map<string, StreamConnection>();
  private readonly byPeer = new Map<string, StreamConnection>();
  private readonly connecting = new Map<string, Promise<StreamConnection>>();

  static peerKey(protocol: string, address: string, port: number): string {
    return `${protocol}|${address.toLowerCase()}|${port}`;
  }

  add(conn: StreamConnection, key?: string): void {
    this.byId.set(conn.id, conn);
    if (key !== undefined) {
      conn.key = key;
      this.byKey.set(key, conn);
    }
    if (conn.settings.direction === 'inbound') this.byPeer.set(ConnectionPool.peerKey(conn.protocol, conn.remote.address, conn.remote.port), conn);
  }

  remove(conn: StreamConnection): void {
    this.byId.delete(conn.id);
    if (conn.key !== undefined && this.byKey.get(conn.key) === conn) this.byKey.delete(conn.key);
    const peer = ConnectionPool.peerKey(conn.protocol, conn.remote.address, conn.remote.port);
    if (this.byPeer.get(peer) === conn) this.byPeer.delete(peer);
  }

  get(id: string): StreamConnection | undefined {
    return open(this.byId.get(id));
  }

  outbound(key: string): StreamConnection | undefined {
    return open(this.byKey.get(key));
  }

  inbound(protocol: string, address: string, port: number): StreamConnection | undefined {
    return open(this.byPeer.get(ConnectionPool.peerKey(protocol, address, port)));
  }

  /** The open connection for `key`, the one being opened for it, or a new one from `connect`. */
  getOrConnect(key: string, connect: () => Promise<StreamConnection>): Promise<StreamConnection> {
    const existing = this.outbound(key);
    if (existing) return Promise.resolve(existing);
    let pending = this.connecting.get(key);
    if (!pending) {
      pending = connect().finally(() => this.connecting.delete(key));
      this.connecting.set(key, pending);
    }
    return pending;
  }

  all(): StreamConnection[] {
    return [...this.byId.values()];
  }
}

function open(conn: StreamConnection | undefined): StreamConnection | undefined {
  return conn?.isOpen ? conn : undefined;
}
