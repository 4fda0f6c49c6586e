import { ClientAuthError, ServerError } from '@azure/msal-node';
import { entraDescription, toTokenError } from './aadsts';
import { TokenError } from './errors';

const T = 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc';
const APP = '4d4d4d4d-4444-4444-8444-444444444444';
const ctx = { tenantId: T, clientId: APP, authorityHost: 'https://login.microsoftonline.com' };

/** A ServerError the way msal builds it from an Entra error body (ResponseHandler.validateTokenResponse). */
function serverError(error: string, aadsts: number, description: string, status: number): ServerError {
  const errString = `Error(s): ${aadsts} - Timestamp: 2026-11-29 12:00:00Z - Description: AADSTS${aadsts}: ${description}\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: x - Correlation ID: c - Trace ID: t`;
  return new ServerError(error, 'c', errString, '', String(aadsts), status);
}

describe('AADSTS errors → TokenError', () => {
  it('consent missing (AADSTS7000229): tells the admin what to do and where', () => {
    const e = toTokenError(serverError('invalid_client', 7000229, `The client application ${APP} is missing service principal in the tenant ${T}.`, 401), ctx);
    expect(e).toBeInstanceOf(TokenError);
    expect(e).toMatchObject({ code: 'consent-missing', aadsts: 7000229, retryable: false, httpStatus: 401, tenantId: T, clientId: APP, msalErrorCode: 'invalid_client' });
    expect(e.message).toBe(
      `tenant ${T} has not granted admin consent to app ${APP} (AADSTS7000229): ask the customer's admin to consent to the app's Users.Read.All permission of "Media Recording for Dynamics 365 Sales" (https://login.microsoftonline.com/${T}/adminconsent?client_id=${APP}). Entra ID said: "The client application ${APP} is missing service principal in the tenant ${T}."`,
    );
  });

  it.each([
    [90002, 'invalid_request', 400, 'tenant-not-found', /Entra ID does not know tenant/],
    [7000215, 'invalid_client', 401, 'invalid-client', /client secret is wrong/],
    [7000222, 'invalid_client', 401, 'invalid-client', /has expired/],
    [700027, 'invalid_client', 401, 'invalid-client', /certificate is not registered/],
    [700016, 'unauthorized_client', 400, 'unauthorized-client', /unknown or disabled in tenant/],
    [70011, 'invalid_scope', 400, 'invalid-scope', /refused the CI scope/],
    [500011, 'invalid_resource', 400, 'invalid-scope', /conversation intelligence/],
    [65001, 'invalid_grant', 400, 'consent-missing', /admin consent/],
    [90033, 'temporarily_unavailable', 429, 'throttled', /throttling/],
  ] as const)('AADSTS%s → %s', (aadsts, error, status, code, message) => {
    const e = toTokenError(serverError(error, aadsts, 'whatever', status), ctx);
    expect(e.code).toBe(code);
    expect(e.aadsts).toBe(aadsts);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`AADSTS${aadsts}`);
    expect(e.retryable).toBe(code === 'throttled');
  });

  it('falls back on the OAuth error, then on the status', () => {
    expect(toTokenError(serverError('invalid_client', 7999999, 'new code', 401), ctx).code).toBe('invalid-client');
    expect(toTokenError(serverError('server_error', 50000, 'oops', 500), ctx)).toMatchObject({ code: 'network', retryable: true });
    expect(toTokenError(serverError('invalid_request', 900144, "The request body must contain the following parameter: 'scope'.", 400), ctx)).toMatchObject({
      code: 'unknown',
      retryable: false,
      message: `Entra ID refused a token for tenant ${T} and app ${APP} (AADSTS900144 invalid_request). Entra ID said: "The request body must contain the following parameter: 'scope'."`,
    });
  });

  it('429 with Retry-After seen by the network client → throttled, retry after', () => {
    const e = toTokenError(new ServerError('', '', 'throttled by msal'), { ...ctx, captured: { status: 429, retryAfterMs: 7000, body: { error: 'temporarily_unavailable', error_codes: [90033] } } });
    expect(e).toMatchObject({ code: 'throttled', retryable: true, retryAfterMs: 7000, aadsts: 90033 });
    expect(e.message).toContain('retry after 7 s');
  });

  it("a failed discovery (msal's openid_config_error) is named from the answer the network client kept", () => {
    const captured = { status: 400, body: { error: 'invalid_request', error_description: `AADSTS90002: Tenant '${T}' not found.\r\nTrace ID: x`, error_codes: [90002] } };
    const e = toTokenError(new ClientAuthError('openid_config_error', 'c'), { ...ctx, captured });
    expect(e).toMatchObject({ code: 'tenant-not-found', aadsts: 90002, retryable: false, httpStatus: 400 });
    expect(e.message).toContain(`Entra ID said: "Tenant '${T}' not found."`);
  });

  it('no answer at all → network, retryable', () => {
    const e = toTokenError(new ClientAuthError('network_error', 'c'), { ...ctx, captured: { status: 0, transportError: 'connect ECONNREFUSED 127.0.0.1:1' } });
    expect(e).toMatchObject({ code: 'network', retryable: true });
    expect(e.message).toContain('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('anything else → unknown, keeping its message', () => {
    const e = toTokenError(new Error('boom'), ctx);
    expect(e).toMatchObject({ code: 'unknown', retryable: false });
    expect(e.message).toContain('boom');
  });

  it("extracts Entra's description from msal's error string", () => {
    expect(entraDescription('Error(s): 1 - Timestamp: x - Description: AADSTS1: Hello there.\r\nTrace ID: y - Correlation ID: z')).toBe('Hello there.');
    expect(entraDescription('AADSTS2: Plain.\r\nTrace ID: y')).toBe('Plain.');
    expect(entraDescription(undefined)).toBeUndefined();
  });
});
