import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { TlsPeerInfo } from './types';

/**
 * Node prints a distinguished name one RDN per line in certificate order, values
 * escaped per RFC 2253, multi-valued RDNs joined with " + ". RFC 4514 strings list
 * the RDNs the other way round, so "O=Carrier\nCN=src" becomes "CN=src,O=Carrier".
 */
export function rfc4514(nodeDn: string): string {
  return nodeDn
    .split('\n')
    .filter((rdn) => rdn.length > 0)
    .map((rdn) => rdn.replace(/ \+ /g, '+'))
    .reverse()
    .join(',');
}

/** The last CN of a Node-printed DN (the most specific one), unescaped. */
export function commonName(nodeDn: string): string | undefined {
  const cn = nodeDn
    .split('\n')
    .flatMap((rdn) => rdn.split(' + '))
    .filter((ava) => ava.startsWith('CN='))
    .pop();
  return cn === undefined ? undefined : cn.slice(3).replace(/\\(.)/g, '$1');
}

/**
 * Splits Node's subjectAltName text ("DNS:a, DNS:b, URI:sip:x") into entries.
 * Node quotes values holding a comma or quote as JSON strings, so a plain ", "
 * split would cut them.
 */
export function splitSubjectAltName(text: string): string[] {
  const out: string[] = [];
  const entry = /([A-Za-z][A-Za-z0-9 ]*):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  for (let guard = 0; entry.lastIndex < text.length && guard < 1000; guard++) {
    const m = entry.exec(text);
    if (!m) break;
    const [, kind = '', raw = ''] = m;
    out.push(`${kind}:${raw.startsWith('"') ? (JSON.parse(raw) as string) : raw}`);
  }
  return out;
}

export function describeCertificate(cert: X509Certificate, verified: boolean, verifyError?: string): TlsPeerInfo {
  const info: TlsPeerInfo = {
    subject: rfc4514(cert.subject),
    issuer: rfc4514(cert.issuer),
    fingerprint256: cert.fingerprint256,
    verified,
  };
  const subjectCN = commonName(cert.subject);
  const issuerCN = commonName(cert.issuer);
  if (subjectCN !== undefined) info.subjectCN = subjectCN;
  if (issuerCN !== undefined) info.issuerCN = issuerCN;
  if (cert.subjectAltName) info.san = splitSubjectAltName(cert.subjectAltName);
  if (verifyError) info.verifyError = verifyError;
  return info;
}

/** The peer's certificate on a connected TLS socket, or undefined when it sent none. */
export function tlsPeerOf(socket: TLSSocket): TlsPeerInfo | undefined {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return undefined;
  const err = socket.authorizationError as Error | string | null | undefined;
  const verifyError = err === null || err === undefined ? undefined : typeof err === 'string' ? err : ((err as { code?: string }).code ?? err.message);
  return describeCertificate(cert, socket.authorized, verifyError);
}
