import { SiprecError } from './errors';
import type { RandomBytes } from './ports';

/**
 * One call id end to end (ARCHITECTURE.md): the SIPREC session's Call-ID is
 * the dialer's call id when the call leg carries it in the configured header,
 * else one we mint (and publish, so dialer events can be rewritten to it).
 *
 * The dialer's value is used when the header is present exactly once (or
 * repeated with the same value) and, trimmed, is a valid SIP Call-ID
 * (RFC 3261 §25.1: `word ["@" word]`) of at most CALL_ID_MAX_LENGTH
 * characters. Otherwise a fresh id is minted: 32 lowercase hex characters
 * from 16 random bytes, the seed's form (`efab0870bc597cb3fb56010921e2f57f`).
 */
export const CALL_ID_MAX_LENGTH = 128;

/** RFC 3261 §25.1 `word`. */
const WORD = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+$/;

export type HeaderSource = { get(name: string): string | undefined; getAll?(name: string): string[] } | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface SiprecCallIdInput {
  /** The call leg's headers: a HeaderList (get/getAll) or a plain record (names compared case-insensitively). */
  headers: HeaderSource;
  /** The header carrying the dialer's call id (e.g. `X-Dialer-Call-Id`); none configured: always mint. */
  dialerCallIdHeader?: string;
  random: RandomBytes;
}

export interface SiprecCallId {
  callId: string;
  source: 'dialer' | 'minted';
  /** Why the dialer's header was not used, when it was present. */
  rejected?: string;
}

/** Why `value` is not usable as a Call-ID, or undefined when it is. */
export function callIdProblem(value: string): string | undefined {
  if (value.length === 0) return 'it is empty';
  if (value.length > CALL_ID_MAX_LENGTH) return `it is ${value.length} characters long, more than ${CALL_ID_MAX_LENGTH}`;
  const parts = value.split('@');
  if (parts.length > 2) return 'it has more than one "@"';
  if (parts.some((p) => !WORD.test(p))) return 'it holds characters a SIP Call-ID cannot (RFC 3261 §25.1 word ["@" word])';
  return undefined;
}

function headerValues(headers: HeaderSource, name: string): string[] {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const h = headers as { get(name: string): string | undefined; getAll?(name: string): string[] };
    if (h.getAll) return h.getAll(name);
    const v = h.get(name);
    return v === undefined ? [] : [v];
  }
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (k.toLowerCase() !== want || v === undefined) continue;
    if (typeof v === 'string') out.push(v);
    else out.push(...v);
  }
  return out;
}

export function mintCallId(random: RandomBytes): string {
  const bytes = Buffer.from(random(16));
  if (bytes.length !== 16) throw new SiprecError('call-id-random', `the random source gave ${bytes.length} bytes, 16 wanted`);
  return bytes.toString('hex');
}

export function siprecCallId(input: SiprecCallIdInput): SiprecCallId {
  const name = input.dialerCallIdHeader?.trim();
  if (!name) return { callId: mintCallId(input.random), source: 'minted' };
  const values = [...new Set(headerValues(input.headers, name).map((v) => v.trim()))];
  if (values.length === 0) return { callId: mintCallId(input.random), source: 'minted' };
  let rejected: string | undefined;
  if (values.length > 1) rejected = `${name} appears ${values.length} times with different values`;
  else rejected = callIdProblem(values[0] ?? '');
  if (rejected === undefined) return { callId: values[0] ?? '', source: 'dialer' };
  return { callId: mintCallId(input.random), source: 'minted', rejected: rejected.startsWith(name) ? rejected : `${name}: ${rejected}` };
}
