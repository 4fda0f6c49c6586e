/** Every way a transport operation can fail; see the README for what each means. */
export type TransportErrorCode =
  | 'connect-refused'
  | 'connect-timeout'
  | 'unreachable'
  | 'resolve-failed'
  | 'tls-handshake'
  | 'tls-untrusted-certificate'
  | 'tls-hostname-mismatch'
  | 'tls-peer-rejected-certificate'
  | 'tls-client-certificate-refused'
  | 'closed'
  | 'write-failed'
  | 'too-large'
  | 'framing'
  | 'not-configured'
  | 'all-targets-failed'
  | 'handler-failed'
  | 'socket';

/** Codes where another attempt, later or at another target, can succeed without a configuration change. */
const RETRIABLE: ReadonlySet<TransportErrorCode> = new Set<TransportErrorCode>([
  'connect-refused',
  'connect-timeout',
  'unreachable',
  'resolve-failed',
  'tls-handshake',
  'closed',
  'write-failed',
  'socket',
]);

/**
 * Codes that say "this target did not take the message": RFC 3263 §4.3 moves on to
 * the next target for them. Certificate problems are included because another
 * server of the same service may carry a valid certificate.
 */
const TARGET_FAILURES: ReadonlySet<TransportErrorCode> = new Set<TransportErrorCode>([
  ...RETRIABLE,
  'tls-untrusted-certificate',
  'tls-hostname-mismatch',
  'tls-peer-rejected-certificate',
]);

export interface TransportErrorDetails {
  /** The OS / OpenSSL / framer error this one was mapped from. */
  cause?: unknown;
  /** Stream connection the error happened on, when there was one. */
  connectionId?: string;
  remote?: { address: string; port: number };
  /** For 'all-targets-failed': what each target answered, in the order tried. */
  errors?: unknown[];
}

/** A typed transport failure: `code` says what happened, `retriable` whether trying again can help. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly retriable: boolean;
  readonly connectionId?: string;
  readonly remote?: { address: string; port: number };
  readonly errors?: unknown[];

  constructor(
    readonly code: TransportErrorCode,
    message: string,
    details: TransportErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.retriable = RETRIABLE.has(code);
    if (details.connectionId !== undefined) this.connectionId = details.connectionId;
    if (details.remote !== undefined) this.remote = details.remote;
    if (details.errors !== undefined) this.errors = details.errors;
  }
}

/** True when RFC 3263 failover should try the next target after this error. */
export function isTargetFailure(err: unknown): boolean {
  return err instanceof TransportError && TARGET_FAILURES.has(err.code);
}
