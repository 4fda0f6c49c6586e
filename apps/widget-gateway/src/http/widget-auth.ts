import { verifyWidgetToken, WidgetTokenError } from '@ci-connector/events';
import { ApiError } from './api-error';

/** Who a widget request comes from: its token's claims. */
export interface WidgetPrincipal {
  tenantId: string;
  sellerId: string;
  partnerId: string;
  /** When the token expires (ms since the epoch): an event stream ends then. */
  expiresAt: number;
}

const unauthorized = (message: string) =>
  new ApiError(401, 'invalid_token', message, [], { 'WWW-Authenticate': `Bearer realm="ci-connector widget", error="invalid_token", error_description="${message.replace(/"/g, "'")}"` });

/**
 * The widget token of a request: `Authorization: Bearer <token>`, or the
 * `token` query parameter (EventSource cannot set headers). The header wins.
 */
export function presentedToken(authorization: string | undefined, query: unknown): string {
  if (authorization !== undefined && authorization !== '') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m?.[1]) throw unauthorized('the Authorization header is not "Bearer <widget token>"');
    return m[1];
  }
  if (query === undefined || query === '') throw unauthorized('no widget token: send Authorization: Bearer <token> or ?token=<token>');
  if (typeof query !== 'string') throw unauthorized('the token query parameter must be given once');
  return query;
}

/** Checks widget tokens (WIDGET_TOKEN_SECRET, shared with call-events, which issues them). */
export class WidgetAuthenticator {
  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  authenticate(authorization: string | undefined, query: unknown): WidgetPrincipal {
    const token = presentedToken(authorization, query);
    try {
      const c = verifyWidgetToken(token, this.secret, Math.floor(this.now() / 1000));
      if (c.tid === '' || c.sub === '') throw new WidgetTokenError('widget token names no tenant or no seller');
      return { tenantId: c.tid, sellerId: c.sub, partnerId: c.pid, expiresAt: c.exp * 1000 };
    } catch (err) {
      if (err instanceof WidgetTokenError) throw unauthorized(err.message);
      throw err;
    }
  }
}
