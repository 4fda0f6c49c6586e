import { SseParser, type SseEvent } from './sse-parser';

export interface SseStreamOptions {
  /** Reconnect when the stream ends, with Last-Event-ID, as EventSource does (default true). */
  reconnect?: boolean;
  /** Delay before a reconnect (default 200 ms). */
  retryMs?: number;
  onEvent?: (e: SseEvent) => void;
}

/**
 * A widget's event stream read from Node (no browser): GET with
 * `Accept: text/event-stream`, parsed by SseParser; when the stream ends it
 * reconnects after `retryMs` with the last event id in `Last-Event-ID`, as a
 * browser's EventSource would. `close()` stops it for good.
 */
export class SseStream {
  readonly events: SseEvent[] = [];
  /** Every response status it got (200 per connection). */
  readonly statuses: number[] = [];
  connections = 0;
  lastError: string | undefined;
  private closed = false;
  private abort: AbortController | undefined;
  private lastId: string | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string> = {},
    private readonly opts: SseStreamOptions = {},
  ) {
    this.loop = this.run();
  }

  /** Resolves once the first connection answered (any status). */
  async opened(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.statuses.length === 0) {
      if (Date.now() > deadline) throw new Error(`no answer from ${this.url} within ${timeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.statuses[0] as number;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      this.abort = new AbortController();
      try {
        const res = await fetch(this.url, {
          headers: { accept: 'text/event-stream', ...this.headers, ...(this.lastId !== undefined ? { 'last-event-id': this.lastId } : {}) },
          signal: this.abort.signal,
        });
        this.statuses.push(res.status);
        if (res.status === 200 && res.body) {
          this.connections++;
          const parser = new SseParser((e) => {
            this.lastId = e.id;
            this.events.push(e);
            this.opts.onEvent?.(e);
          });
          for await (const chunk of res.body) parser.feed(chunk);
        } else {
          this.lastError = `HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`;
        }
      } catch (err) {
        if (!this.closed) this.lastError = err instanceof Error ? err.message : String(err);
      }
      if (this.closed || this.opts.reconnect === false) return;
      await new Promise((r) => setTimeout(r, this.opts.retryMs ?? 200));
    }
  }
}
