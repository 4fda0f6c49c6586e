import type { SipRequest, SipResponse } from '../message/types';
import { MAGIC_COOKIE, cseqOf, sentByOf, tagOf, topVia } from './message-info';

/**
 * Transaction keys. Client transactions are found by the branch of the top Via
 * and the CSeq method (RFC 3261 §17.1.3); server transactions by branch,
 * sent-by and method, ACK going to its INVITE (§17.2.3), or, for requests from
 * RFC 2543 elements whose branch lacks the magic cookie, by Request-URI, From
 * tag, Call-ID, CSeq number and the whole top Via (§17.2.3, last paragraphs).
 */

export function clientKey(branch: string, method: string): string {
  return `c\n${branch}\n${method}`;
}

/** The client transaction key a response belongs to, or undefined when it has no branch or CSeq. */
export function responseKey(res: SipResponse): string | undefined {
  const branch = topVia(res)?.params['branch'];
  const cseq = cseqOf(res);
  if (!branch || !cseq) return undefined;
  return clientKey(branch, cseq.method);
}

/** The server transaction key of a request as if its method were `asMethod` (ACK → INVITE, CANCEL → INVITE for the lookup). */
export function serverKey(req: SipRequest, asMethod: string = req.method === 'ACK' ? 'INVITE' : req.method): string | undefined {
  const via = topVia(req);
  if (!via) return undefined;
  const branch = via.params['branch'];
  if (branch?.startsWith(MAGIC_COOKIE)) return `s\n${branch}\n${sentByOf(via)}\n${asMethod}`;
  return rfc2543Key(req, asMethod);
}

/** True when the request came from an element that predates RFC 3261 branch rules. */
export function isRfc2543(req: SipRequest): boolean {
  return !topVia(req)?.params['branch']?.startsWith(MAGIC_COOKIE);
}

function rfc2543Key(req: SipRequest, asMethod: string): string | undefined {
  const cseq = cseqOf(req);
  const callId = req.headers.get('Call-ID');
  const via = req.headers.getAll('Via')[0];
  if (!cseq || callId === undefined || via === undefined) return undefined;
  // The To tag is left out: the INVITE has none, its ACK carries the response's (checked separately).
  return ['2543', req.uri, tagOf(req, 'From') ?? '', callId.trim(), cseq.seq, via.replace(/\s+/g, ''), asMethod].join('\n');
}

/** §8.2.2.2: requests without To tag that share From tag, Call-ID and CSeq with an ongoing transaction. */
export function mergeKey(req: SipRequest): string | undefined {
  if (tagOf(req, 'To') !== undefined) return undefined;
  const cseq = cseqOf(req);
  const callId = req.headers.get('Call-ID');
  if (!cseq || callId === undefined) return undefined;
  return [callId.trim(), tagOf(req, 'From') ?? '', cseq.seq, cseq.method].join('\n');
}
