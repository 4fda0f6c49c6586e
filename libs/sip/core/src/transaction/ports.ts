import type { SipMessage } from '../message/types';

/**
 * What the transaction and dialog layers need from the outside world. They are
 * kept small so that our own transport (libs/sip/transport) or another stack
 * (a drachtio-srf adapter) can implement them; sip-core does no I/O itself.
 */

export type SipProtocol = 'udp' | 'tcp' | 'tls';

/** An opaque handle returned by `Timers.setTimer`. */
export type TimerHandle = unknown;

/** Time and timers, injected so every timer of RFC 3261 §17 runs on a fake clock in tests. */
export interface Timers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Where a message goes: the next hop after RFC 3263 resolution (or the peer a response returns to). */
export interface Destination {
  protocol: SipProtocol;
  /** Host name or IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** A stream connection to reuse (RFC 3261 §18.2.2: responses go back on the connection the request came in on). */
  connectionId?: string;
  /** TLS: the name the server certificate must carry (SNI). */
  serverName?: string;
}

export interface Endpoint {
  address: string;
  port: number;
}

/** Where an inbound message came from. */
export interface InboundSource {
  protocol: SipProtocol;
  remote: Endpoint;
  local: Endpoint;
  connectionId?: string;
  /** TLS only: what the peer's certificate says, passed through untouched. */
  tlsPeer?: unknown;
}

/**
 * Sends one message. A synchronous throw or a rejected promise is a transport
 * error: the transaction reports it to its TU (RFC 3261 §17.1.4, §17.2.4; RFC 6026).
 */
export interface MessageSink {
  send(msg: SipMessage, dest: Destination): void | Promise<void>;
}

/** The sent-by of the Via we add to requests we originate (RFC 3261 §18.1.1). */
export type ViaSentBy = (dest: Destination) => { host: string; port?: number };

export const isReliable = (protocol: SipProtocol): boolean => protocol !== 'udp';
