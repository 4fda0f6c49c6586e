import type { PeerCertificate } from 'node:tls';
import { TransportError, type TransportErrorCode } from './errors';
import type { TransportProtocol } from './types';

/** Where an outgoing connection was when it failed. */
export type ConnectPhase = 'lookup' | 'connect' | 'handshake' | 'post-handshake' | 'established';

export interface ConnectContext {
  protocol: TransportProtocol;
  host: string;
  port: number;
  /** Resolved address, when lookup got that far. */
  address?: string;
  /** TLS: the name the server certificate was checked against. */
  serverName?: string;
  /** TLS: whether we presented a client certificate. */
  sentClientCert?: boolean;
  phase: ConnectPhase;
}

// OpenSSL X509_V_ERR_* names as Node reports them for the server's certificate.
const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

// TLS alerts (RFC 8446 §6.2) a server sends when it does not accept our certificate.
const CERT_ALERT = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_[A-Z_]+|ACCESS_DENIED)$/;

const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_SOCKET_CLOSED']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN', 'ENETDOWN']);
const LOOKUP = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA']);

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]?.trim() ?? '' : String(err);
}

export function describeTarget(ctx: ConnectContext): string {
  const addr = ctx.address && ctx.address !== ctx.host ? ` (${ctx.address})` : '';
  return `${ctx.protocol}:${ctx.host}:${ctx.port}${addr}`;
}

/** The names a certificate is valid for, for error messages. */
export function certificateNames(cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'> | undefined): string {
  if (!cert) return 'no certificate';
  const cn = cert.subject?.CN;
  const parts = [cert.subjectaltname ? `SAN ${cert.subjectaltname}` : 'no SAN', cn ? `CN=${String(cn)}` : undefined];
  return parts.filter(Boolean).join(', ');
}

/** Maps a socket, DNS or OpenSSL error met while connecting or writing to a typed TransportError. */
export function mapConnectError(err: unknown, ctx: ConnectContext): TransportError {
  if (err instanceof TransportError) return err;
  const code = errorCode(err);
  const where = describeTarget(ctx);
  const typed = (c: TransportErrorCode, message: string) => new TransportError(c, message, { cause: err, remote: { address: ctx.address ?? ctx.host, port: ctx.port } });

  if (LOOKUP.has(code)) return typed('resolve-failed', `cannot resolve ${ctx.host}: ${code}`);
  if (code === 'ECONNREFUSED') return typed('connect-refused', `${where} refused the connection`);
  if (code === 'ETIMEDOUT') return typed('connect-timeout', `${where} did not answer in time`);
  if (UNREACHABLE.has(code)) return typed('unreachable', `${where} is unreachable (${code})`);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const cert = (err as { cert?: PeerCertificate }).cert;
    return typed('tls-hostname-mismatch', `${where}: server certificate does not match the expected name ${JSON.stringify(ctx.serverName ?? ctx.host)}; the certificate names ${certificateNames(cert)}`);
  }
  if (UNTRUSTED.has(code)) return typed('tls-untrusted-certificate', `${where}: server certificate not trusted (${code}: ${errorText(err)})`);
  const alert = CERT_ALERT.exec(code);
  if (alert) {
    const reason = alert[1]?.toLowerCase() ?? 'certificate';
    const hint = ctx.sentClientCert ? 'refused our client certificate' : 'wants a client certificate and we sent none';
    return typed('tls-peer-rejected-certificate', `${where}: the server ${hint} (TLS alert ${reason})`);
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return typed('tls-handshake', `${where}: TLS handshake failed (${code}: ${errorText(err)})`);
  if (CLOSED.has(code) || code === '') {
    if (ctx.protocol === 'tls' && (ctx.phase === 'handshake' || ctx.phase === 'post-handshake')) {
      // Node's own TLS servers refuse a client certificate by closing without an alert.
      const hint = ctx.sentClientCert ? ' (it may have refused our client certificate)' : '';
      return typed('tls-handshake', `${where} closed the connection during the TLS handshake${hint}: ${code || errorText(err)}`);
    }
    return typed('closed', `${where}: connection closed (${code || errorText(err)})`);
  }
  return typed('socket', `${where}: ${code ? `${code}: ` : ''}${errorText(err)}`);
}
