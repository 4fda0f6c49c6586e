import { formatUri, parseUri, type SipUri } from '@ci-connector/sip';

/**
 * Where the B leg of a call goes (pure). In order:
 * 1. the tenant's `nextHop`: the B leg's Request-URI is the called user at the
 *    next hop (its host, port and transport), and the next hop is resolved;
 * 2. the default outbound proxy (`SIP_OUTBOUND_PROXY`): A's Request-URI is kept
 *    and the proxy is resolved (a loose-routing next hop);
 * 3. A's Request-URI itself, resolved by RFC 3263.
 */
export interface RouteChoice {
  /** The Request-URI of the B leg's INVITE. */
  requestUri: string;
  /** The URI to resolve (RFC 3263) into the next hop. */
  resolve: string;
  via: 'tenant-next-hop' | 'outbound-proxy' | 'request-uri';
}

export class RouteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

export function chooseRoute(aRequestUri: string, opts: { tenantNextHop?: string; outboundProxy?: string }): RouteChoice {
  let a: SipUri;
  try {
    a = parseUri(aRequestUri);
  } catch {
    throw new RouteError(416, `unsupported Request-URI ${JSON.stringify(aRequestUri)}`);
  }
  if (opts.tenantNextHop) {
    const hop = parseUri(opts.tenantNextHop);
    const user = a.scheme === 'tel' ? a.host : a.user;
    const b: SipUri = { scheme: hop.scheme === 'tel' ? 'sip' : hop.scheme, host: hop.host, params: { ...hop.params }, headers: {} };
    if (user !== undefined && user !== '') b.user = user;
    if (hop.port !== undefined) b.port = hop.port;
    return { requestUri: formatUri(b), resolve: opts.tenantNextHop, via: 'tenant-next-hop' };
  }
  if (opts.outboundProxy) return { requestUri: aRequestUri, resolve: opts.outboundProxy, via: 'outbound-proxy' };
  if (a.scheme === 'tel') throw new RouteError(404, 'a tel: Request-URI needs a tenant next hop or an outbound proxy');
  return { requestUri: aRequestUri, resolve: aRequestUri, via: 'request-uri' };
}

/** Whether a resolved next hop is one of our own listeners (a call to ourselves: a loop). */
export function isOwnListener(dest: { protocol: string; host: string; port: number }, listeners: { protocol: string; address: string; port: number }[], advertisedHost?: string): boolean {
  const host = dest.host.replace(/^\[|\]$/g, '');
  return listeners.some((l) => l.port === dest.port && (l.address === host || (advertisedHost !== undefined && advertisedHost === host) || (l.address === '0.0.0.0' && /^127\./.test(host))));
}
