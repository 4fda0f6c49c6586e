import { signWidgetToken } from '@ci-connector/events';
import { ApiError } from './api-error';
import { originAllowed } from './cors';
import { presentedToken, WidgetAuthenticator } from './widget-auth';

const SECRET = 'unit-test-widget-secret-0123456789abcdef';
const NOW = 1_800_000_000_000;

describe('widget tokens', () => {
  const auth = new WidgetAuthenticator(SECRET, () => NOW);
  const tok = (claims: Partial<{ tid: string; sub: string; pid: string; exp: number }> = {}, secret = SECRET) =>
    signWidgetToken({ tid: 't1', sub: 'alice', pid: 'p1', exp: NOW / 1000 + 60, ...claims }, secret);

  it('takes the bearer header, else the token query parameter', () => {
    expect(presentedToken('Bearer abc.def', 'zzz')).toBe('abc.def');
    expect(presentedToken('bearer   abc.def ', undefined)).toBe('abc.def');
    expect(presentedToken(undefined, 'q.t')).toBe('q.t');
  });

  it('gives the tenant, seller, partner and expiry of a valid token', () => {
    expect(auth.authenticate(`Bearer ${tok()}`, undefined)).toEqual({ tenantId: 't1', sellerId: 'alice', partnerId: 'p1', expiresAt: NOW + 60_000 });
  });

  it('answers 401 saying what is wrong, with a WWW-Authenticate challenge', () => {
    const cases: [string | undefined, unknown, string][] = [
      [undefined, undefined, 'no widget token'],
      ['Basic dXNlcg==', undefined, 'is not "Bearer <widget token>"'],
      [undefined, ['a', 'b'], 'must be given once'],
      [`Bearer ${tok({ exp: NOW / 1000 - 1 })}`, undefined, 'widget token expired'],
      [`Bearer ${tok({}, 'another-secret-that-is-long-enough-123')}`, undefined, 'signature does not match'],
      [`Bearer ${tok({ sub: '' })}`, undefined, 'names no tenant or no seller'],
      ['Bearer nodot', undefined, 'malformed widget token'],
    ];
    for (const [header, query, message] of cases) {
      let err: unknown;
      try {
        auth.authenticate(header, query);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 401, code: 'invalid_token' });
      expect((err as ApiError).message).toContain(message);
      expect((err as ApiError).headers['WWW-Authenticate']).toMatch(/^Bearer realm="ci-connector widget", error="invalid_token"/);
    }
  });
});

describe('CORS origins', () => {
  const allowed = ['https://widget.dialer.example', 'https://*.crm.dynamics.com'];
  it('allows the exact origins and the subdomains of a wildcard', () => {
    expect(originAllowed('https://widget.dialer.example', allowed)).toBe(true);
    expect(originAllowed('https://Org1.CRM.dynamics.com', allowed)).toBe(true);
    expect(originAllowed('https://a.b.crm.dynamics.com', allowed)).toBe(true);
  });
  it('refuses anything else', () => {
    expect(originAllowed('https://crm.dynamics.com', allowed)).toBe(false);
    expect(originAllowed('http://org1.crm.dynamics.com', allowed)).toBe(false);
    expect(originAllowed('https://evilcrm.dynamics.com', allowed)).toBe(false);
    expect(originAllowed('https://widget.dialer.example:8443', allowed)).toBe(false);
    expect(originAllowed('https://widget.dialer.example', [])).toBe(false);
  });
});
