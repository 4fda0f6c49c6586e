import type { ServerResponse } from 'node:http';
import type { StreamReader } from '../delivery/seller-streams';
import type { WidgetPrincipal } from '../http/widget-auth';
import { sseComment, sseEvent, sseRetry } from './sse-format';

export interface SseConnectionOptions {
  /** A comment line this often (proxies keep the connection; the client notices a dead one), and a read of the stream. */
  heartbeatMs: number;
  /** The EventSource reconnection delay sent to the client. */
  retryMs: number;
  /** Entries read from Redis at a time. */
  readBatch?: number;
}

interface ConnLogger {
  warn(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** Longest delay setTimeout takes (about 24.8 days). */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * One client's event stream: sends the seller's stream entries after its
 * cursor, in order, each once, and moves the cursor past what it wrote. Reads
 * are single-flight: a wake during a read makes one more read after it.
 * Memory stays bounded: after a write the socket did not take at once, nothing
 * more is read until it drains, and a client that does not drain within two
 * heartbeats is dropped (it resumes with its Last-Event-ID).
 */
export class SseConnection {
  sent = 0;
  private cursor = '0-0';
  private inclusive = false;
  private started = false;
  private closed = false;
  private pumping = false;
  private again = false;
  private failing = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;
  private readonly closers: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly who: WidgetPrincipal,
    private readonly streams: StreamReader,
    private readonly opts: SseConnectionOptions,
    private readonly logger: ConnLogger,
    private readonly onClose: (conn: SseConnection, why: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    res.on('close', () => this.close('client gone'));
    res.on('error', () => this.close('client gone'));
  }

  /** Sends the stream's head and starts reading from `cursor`. */
  begin(cursor: string, inclusive: boolean): void {
    if (this.closed) return;
    this.cursor = cursor;
    this.inclusive = inclusive;
    this.started = true;
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-store, no-transform',
      Connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    this.res.socket?.setNoDelay(true);
    // A stream opened without a resume id still gets one at once (an `id:` with no data sets EventSource's
    // last event id without firing an event): its own reconnect, even before the first event, resumes here.
    this.write(`${sseRetry(this.opts.retryMs)}${sseComment('connected')}${inclusive ? '' : `id: ${cursor}\n\n`}`);
    this.heartbeat = setInterval(() => {
      this.write(sseComment('heartbeat'));
      this.wake();
    }, this.opts.heartbeatMs);
    const left = this.who.expiresAt - this.now();
    this.expiry = setTimeout(() => this.close('token expired', 'widget token expired: reconnect with a new token'), Math.max(0, Math.min(left, MAX_TIMER)));
    this.wake();
  }

  /** Read what is new (called on a notification, on each heartbeat, and after a reconnect of the notifier). */
  wake(): void {
    if (this.closed || !this.started) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  /** Runs `fn` once the connection closes. */
  onClosed(fn: () => void): void {
    if (this.closed) fn();
    else this.closers.push(fn);
  }

  close(why: string, comment?: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.expiry);
    this.drained?.();
    if (comment && this.started && this.res.writable) this.res.write(sseComment(comment));
    if (this.started) this.res.end();
    for (const fn of this.closers.splice(0)) fn();
    this.onClose(this, why);
    this.logger.debug?.({ tenantId: this.who.tenantId, sellerId: this.who.sellerId, why, sent: this.sent }, 'event stream closed');
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    const batch = this.opts.readBatch ?? 100;
    try {
      do {
        this.again = false;
        for (;;) {
          const entries = await this.streams.read(this.who.tenantId, this.who.sellerId, this.cursor, batch, this.inclusive);
          if (this.closed) return;
          this.inclusive = false;
          for (const e of entries) {
            this.cursor = e.id;
            this.sent++;
            if (!this.write(sseEvent(e.id, e.event, e.data))) await this.drain();
            if (this.closed) return;
          }
          if (entries.length < batch) break;
        }
      } while (this.again && !this.closed);
      this.failing = false;
    } catch (err) {
      // Redis away: keep the connection; the next heartbeat reads again from the same cursor.
      if (!this.failing) this.logger.warn({ tenantId: this.who.tenantId, sellerId: this.who.sellerId, err: err instanceof Error ? err.message : String(err) }, 'cannot read the seller stream: retrying at the next heartbeat');
      this.failing = true;
    } finally {
      this.pumping = false;
    }
  }

  /** Writes; false when the client is behind and the caller should wait for `drain` before writing more. */
  private write(chunk: string): boolean {
    if (this.closed || !this.res.writable) return false;
    return this.res.write(chunk);
  }

  /** Waits for the client to read what is buffered; one that does not within two heartbeats is dropped (it resumes later). */
  private drain(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.close('slow client'), 2 * this.opts.heartbeatMs);
      const done = () => {
        clearTimeout(timer);
        this.res.off('drain', done);
        this.drained = undefined;
        resolve();
      };
      this.drained = done;
      this.res.once('drain', done);
    });
  }
}
