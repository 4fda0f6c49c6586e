import { waitFor } from '@ci-connector/platform-testing';

/** One event as a browser's EventSource would dispatch it. */
export interface ReceivedEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * An event-stream reader over Node's fetch, parsing the stream the way the
 * WHATWG EventSource does (fields, multi-line data, comments, `retry`), so the
 * tests see what a widget would. It never reconnects by itself: the tests do,
 * with the Last-Event-ID they choose.
 */
export class SseTestClient {
  readonly events: ReceivedEvent[] = [];
  readonly comments: string[] = [];
  retryMs: number | undefined;
  ended = false;
  private buffer = '';
  private current: { id?: string; event?: string; data: string[] } = { data: [] };
  private lastId: string | undefined;
  readonly done: Promise<void>;

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    body: ReadableStream<Uint8Array> | null,
    private readonly abort: AbortController,
  ) {
    this.done = body ? this.read(body) : Promise.resolve();
  }

  /** Opens the stream; resolves once the response head arrived (any status: see `status`, and `text()` for an error body). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseTestClient & { errorBody?: string }> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      const c = new SseTestClient(res.status, res.headers, null, abort) as SseTestClient & { errorBody?: string };
      c.errorBody = await res.text();
      return c;
    }
    return new SseTestClient(res.status, res.headers, res.body, abort);
  }

  /** The id of the last event received (what an EventSource sends as Last-Event-ID on reconnecting). */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  close(): void {
    this.abort.abort();
  }

  async waitForEvents(n: number, timeoutMs = 20_000): Promise<ReceivedEvent[]> {
    await waitFor(`${n} events on the stream (have ${this.events.length})`, () => this.events.length >= n, timeoutMs, 20);
    return this.events;
  }

  async waitForEnd(timeoutMs = 20_000): Promise<void> {
    await waitFor('the stream to end', () => this.ended, timeoutMs, 20);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    const reader = body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted by close(), or the connection dropped: either way the stream is over
    } finally {
      this.ended = true;
    }
  }

  private feed(text: string): void {
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.current.id !== undefined) this.lastId = this.current.id;
      if (this.current.data.length > 0) this.events.push({ id: this.lastId, event: this.current.event ?? 'message', data: this.current.data.join('\n') });
      this.current = { data: [] };
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.current.data.push(value);
    else if (field === 'event') this.current.event = value;
    else if (field === 'id' && !value.includes('\0')) this.current.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}
