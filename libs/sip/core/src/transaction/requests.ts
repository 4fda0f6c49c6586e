import { EMPTY_BODY } from '../message/build';
import { HeaderList } from '../message/headers';
import type { SipRequest, SipResponse } from '../message/types';
import { cseqOf } from './message-info';

/**
 * The ACK a client INVITE transaction sends for a 300–699 response (RFC 3261
 * §17.1.1.3): Request-URI, Call-ID, From and CSeq number of the INVITE, the To
 * of the response (with its tag), the INVITE's top Via only (same branch), its
 * Route headers, CSeq method ACK, no body.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new HeaderList();
  const via = invite.headers.getAll('Via')[0];
  if (via !== undefined) headers.append('Via', via);
  for (const route of invite.headers.getAll('Route')) headers.append('Route', route);
  headers.append('Max-Forwards', '70');
  copy(invite, headers, 'From');
  const to = response.headers.get('To') ?? invite.headers.get('To');
  if (to !== undefined) headers.append('To', to);
  copy(invite, headers, 'Call-ID');
  headers.append('CSeq', `${cseqOf(invite)?.seq ?? 0} ACK`);
  headers.append('Content-Length', '0');
  return { kind: 'request', version: 'SIP/2.0', method: 'ACK', uri: invite.uri, headers, body: EMPTY_BODY };
}

/**
 * A CANCEL for a pending request (RFC 3261 §9.1): Request-URI, Call-ID, To,
 * From and CSeq number as in the request, its top Via only (so the CANCEL
 * matches the same server transaction), its Route headers, CSeq method CANCEL.
 * `reason` becomes a Reason header (RFC 3326), e.g. `SIP;cause=487`.
 */
export function buildCancel(request: SipRequest, reason?: string): SipRequest {
  const headers = new HeaderList();
  const via = request.headers.getAll('Via')[0];
  if (via !== undefined) headers.append('Via', via);
  for (const route of request.headers.getAll('Route')) headers.append('Route', route);
  headers.append('Max-Forwards', '70');
  copy(request, headers, 'From');
  copy(request, headers, 'To');
  copy(request, headers, 'Call-ID');
  headers.append('CSeq', `${cseqOf(request)?.seq ?? 0} CANCEL`);
  if (reason !== undefined) headers.append('Reason', reason);
  headers.append('Content-Length', '0');
  return { kind: 'request', version: 'SIP/2.0', method: 'CANCEL', uri: request.uri, headers, body: EMPTY_BODY };
}

function copy(from: SipRequest, to: HeaderList, name: string): void {
  const value = from.headers.get(name);
  if (value !== undefined) to.append(name, value);
}
