/**
 * The SIP message model shared by the parser, the transaction and dialog layers
 * and the transports (RFC 3261 §7). Header values are kept as received (after
 * unfolding); typed views (Via, name-addr, CSeq, URI) are parsed on demand by the
 * functions in ./headers.ts and ./uri.ts.
 */

export type SipVersion = 'SIP/2.0';

/** One header line as it stands in the message: the full (non-compact) name as written, and its value. */
export interface HeaderField {
  /** The name as written, compact forms expanded (`v` → `Via`). */
  name: string;
  value: string;
}

/** Common to requests and responses. */
interface SipMessageBase {
  version: SipVersion;
  /** In wire order; repeated and comma-joined headers both allowed. */
  headers: Headers;
  /** Raw body bytes (Content-Length of them). */
  body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  /** Upper-case token as written (RFC 3261 method names are case-sensitive). */
  method: string;
  /** The Request-URI exactly as written. */
  uri: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * Ordered, case-insensitive header collection. `get` returns the first field's
 * value; `getAll` returns every value of that name, with comma-separated list
 * headers (Via, Route, Record-Route, Contact, Allow, Supported, Require, …)
 * split into one entry each, respecting quotes and angle brackets.
 */
export interface Headers extends Iterable<HeaderField> {
  get(name: string): string | undefined;
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Replaces every field of that name with one field. */
  set(name: string, value: string): void;
  /** Adds a field at the end (or first with `prepend`, as a proxy adds a Via). */
  append(name: string, value: string): void;
  prepend(name: string, value: string): void;
  delete(name: string): void;
  /** Deep copy. */
  clone(): Headers;
  readonly size: number;
}

export interface UriParams {
  [name: string]: string | null;
}

/** sip:, sips: or tel: URI (RFC 3261 §19.1, RFC 3966). Names of params lower-cased; values as written. */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  user?: string;
  password?: string;
  /** Host name, IPv4, or IPv6 reference *with* brackets (`[2001:db8::1]`); for tel: the number. */
  host: string;
  port?: number;
  params: UriParams;
  headers: Record<string, string>;
}

/** name-addr / addr-spec with header params (From, To, Contact, Route, …). */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  /** Header parameters after the URI (tag, expires, q, +sip.src, lr on Route …). Names lower-cased. */
  params: UriParams;
}

export interface Via {
  /** `SIP/2.0` */
  protocol: string;
  /** Upper-cased: UDP, TCP, TLS, SCTP, WS, WSS. */
  transport: string;
  host: string;
  port?: number;
  /** branch, received, rport (null when present without value), maddr, ttl, … */
  params: UriParams;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** A typed parse failure: never anything else escapes the parser. */
export class SipParseError extends Error {
  constructor(
    /** A stable machine-readable code, e.g. `bad-start-line`, `missing-header`, `content-length-mismatch`. */
    readonly code: string,
    message: string,
    /** When the start line was a request and enough was read to answer it: 400 can be sent. */
    readonly request?: { method: string; headers: Headers },
  ) {
    super(message);
    this.name = 'SipParseError';
  }
}
