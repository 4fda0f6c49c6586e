import ipaddr from 'ipaddr.js';
import type { Registration } from '../state/registrations';
import { dnMatches } from './dn';

/** What the TLS layer knows of a client: its certificate (RFC 4514 subject/issuer) and address. */
export interface PeerIdentity {
  subject: string;
  subjectCN?: string;
  issuer: string;
  issuerCN?: string;
  address: string;
}

export type Admission =
  | { ok: true; registrations: Registration[] }
  | { ok: false; rule: 'tls-registered-certificate' | 'tls-source-network'; reason: string };

/**
 * Is `address` inside `network`? `0.0.0.0` (and `0.0.0.0/0`, `::/0`) means
 * anywhere; otherwise an address (exact match, IPv4-mapped IPv6 compared as
 * IPv4) or a CIDR. Returns undefined when `network` does not parse.
 */
export function inNetwork(address: string, network: string): boolean | undefined {
  const net = network.trim();
  if (net === '0.0.0.0' || net === '0.0.0.0/0' || net === '::/0' || net === '*') return true;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(address);
  } catch {
    return false;
  }
  try {
    if (net.includes('/')) {
      const [range, bits] = ipaddr.parseCIDR(net);
      const a = range.kind() === 'ipv6' && addr.kind() === 'ipv4' ? (addr as ipaddr.IPv4).toIPv4MappedAddress() : addr;
      if (a.kind() !== range.kind()) return false;
      return a.match([range, bits] as [typeof a, number]);
    }
    const one = ipaddr.process(net);
    return one.kind() === addr.kind() && one.toNormalizedString() === addr.toNormalizedString();
  } catch {
    return undefined;
  }
}

/**
 * The registrations a TLS client may act for: certificate subject and issuer
 * match (dn.ts), and the address is inside the registration's SourceIPNetwork.
 * The first failing step is the reason: no registration names this
 * certificate, or the certificate is registered but not from this address.
 */
export function admit(peer: PeerIdentity | undefined, registrations: readonly Registration[]): Admission {
  if (!peer) return { ok: false, rule: 'tls-registered-certificate', reason: 'the client presented no certificate' };
  const byCert = registrations.filter((r) => dnMatches(r.certificateSubjectName, peer.subject, peer.subjectCN) && dnMatches(r.certificateIssuer, peer.issuer, peer.issuerCN));
  if (byCert.length === 0) {
    return {
      ok: false,
      rule: 'tls-registered-certificate',
      reason: `no registered tenant has CertificateSubjectName/CertificateIssuer matching subject "${peer.subject}" issuer "${peer.issuer}" (${registrations.length} registration(s))`,
    };
  }
  const byNet = byCert.filter((r) => inNetwork(peer.address, r.sourceIpNetwork) === true);
  if (byNet.length === 0) {
    const nets = byCert.map((r) => `${r.tenantId}: ${r.sourceIpNetwork}`).join(', ');
    return { ok: false, rule: 'tls-source-network', reason: `address ${peer.address} is outside the SourceIPNetwork of every tenant registered for this certificate (${nets})` };
  }
  return { ok: true, registrations: byNet };
}
