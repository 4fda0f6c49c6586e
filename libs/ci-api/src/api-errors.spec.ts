import { apiErrorFromResponse, networkError, parseErrorBody } from './api-errors';
import { tenantFieldFor } from './providers-mapping';

const op = 'POST /api/v1.0/providers/tenants';
const T = 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc';

describe('providers API error answers', () => {
  it('reads the OData / emulator shape and names each field, with our field behind it', () => {
    const text = JSON.stringify({
      error: { code: 'ValidationFailed', message: 'the registration body is invalid', details: [{ field: 'AuthenticationDetails.SourceIPNetwork', message: 'not an IPv4/IPv6 address or CIDR' }] },
    });
    const e = apiErrorFromResponse({ operation: op, tenantId: T, status: 400, text, now: 0, fieldHint: tenantFieldFor });
    expect(e).toMatchObject({ code: 'bad-request', status: 400, retryable: false, apiCode: 'ValidationFailed', fields: [{ field: 'AuthenticationDetails.SourceIPNetwork', message: 'not an IPv4/IPv6 address or CIDR' }] });
    expect(e.message).toBe(
      `${op} for tenant ${T} answered 400 ValidationFailed: the registration body is invalid [fields: AuthenticationDetails.SourceIPNetwork (tenant field sourceIpNetwork): not an IPv4/IPv6 address or CIDR]`,
    );
    expect(e.bodyExcerpt).toBe(text);
  });

  it('reads ASP.NET ProblemDetails', () => {
    const p = parseErrorBody(JSON.stringify({ title: 'One or more validation errors occurred.', status: 400, errors: { 'AuthenticationDetails.AccountId': ['The AccountId field is required.'] } }));
    expect(p).toEqual({ apiCode: 'One or more validation errors occurred.', apiMessage: 'One or more validation errors occurred.', fields: [{ field: 'AuthenticationDetails.AccountId', message: 'The AccountId field is required.' }] });
  });

  it('reads Graph-style targets and flat messages; tolerates non-JSON', () => {
    expect(parseErrorBody(JSON.stringify({ error: { code: 'X', message: 'm', details: [{ target: 'orgId', code: 'Invalid' }] } })).fields).toEqual([{ field: 'orgId', message: 'Invalid' }]);
    expect(parseErrorBody(JSON.stringify({ Message: 'An error has occurred.' }))).toEqual({ apiMessage: 'An error has occurred.', fields: [] });
    expect(parseErrorBody('<html>bad gateway</html>')).toEqual({ fields: [] });
  });

  it('classes statuses: retryable 408/429/5xx, Retry-After kept', () => {
    const e429 = apiErrorFromResponse({ operation: op, tenantId: T, status: 429, retryAfter: '3', text: '{"error":{"code":"TooManyRequests","message":"slow down"}}', now: 0 });
    expect(e429).toMatchObject({ code: 'throttled', retryable: true, retryAfterMs: 3000 });
    expect(e429.message).toBe(`${op} for tenant ${T} answered 429 TooManyRequests: slow down (Retry-After 3 s)`);
    for (const s of [500, 502, 503, 504]) expect(apiErrorFromResponse({ operation: op, status: s, text: '', now: 0 })).toMatchObject({ code: 'server-error', retryable: true });
    for (const [s, code] of [[401, 'unauthorized'], [403, 'forbidden'], [404, 'not-found'], [409, 'conflict'], [415, 'client-error']] as const)
      expect(apiErrorFromResponse({ operation: op, status: s, text: '', now: 0 })).toMatchObject({ code, retryable: false });
  });

  it('explains a 403 (no Users.Read.All role) and cuts long bodies', () => {
    const e = apiErrorFromResponse({ operation: op, tenantId: T, status: 403, text: 'x'.repeat(2000), now: 0 });
    expect(e.message).toContain('ask the customer\'s admin to grant admin consent');
    expect(e.bodyExcerpt).toHaveLength(501);
  });

  it('turns transport failures into network errors, retryable', () => {
    const e = networkError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), op, '127.0.0.1:9', T);
    expect(e).toMatchObject({ code: 'network', retryable: true });
    expect(e.message).toBe(`${op} for tenant ${T}: could not reach 127.0.0.1:9: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9`);
    expect(networkError(new DOMException('aborted', 'AbortError'), op, 'h')).toMatchObject({ code: 'aborted', retryable: false });
  });
});
