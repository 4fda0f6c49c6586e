/**
 * SIP transport layer (RFC 3261 §18): UDP, TCP and TLS listeners and connections
 * that move whole SIP messages as bytes, plus RFC 3263 target selection. It never
 * parses a message beyond finding where it ends; sip-core does the parsing.
 */
export { createTransportLayer, type TransportLayer } from './transport-layer';
export { TransportError, isTargetFailure, type TransportErrorCode, type TransportErrorDetails } from './errors';
export { StreamFramer, FramingError, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES, type FrameEvent, type FramingErrorCode } from './stream-framer';
export { createSipResolver, orderSrvRecords, DEFAULT_PORTS, type SipResolver, type SipTargetInput, type ResolvedTarget, type ResolverDns, type ResolverOptions } from './resolver';
export { sendWithFailover, type FailoverResult, type FailoverAttempt, type FailoverOptions } from './failover';
export { isKeepAliveDatagram } from './udp-transport';
export type {
  TransportProtocol,
  Endpoint,
  TlsPeerInfo,
  InboundMessage,
  ListenSpec,
  BoundListener,
  SendTarget,
  SendResult,
  ConnectionInfo,
  ConnectionClosed,
  TlsServerOptions,
  TlsClientOptions,
  TlsClientIdentity,
  LookupFn,
  TransportLayerOptions,
  MessageHandler,
  ErrorHandler,
  FramerLimits,
} from './types';
