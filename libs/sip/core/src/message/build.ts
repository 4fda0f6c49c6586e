import { randomBytes } from 'node:crypto';
import { headerKey } from './header-names';
import { HeaderList } from './headers';
import type { SipRequest, SipResponse } from './types';

/** RFC 3261 §21 reason phrases, plus the ones SIPREC and session timers use. */
export const REASON_PHRASES: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 410: 'Gone', 413: 'Request Entity Too Large',
  414: 'Request-URI Too Long', 415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension',
  421: 'Extension Required', 422: 'Session Interval Too Small', 423: 'Interval Too Brief', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete',
  485: 'Ambiguous', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

/**
 * A Warning header value (RFC 3261 §20.43): `<code> <agent> "<text>"`, the text
 * cut to 200 characters of printable ASCII with `"` and backslash escaped (a
 * quoted-string, §25.1), so that it is safe whatever it quotes from the
 * request. Code 399 is "miscellaneous warning"; the 3xx codes of §20.43
 * (e.g. 305 Incompatible media format) describe SDP problems. The agent is a
 * host[:port] or a pseudonym; default `-`.
 */
export function warningValue(text: string, opts: { code?: number; agent?: string } = {}): string {
  const quoted = text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200).replace(/["\\]/g, '\\$&');
  return `${opts.code ?? 399} ${opts.agent ?? '-'} "${quoted}"`;
}

/**
 * Random bytes from a 4 KiB pool refilled by the CSPRNG: a branch, tag and
 * Call-ID per message each asked OpenSSL on their own before (~3 % of a
 * recorded call's CPU). The bytes are as random; they are handed out once.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;
export function pooledRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES) return randomBytes(n);
  if (poolOffset + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

/** A fresh RFC 3261 §8.1.1.7 branch: the magic cookie and 96 random bits. */
export function newBranch(): string {
  return `z9hG4bK${pooledRandomBytes(12).toString('base64url')}`;
}

/** A tag with 64 random bits (RFC 3261 §19.3 asks for at least 32). */
export function newTag(): string {
  return pooledRandomBytes(8).toString('hex');
}

/** A globally unique Call-ID (RFC 3261 §8.1.1.4): 128 random bits, optionally @host. */
export function newCallId(host?: string): string {
  const id = pooledRandomBytes(16).toString('hex');
  return host ? `${id}@${host}` : id;
}

/**
 * The body of a message without one, shared: `Buffer.alloc(0)` made two objects
 * (the view and its ArrayBuffer) for every ACK, CANCEL and response a call keeps.
 * Frozen and empty, so nothing can write to it; give a message a body by
 * replacing its `body`.
 */
export const EMPTY_BODY: Buffer = Object.freeze(Buffer.alloc(0)) as Buffer;

/**
 * A response to `req` (RFC 3261 §8.2.6.2): Via (all of them, in order), From,
 * To, Call-ID and CSeq copied; a To tag added when the request has none and the
 * status is above 100; Content-Length 0 unless a body is set later.
 */
export function createResponse(req: SipRequest, status: number, reason?: string, opts: { toTag?: string } = {}): SipResponse {
  const headers = new HeaderList();
  // The Via fields as received, not split at commas: a response to a request
  // whose Via does not parse (RFC 4475 §3.1.2.1) must still be formable.
  for (const f of req.headers) if (headerKey(f.name) === 'via') headers.append('Via', f.value);
  const from = req.headers.get('From');
  if (from !== undefined) headers.append('From', from);
  let to = req.headers.get('To');
  if (to !== undefined && status > 100 && !/;\s*tag\s*=/i.test(to.replace(/"(?:[^"\\]|\\.)*"/g, '').replace(/<[^<>]*>/g, ''))) {
    to = `${to};tag=${opts.toTag ?? newTag()}`;
  }
  if (to !== undefined) headers.append('To', to);
  const callId = req.headers.get('Call-ID');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = req.headers.get('CSeq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (status === 100) {
    const ts = req.headers.get('Timestamp');
    if (ts !== undefined) headers.append('Timestamp', ts); // §8.2.6.1
  }
  headers.append('Content-Length', '0');
  return { kind: 'response', version: 'SIP/2.0', status, reason: reason ?? REASON_PHRASES[status] ?? 'Unknown', headers, body: EMPTY_BODY };
}
