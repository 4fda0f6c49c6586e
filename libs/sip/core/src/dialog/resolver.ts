import type { SipUri } from '../message/types';
import type { Destination, SipProtocol } from '../transaction/ports';

/**
 * Turns the next-hop URI of a request (the first Route, or the Request-URI)
 * into a destination (RFC 3263). The stack supplies one with DNS (NAPTR/SRV);
 * `literalResolver` covers URIs naming an address or a host with a port.
 */
export interface TargetResolver {
  resolve(uri: SipUri): Destination | Promise<Destination>;
}

/**
 * RFC 3263 §4.1/§4.2 without DNS: the transport param (or TLS for sips:), the
 * maddr or host, and the port or the default 5060/5061. Host names stay names
 * (the transport looks up A/AAAA).
 */
export const literalResolver: TargetResolver = {
  resolve(uri: SipUri): Destination {
    const param = uri.params['transport']?.toLowerCase();
    const protocol: SipProtocol = uri.scheme === 'sips' ? 'tls' : param === 'tcp' ? 'tcp' : param === 'tls' ? 'tls' : 'udp';
    const host = (uri.params['maddr'] ?? uri.host).replace(/^\[|\]$/g, '');
    return { protocol, host, port: uri.port ?? (protocol === 'tls' ? 5061 : 5060) };
  },
};
