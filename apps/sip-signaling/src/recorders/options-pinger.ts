import { createSipStack, isSyntheticResponse, type Destination, type SipStack } from '@ci-connector/sip';
import type { PingOutcome, RecorderTarget } from '@ci-connector/siprec';

/** Sends one OPTIONS to a recorder and says how it went; never rejects. */
export type RecorderPinger = (target: RecorderTarget) => Promise<PingOutcome>;

export interface OptionsPingerOptions {
  /** The stack to send from: its TLS client identity must be the carrier's certificate (see createRecorderSipStack). */
  stack: Pick<SipStack, 'ua' | 'resolve'>;
  /** No final response within this = `timeout` (default 5 s; the transaction's own Timer F is 32 s). */
  timeoutMs?: number;
  /** From of the pings (default `<sip:SRC@ci-connector.invalid>`). */
  from?: string;
}

/**
 * OPTIONS pings over SIPS (RFC 3261 §11): the recorder's URI (`sip:SRS@host:5061;transport=tls`)
 * is resolved by RFC 3263 (`stack.resolve`; an IP literal is used as is) and the
 * first target is pinged over TLS with the stack's client certificate.
 * Any final response = `response` (the pool counts < 500 as up); a timeout or
 * the stack's synthetic 408 = `timeout`; a TLS/TCP failure (the stack's
 * synthetic 503, or no address) = `transport`.
 */
export function createOptionsPinger(opts: OptionsPingerOptions): RecorderPinger {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const from = opts.from ?? '<sip:SRC@ci-connector.invalid>';
  return async (target) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      let dest: Destination | undefined;
      try {
        [dest] = await opts.stack.resolve(target.uri);
      } catch (err) {
        return { kind: 'transport', message: `cannot resolve ${target.host}: ${err instanceof Error ? err.message : String(err)}` };
      }
      if (!dest) return { kind: 'transport', message: `no address for ${target.host}` };
      if (dest.protocol !== 'tls') return { kind: 'transport', message: `${target.uri} resolved to ${dest.protocol}, not TLS` };
      const sending = opts.stack.ua.request({ method: 'OPTIONS', uri: target.uri, dest, from, headers: [['Accept', 'application/sdp']] });
      sending.catch(() => undefined);
      const res = await Promise.race([
        sending,
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        }),
      ]);
      if (res === 'timeout') return { kind: 'timeout' };
      if (isSyntheticResponse(res)) return res.status === 408 ? { kind: 'timeout' } : { kind: 'transport', message: `no connection to ${dest.host}:${dest.port} (${res.status} ${res.reason})` };
      const retryAfter = Number(res.headers.get('Retry-After')?.trim().split(/[\s;(]/)[0]);
      return { kind: 'response', status: res.status, ...(Number.isInteger(retryAfter) && retryAfter > 0 ? { retryAfter } : {}) };
    } catch (err) {
      return { kind: 'transport', message: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  };
}

export interface RecorderTlsIdentity {
  /** PEM: CAs the recorders' certificates chain to (default Node's roots). */
  ca?: string | Buffer;
  /** PEM: the carrier's client certificate (chain) and key, registered with CI (CertificateSubjectName / CertificateIssuer). */
  cert: string | Buffer;
  key: string | Buffer;
}

/**
 * A SIP stack of its own for talking to recorders: no listener (the recorder
 * answers on our TLS connection), the carrier's certificate as the default TLS
 * client identity. For when the caller has no stack with that identity to share.
 */
export async function createRecorderSipStack(tls: RecorderTlsIdentity, o: { connectTimeoutMs?: number; userAgent?: string } = {}): Promise<SipStack> {
  return createSipStack({
    listen: [],
    transport: { tlsClient: { ...(tls.ca ? { ca: tls.ca } : {}), identities: { carrier: { cert: tls.cert, key: tls.key } }, defaultIdentity: 'carrier' }, connectTimeoutMs: o.connectTimeoutMs ?? 3000 },
    sessionTimer: false,
    userAgent: o.userAgent ?? 'ci-connector sip-signaling',
  });
}
