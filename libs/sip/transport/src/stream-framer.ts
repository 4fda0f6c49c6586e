/**
 * Splits a TCP/TLS byte stream into whole SIP messages (RFC 3261 §18.3): the
 * header section ends at the first CRLFCRLF and Content-Length, mandatory on
 * streams, says how many body bytes follow. The framer never parses more than
 * that; the message parser in sip-core does the rest.
 */

export type FramingErrorCode = 'missing-content-length' | 'bad-content-length' | 'headers-too-large' | 'body-too-large' | 'buffer-overflow';

/** Why a stream can no longer be framed; the connection must be closed after it. */
export class FramingError extends Error {
  override readonly name = 'FramingError';
  constructor(
    readonly code: FramingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface FramerLimits {
  /** Start line + headers + the blank line. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Content-Length above this is refused before any body byte is buffered. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Bytes kept between pushes (an incomplete message). Default maxHeaderBytes + maxBodyBytes. */
  maxBufferedBytes?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** One whole message, or an RFC 5626 §4.4.1 keep-alive ping (a double CRLF) that wants a CRLF pong. */
export type FrameEvent = { kind: 'message'; data: Buffer } | { kind: 'ping' };

const CR = 0x0d;
const LF = 0x0a;
const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
// RFC 3261 §25.1 token characters, for header names.
const HEADER_LINE = /^([A-Za-z0-9!%*_+`'~.-]+)[ \t]*:([\s\S]*)$/;

export class StreamFramer {
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private readonly maxBufferedBytes: number;
  /** Bytes not yet framed live in store[start, end): appends are amortised O(1), so a peer dribbling one byte per segment costs no quadratic copying. */
  private store: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** Where the CRLFCRLF search resumes (relative to start), so a slowly arriving header is scanned once. */
  private scanFrom = 0;
  /** Header + body length of the message being received, once its headers are complete. */
  private messageLength = -1;
  private failure: FramingError | undefined;

  constructor(limits: FramerLimits = {}) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxBufferedBytes = limits.maxBufferedBytes ?? this.maxHeaderBytes + this.maxBodyBytes;
  }

  /** Bytes held for an incomplete message. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /**
   * Adds bytes and returns what they completed. Throws a FramingError when the
   * stream breaks a rule or a limit; after that every push throws the same error.
   */
  push(chunk: Buffer): FrameEvent[] {
    if (this.failure) throw this.failure;
    this.append(chunk);
    const events: FrameEvent[] = [];
    // Each turn either completes a message (consuming bytes) or stops: bounded by the buffer.
    for (;;) {
      if (this.messageLength < 0) {
        if (this.scanFrom === 0) this.skipLeadingCrlf(events);
        if (this.bufferedBytes === 0 || !this.findHeaderEnd()) break;
      }
      if (this.bufferedBytes < this.messageLength) break;
      // A copy: the store is reused for the next bytes.
      events.push({ kind: 'message', data: Buffer.from(this.pending().subarray(0, this.messageLength)) });
      this.consume(this.messageLength);
      this.messageLength = -1;
      this.scanFrom = 0;
    }
    if (this.bufferedBytes > this.maxBufferedBytes) {
      this.fail('buffer-overflow', `${this.bufferedBytes} bytes buffered for one message, limit ${this.maxBufferedBytes}`);
    }
    return events;
  }

  private pending(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  private append(chunk: Buffer): void {
    const held = this.end - this.start;
    if (this.end + chunk.length > this.store.length) {
      if (held + chunk.length <= this.store.length) {
        this.store.copy(this.store, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(held + chunk.length, this.store.length * 2, 4096));
        this.store.copy(next, 0, this.start, this.end);
        this.store = next;
      }
      this.start = 0;
      this.end = held;
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }

  private consume(n: number): void {
    this.start += n;
    if (this.start === this.end) {
      // Idle connections give back a store that a large message grew.
      if (this.store.length > 4 * 4096) this.store = EMPTY;
      this.start = this.end = 0;
    }
  }

  /**
   * RFC 3261 §7.5: CRLFs before a start line are ignored. A double CRLF there is an
   * RFC 5626 §4.4.1 ping; a single one a pong. A trailing lone CRLF (or CR) stays
   * buffered until the next byte says which it is.
   */
  private skipLeadingCrlf(events: FrameEvent[]): void {
    const b = this.pending();
    let i = 0;
    while (i + 1 < b.length && b[i] === CR && b[i + 1] === LF) {
      if (i + 3 < b.length) {
        if (b[i + 2] === CR && b[i + 3] === LF) {
          events.push({ kind: 'ping' });
          i += 4;
        } else i += 2;
      } else if (i + 2 < b.length && b[i + 2] !== CR) i += 2;
      else break;
    }
    if (i > 0) this.consume(i);
  }

  /** Sets messageLength once the header section is complete; false while it is not. */
  private findHeaderEnd(): boolean {
    const b = this.pending();
    const end = b.indexOf(HEADER_END, this.scanFrom);
    if (end < 0) {
      if (b.length > this.maxHeaderBytes) {
        this.fail('headers-too-large', `no end of headers within ${this.maxHeaderBytes} bytes`);
      }
      this.scanFrom = Math.max(0, b.length - (HEADER_END.length - 1));
      return false;
    }
    const headerBytes = end + HEADER_END.length;
    if (headerBytes > this.maxHeaderBytes) {
      this.fail('headers-too-large', `header section of ${headerBytes} bytes, limit ${this.maxHeaderBytes}`);
    }
    const bodyBytes = this.contentLength(b.subarray(0, end).toString('latin1'));
    if (bodyBytes > this.maxBodyBytes) {
      this.fail('body-too-large', `Content-Length ${bodyBytes}, limit ${this.maxBodyBytes}`);
    }
    this.messageLength = headerBytes + bodyBytes;
    return true;
  }

  /** Content-Length or compact `l` (RFC 3261 §20.14, §7.3.3), folded lines joined (§7.3.1). */
  private contentLength(headerSection: string): number {
    const lines = headerSection.split('\r\n').slice(1);
    const values: string[] = [];
    let current: string | undefined;
    const take = (line: string | undefined) => {
      const m = line === undefined ? null : HEADER_LINE.exec(line);
      const name = m?.[1]?.toLowerCase();
      if (m && (name === 'content-length' || name === 'l')) values.push((m[2] ?? '').trim());
    };
    for (const line of lines) {
      if ((line.startsWith(' ') || line.startsWith('\t')) && current !== undefined) current += ' ' + line;
      else {
        take(current);
        current = line;
      }
    }
    take(current);
    if (values.length === 0) this.fail('missing-content-length', 'Content-Length is mandatory on stream transports (RFC 3261 §18.3)');
    const distinct = new Set(values);
    const [value = ''] = distinct;
    if (distinct.size > 1) this.fail('bad-content-length', `conflicting Content-Length values ${[...distinct].join(', ')}`);
    if (!/^\d{1,10}$/.test(value)) this.fail('bad-content-length', `malformed Content-Length ${JSON.stringify(value.slice(0, 40))}`);
    return Number(value);
  }

  private fail(code: FramingErrorCode, message: string): never {
    this.failure = new FramingError(code, message);
    this.store = EMPTY;
    this.start = this.end = 0;
    throw this.failure;
  }
}
