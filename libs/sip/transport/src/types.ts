import type { SecureVersion } from 'node:tls';
import type { FramerLimits } from './stream-framer';
import type { TransportError } from './errors';

export type TransportProtocol = 'udp' | 'tcp' | 'tls';

export interface Endpoint {
  address: string;
  port: number;
}

/** What the TLS peer's certificate says, for the application to authorise the peer. */
export interface TlsPeerInfo {
  /** RFC 4514 string, most specific RDN first, e.g. "CN=src.example.com,O=Carrier". */
  subject: string;
  subjectCN?: string;
  issuer: string;
  issuerCN?: string;
  /** subjectAltName entries as OpenSSL prints them: "DNS:src.example.com", "URI:sip:…", "IP Address:…". */
  san?: string[];
  /** SHA-256 fingerprint, colon-separated upper-case hex. */
  fingerprint256: string;
  /** The certificate chains to one of our CAs (and, for a server, matched the name we dialled). */
  verified: boolean;
  /** OpenSSL's reason when `verified` is false, e.g. "UNABLE_TO_VERIFY_LEAF_SIGNATURE". */
  verifyError?: string;
}

/** One whole SIP message as it arrived; the bytes are not parsed here. */
export interface InboundMessage {
  data: Buffer;
  protocol: TransportProtocol;
  remote: Endpoint;
  local: Endpoint;
  /** Stream connections only: pass it back in SendTarget to answer on the same connection (RFC 3261 §18.2.2). */
  connectionId?: string;
  /** TLS only, when the peer presented a certificate. */
  tlsPeer?: TlsPeerInfo;
}

export interface ListenSpec {
  protocol: TransportProtocol;
  /** Address to bind, e.g. "127.0.0.1" or "::1". */
  host: string;
  /** 0 picks a free port; the bound one is in the result. */
  port: number;
}

export interface BoundListener {
  protocol: TransportProtocol;
  address: string;
  port: number;
  family: 4 | 6;
}

export interface SendTarget {
  protocol: TransportProtocol;
  /** Host name or IP literal (IPv6 without brackets). Names are resolved with A/AAAA (getaddrinfo, honours /etc/hosts). */
  host: string;
  port: number;
  /**
   * TLS: the name the server certificate must carry (checked with tls.checkServerIdentity,
   * never against the resolved address) and the SNI. Defaults to `host`; an IP literal is
   * checked against the certificate's IP SANs and sent without SNI (RFC 6066 §3).
   */
  serverName?: string;
  /** Stream connection to reuse (e.g. the one a request came in on); falls back to host/port when it has closed. */
  connectionId?: string;
  /** TLS: key into `tlsClient.identities`; defaults to `tlsClient.defaultIdentity`. */
  clientIdentity?: string;
}

export interface SendResult {
  /** The stream connection used (stream protocols only). */
  connectionId?: string;
  local: Endpoint;
}

export interface ConnectionInfo {
  id: string;
  protocol: 'tcp' | 'tls';
  direction: 'inbound' | 'outbound';
  local: Endpoint;
  remote: Endpoint;
  /** Outstanding holds (see TransportLayer.holdConnection). */
  holds: number;
  tlsPeer?: TlsPeerInfo;
}

/** A stream connection that has closed, and who closed it. */
export interface ConnectionClosed {
  id: string;
  protocol: 'tcp' | 'tls';
  direction: 'inbound' | 'outbound';
  local: Endpoint;
  remote: Endpoint;
  /** `peer`: the other side ended it, or it failed (reset, broken pipe, framing); `local`: we closed it (idle, closeConnection, shutdown). */
  closedBy: 'peer' | 'local';
}

type Pem = string | Buffer;

export interface TlsServerOptions {
  cert: Pem;
  key: Pem;
  passphrase?: string;
  /** CAs that client certificates must chain to (Node's default roots when absent). */
  ca?: Pem | Pem[];
  /** Ask clients for a certificate. Default false. */
  requestCert?: boolean;
  /** With requestCert: close connections whose certificate is missing or unverified. Default true. */
  rejectUnauthorized?: boolean;
  /** Default 'TLSv1.2'. */
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /**
   * Admission after the handshake (and after the CA check when `requestCert`):
   * return a reason to refuse the client, `undefined` to admit it. A refused
   * client is reported as `tls-client-certificate-refused` with the reason and
   * its connection destroyed before any SIP is read (e.g. a certificate whose
   * subject is not registered, or an address outside the allowed network).
   */
  authorize?: (peer: TlsPeerInfo | undefined, remote: Endpoint) => string | undefined;
}

export interface TlsClientIdentity {
  cert: Pem;
  key: Pem;
  passphrase?: string;
}

export interface TlsClientOptions {
  /** CAs the server certificate must chain to (Node's default roots when absent). */
  ca?: Pem | Pem[];
  /** Client certificates for mutual TLS, by id (SendTarget.clientIdentity). */
  identities?: Record<string, TlsClientIdentity>;
  /** Identity used when a target names none; without it such connections present no certificate. */
  defaultIdentity?: string;
  /** Default 'TLSv1.2'. */
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /**
   * TLS 1.3 only: after the handshake, how long at most to wait for the server's
   * verdict on our certificate (its session ticket, data, or an alert). Default:
   * the handshake's own duration, between 25 ms and 2 s.
   */
  postHandshakeWaitMs?: number;
}

/** A host name lookup returning one address; injectable for tests. */
export type LookupFn = (host: string) => Promise<{ address: string; family: 4 | 6 }>;

export interface TransportLayerOptions {
  /** Needed to listen on TLS. */
  tlsServer?: TlsServerOptions;
  /** Settings for outgoing TLS connections. */
  tlsClient?: TlsClientOptions;
  /** TCP connect + TLS handshake (+ name lookup). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** A stream connection without traffic and without holds is closed after this. Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** Stream framing limits (defaults 16 KiB headers, 64 KiB body). */
  limits?: FramerLimits;
  /** Largest UDP datagram sent or accepted. Default 65 507 (the IPv4 maximum). */
  maxDatagramBytes?: number;
  /** Source address for outgoing TCP/TLS connections and for UDP when no UDP listener matches. */
  localAddress?: string;
  /** How long close() lets connections end politely before destroying them. Default 1000 ms. */
  closeTimeoutMs?: number;
  /** Name lookup (default: dns.promises.lookup, i.e. /etc/hosts then DNS). */
  lookup?: LookupFn;
}

export type MessageHandler = (message: InboundMessage) => void;
export type ErrorHandler = (error: TransportError) => void;

export type { FramerLimits };
