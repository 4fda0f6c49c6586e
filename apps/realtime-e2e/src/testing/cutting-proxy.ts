import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What the proxy saw of one client connection: the head of its HTTP request. */
export interface ProxiedConnection {
  /** The request line and headers (the first bytes the client sent, up to 8 KB). */
  head: string;
  at: number;
}

/**
 * A TCP proxy on 127.0.0.1 in front of one target, which the test can use to
 * cut every connection at once (both sockets destroyed: the client sees the
 * stream drop mid-way, not a clean end) and to refuse new connections for a
 * while (each accepted and destroyed at once).
 */
export class CuttingProxy {
  readonly connections: ProxiedConnection[] = [];
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get open(): number {
    return this.pairs.size;
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.port = (server.address() as { port: number }).port;
  }

  /** Destroys every connection now; with `refuseMs`, also every new one for that long. */
  cut(refuseMs = 0): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    if (refuseMs > 0) {
      this.refusing = true;
      setTimeout(() => (this.refusing = false), refuseMs).unref();
    }
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: this.target.host, port: this.target.port });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const record: ProxiedConnection = { head: '', at: Date.now() };
    this.connections.push(record);
    client.on('data', (d: Buffer) => {
      if (record.head.length < 8192 && !record.head.includes('\r\n\r\n')) record.head += d.toString('latin1').slice(0, 8192 - record.head.length);
    });
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
