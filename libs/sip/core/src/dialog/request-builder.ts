import { EMPTY_BODY } from '../message/build';
import { HeaderList } from '../message/headers';
import { parseNameAddr } from '../message/header-values';
import { formatUri, parseUri } from '../message/uri';
import type { SipRequest } from '../message/types';
import type { DialogData } from './dialog-data';
import { uriOfNameAddr } from './messages';

/** Methods whose requests carry a Contact and refresh the remote target (RFC 3261 §12.2, RFC 3311 §5.1, RFC 6665, RFC 3515). */
export const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export interface BuiltRequest {
  request: SipRequest;
  /** The URI whose resolution gives the next hop: the first Route, or the Request-URI. */
  nextHop: string;
}

/**
 * A request within a dialog (RFC 3261 §12.2.1.1): To, From, Call-ID from the
 * dialog; the Request-URI is the remote target and the route set becomes the
 * Route headers when its first entry has `lr` (loose routing); otherwise
 * (strict routing) the first route becomes the Request-URI and the remote
 * target the last Route. No Via: the transaction layer adds it.
 */
export function buildInDialogRequest(d: DialogData, method: string, cseq: number, contact?: string): BuiltRequest {
  const headers = new HeaderList();
  let uri = d.remoteTarget;
  let routes = d.routeSet;
  let nextHop = d.remoteTarget;
  const first = d.routeSet[0];
  if (first !== undefined) {
    const firstUri = uriOfNameAddr(first) ?? first;
    if (isLooseRoute(first)) {
      nextHop = firstUri;
    } else {
      uri = stripForRequestUri(firstUri);
      routes = [...d.routeSet.slice(1), `<${d.remoteTarget}>`];
      nextHop = uri;
    }
  }
  for (const route of routes) headers.append('Route', route);
  headers.append('Max-Forwards', '70');
  headers.append('From', d.localParty);
  headers.append('To', d.remoteParty);
  headers.append('Call-ID', d.callId);
  headers.append('CSeq', `${cseq} ${method}`);
  if (contact !== undefined && TARGET_REFRESH.has(method)) headers.append('Contact', contact);
  headers.append('Content-Length', '0');
  return { request: { kind: 'request', version: 'SIP/2.0', method, uri, headers, body: EMPTY_BODY }, nextHop };
}

/**
 * The ACK for a 2xx (RFC 3261 §13.2.2.4): built like any request in the dialog,
 * with the INVITE's CSeq number, a new branch, and the INVITE's credentials.
 */
export function buildAck2xx(d: DialogData, invite: SipRequest): BuiltRequest {
  const cseq = Number(invite.headers.get('CSeq')?.trim().split(/\s+/)[0] ?? 0);
  const built = buildInDialogRequest(d, 'ACK', cseq);
  for (const name of ['Authorization', 'Proxy-Authorization']) {
    for (const value of invite.headers.getAll(name)) built.request.headers.append(name, value);
  }
  return built;
}

function isLooseRoute(route: string): boolean {
  try {
    const na = parseNameAddr(route);
    return 'lr' in na.uri.params;
  } catch {
    return true;
  }
}

/** §12.2.1.1: a strict-routing Request-URI without parameters not allowed there (the header part, §19.1.1). */
function stripForRequestUri(uri: string): string {
  try {
    const parsed = parseUri(uri);
    if (Object.keys(parsed.headers).length === 0) return uri;
    return formatUri({ ...parsed, headers: {} });
  } catch {
    return uri;
  }
}
