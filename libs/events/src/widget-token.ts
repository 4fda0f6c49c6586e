import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The widget's credential (issue 7): call-events issues it to a partner for one
 * seller of one of its tenants; widget-gateway checks it on the SSE stream and on
 * widget-originated recording commands. Format: `<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`
 * with a secret both services share (WIDGET_TOKEN_SECRET, ≥ 32 bytes).
 */
export interface WidgetTokenClaims {
  /** Tenant (Entra tenant id). */
  tid: string;
  /** The seller the widget belongs to. */
  sub: string;
  /** The partner it was issued to. */
  pid: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export class WidgetTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WidgetTokenError';
  }
}

const b64 = (b: Buffer) => b.toString('base64url');

function checkSecret(secret: string | Buffer): Buffer {
  const s = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
  if (s.length < 32) throw new WidgetTokenError(`the widget token secret must be at least 32 bytes (got ${s.length})`);
  return s;
}

export function signWidgetToken(claims: WidgetTokenClaims, secret: string | Buffer): string {
  const body = b64(Buffer.from(JSON.stringify(claims), 'utf8'));
  return `${body}.${b64(createHmac('sha256', checkSecret(secret)).update(body).digest())}`;
}

/** The claims of a valid, unexpired token; throws WidgetTokenError saying what is wrong. */
export function verifyWidgetToken(token: string, secret: string | Buffer, nowSeconds = Math.floor(Date.now() / 1000)): WidgetTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new WidgetTokenError('malformed widget token (expected <claims>.<signature>)');
  const [body, sig] = parts as [string, string];
  const want = createHmac('sha256', checkSecret(secret)).update(body).digest();
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new WidgetTokenError('widget token signature does not match');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new WidgetTokenError('widget token claims are not JSON');
  }
  const c = claims as Partial<WidgetTokenClaims>;
  if (typeof c.tid !== 'string' || typeof c.sub !== 'string' || typeof c.pid !== 'string' || typeof c.exp !== 'number') throw new WidgetTokenError('widget token claims incomplete (tid, sub, pid, exp)');
  if (c.exp <= nowSeconds) throw new WidgetTokenError('widget token expired');
  return c as WidgetTokenClaims;
}

/** A dialer event's id: the same for a retried post (same partner, same idempotency key), UUID-shaped. */
export function callEventId(partnerId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`${partnerId}\n${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
