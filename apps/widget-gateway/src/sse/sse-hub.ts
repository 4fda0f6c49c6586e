import type { ServerResponse } from 'node:http';
import type { StreamReader } from '../delivery/seller-streams';
import type { WidgetPrincipal } from '../http/widget-auth';
import { SseConnection, type SseConnectionOptions } from './sse-connection';
import { compareStreamIds } from './sse-format';
import type { StreamNotifier } from './stream-notifier';

export interface SseHubOptions extends SseConnectionOptions {
  /** Without a Last-Event-ID, replay the entries of this many ms back (0: only what comes next). */
  replayWindowMs: number;
  maxClients: number;
  /** A seller's connections beyond this close their oldest (a reloaded widget replaces its old connection). */
  maxClientsPerSeller: number;
}

export class SseUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'SseUnavailableError';
  }
}

interface HubLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/**
 * The SSE connections of this replica. Each connection reads its seller's
 * stream from its own cursor (the last entry id it sent), so a client resuming
 * with `Last-Event-ID` gets exactly the entries after it, whatever the other
 * connections do; the notifier only says when to read. Bounded: `maxClients`
 * in all (503 beyond), `maxClientsPerSeller` per seller, and a client that
 * does not read what is sent is dropped (it resumes).
 */
export class SseHub {
  private readonly connections = new Set<SseConnection>();
  private readonly bySeller = new Map<string, SseConnection[]>();
  private closing = false;
  private readonly counters = { opened: 0, replaced: 0, slowDropped: 0, expired: 0, sent: 0 };

  constructor(
    private readonly streams: StreamReader,
    private readonly notifier: StreamNotifier,
    private readonly opts: SseHubOptions,
    private readonly logger: HubLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts streaming to one client. Resolves once the response is an open
   * event stream; throws SseUnavailableError (before anything is sent) when the
   * hub is full, shutting down, or Redis cannot say where the stream stands.
   */
  async open(res: ServerResponse, who: WidgetPrincipal, lastEventId?: string): Promise<void> {
    if (this.closing) throw new SseUnavailableError('shutting down: reconnect (another replica will take the stream)', 1);
    if (this.connections.size >= this.opts.maxClients) throw new SseUnavailableError(`this replica serves its maximum of ${this.opts.maxClients} streams`, 5);
    const sellerKey = `${who.tenantId}/${who.sellerId}`;
    const channel = this.streams.keys.streamNotify(who.tenantId, who.sellerId);
    const conn = new SseConnection(res, who, this.streams, this.opts, this.logger, (c, why) => this.forget(c, sellerKey, why), this.now);
    this.connections.add(conn);
    const list = this.bySeller.get(sellerKey) ?? [];
    list.push(conn);
    this.bySeller.set(sellerKey, list);
    let unwatch: (() => void) | undefined;
    try {
      // Subscribed before the cursor is read: whatever is appended after the cursor wakes this connection.
      unwatch = await this.notifier.watch(channel, () => conn.wake());
      conn.onClosed(unwatch);
      const start = await this.startingPoint(who, lastEventId);
      if (this.closing) throw new SseUnavailableError('shutting down: reconnect (another replica will take the stream)', 1);
      if (res.destroyed) {
        conn.close('client gone');
        return;
      }
      conn.begin(start.cursor, start.inclusive);
    } catch (err) {
      unwatch?.();
      conn.close('not started');
      if (err instanceof SseUnavailableError) throw err;
      throw new SseUnavailableError(`cannot read the event stream now (${err instanceof Error ? err.message : String(err)})`, 2);
    }
    this.counters.opened++;
    while (list.length > this.opts.maxClientsPerSeller) {
      const oldest = list[0];
      if (!oldest || oldest === conn) break;
      this.counters.replaced++;
      oldest.close('replaced', 'replaced by a newer connection of this seller');
    }
  }

  /** Ends every stream (clients reconnect, to another replica) and refuses new ones. */
  close(): void {
    this.closing = true;
    for (const c of [...this.connections]) c.close('shutting down', 'server shutting down: reconnect');
  }

  get size(): number {
    return this.connections.size;
  }

  get stats() {
    return { clients: this.connections.size, sellers: this.bySeller.size, channels: this.notifier.channels, ...this.counters, closing: this.closing };
  }

  /** Where a new connection starts reading (exclusive cursor unless `inclusive`). */
  private async startingPoint(who: WidgetPrincipal, lastEventId?: string): Promise<{ cursor: string; inclusive: boolean }> {
    const last = await this.streams.lastId(who.tenantId, who.sellerId);
    if (lastEventId !== undefined) {
      // An id past the stream's end (Redis lost the stream, another stream's id) would hide every new entry: clamp it.
      if (last !== undefined && compareStreamIds(lastEventId, last) > 0) return { cursor: last, inclusive: false };
      if (last === undefined && compareStreamIds(lastEventId, `${this.now()}-0`) > 0) return { cursor: '0-0', inclusive: false };
      return { cursor: lastEventId, inclusive: false };
    }
    if (this.opts.replayWindowMs > 0) return { cursor: `${Math.max(0, this.now() - this.opts.replayWindowMs)}-0`, inclusive: true };
    return { cursor: last ?? '0-0', inclusive: false };
  }

  private forget(conn: SseConnection, sellerKey: string, why: string): void {
    if (!this.connections.delete(conn)) return;
    if (why === 'slow client') this.counters.slowDropped++;
    if (why === 'token expired') this.counters.expired++;
    this.counters.sent += conn.sent;
    const list = this.bySeller.get(sellerKey);
    if (list) {
      const i = list.indexOf(conn);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.bySeller.delete(sellerKey);
    }
  }
}
