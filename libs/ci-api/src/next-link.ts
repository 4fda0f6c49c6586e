import { ProvidersApiError } from './errors';

/**
 * A users answer's next link: a relative one resolves against the current
 * page's URL; only links on the base URL's origin (scheme, host and port) are
 * followed, because the tenant's bearer token goes with the request.
 */
export function resolveNextLink(link: string, current: URL, base: URL, operation: string, tenantId: string): URL {
  let next: URL;
  try {
    next = new URL(link, current);
  } catch {
    throw new ProvidersApiError({ code: 'bad-response', message: `${operation} for tenant ${tenantId}: the next link ${JSON.stringify(link)} is not a URL`, operation, tenantId, retryable: false });
  }
  if (next.origin !== base.origin) {
    throw new ProvidersApiError({
      code: 'foreign-next-link',
      message: `${operation} for tenant ${tenantId}: refused to follow the next link ${next.href}: it is not on ${base.origin} (the tenant's token would be sent to another host)`,
      operation,
      tenantId,
      retryable: false,
    });
  }
  return next;
}
