/** One event as a browser's EventSource dispatches it. */
export interface SseEvent {
  /** The last event id in force when it was dispatched (what EventSource would send as Last-Event-ID). */
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * An event-stream parser that follows the WHATWG rules EventSource applies
 * (lines ending in CR, LF or CRLF; `field: value` with one optional space;
 * comments; multi-line `data`; an event dispatched on a blank line and only
 * when it has data; an `id` with a NUL ignored), so what the specs see is what
 * a widget would see. Chunks may split lines and UTF-8 characters anywhere.
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private pendingCr = false;
  private data: string[] = [];
  private event: string | undefined;
  private lastId: string | undefined;
  /** The last `retry:` the server sent, in ms. */
  retryMs: number | undefined;
  comments = 0;

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  get lastEventId(): string | undefined {
    return this.lastId;
  }

  feed(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    // A CR at the end of the last chunk may be the first half of a CRLF.
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) return;
      if (m[0] === '\r' && m.index === this.buffer.length - 1) this.pendingCr = true;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onEvent({ id: this.lastId, event: this.event ?? 'message', data: this.data.join('\n') });
      this.data = [];
      this.event = undefined;
      return;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        // unknown fields are ignored, as EventSource does
        break;
    }
  }
}
