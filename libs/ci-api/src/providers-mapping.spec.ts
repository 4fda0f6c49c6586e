import { newTenant, parseTenantCreate } from '@ci-connector/tenancy';
import { NEXT_LINK_KEYS, tenantFieldFor, toRegistrationBody, USERS_LIST_KEYS } from './providers-mapping';
import { resolveNextLink } from './next-link';
import { ProvidersApiError } from './errors';

describe('providers mapping (the seed body, in one module)', () => {
  const tenant = {
    id: 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc',
    orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
    displayName: 'Example Carrier',
    hosting: 'cloud' as const,
    accountId: 'AC0123',
    certificate: { subject: 'CN=sbc.carrier.example,O=Example Carrier', issuer: 'CN=ci-emulator test CA' },
    sourceIpNetwork: '127.0.0.1',
  };

  it("maps a tenant to the seed's body, with its mixed casing, and nothing else", () => {
    expect(JSON.stringify(toRegistrationBody(tenant))).toBe(
      JSON.stringify({
        orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
        Type: 'custom',
        hosting: 'cloud',
        displayName: 'Example Carrier',
        AuthenticationDetails: {
          AccountId: 'AC0123',
          CertificateSubjectName: 'CN=sbc.carrier.example,O=Example Carrier',
          CertificateIssuer: 'CN=ci-emulator test CA',
          SourceIPNetwork: '127.0.0.1',
        },
      }),
    );
  });

  it('maps a Tenant made by the tenancy library', () => {
    const parsed = parseTenantCreate({ ...tenant, region: 'uksouth', certificate: tenant.certificate, hosting: 'on-premises' });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const body = toRegistrationBody(newTenant(parsed.value, new Date()));
    expect(body.hosting).toBe('on-premises');
    expect(body.AuthenticationDetails.AccountId).toBe('AC0123');
  });

  it("names our field behind a field the API refused, in any casing", () => {
    expect(tenantFieldFor('AuthenticationDetails.SourceIPNetwork')).toBe('sourceIpNetwork');
    expect(tenantFieldFor('authenticationDetails.certificateSubjectName')).toBe('certificate.subject');
    expect(tenantFieldFor('$.orgId')).toBe('orgId');
    expect(tenantFieldFor('somethingElse')).toBeUndefined();
  });

  it('lists the keys tolerated for users lists and next links', () => {
    expect(USERS_LIST_KEYS).toEqual(['value', 'users', 'items']);
    expect(NEXT_LINK_KEYS).toEqual(['@odata.nextLink', 'nextLink', 'next', 'odata.nextLink']);
  });
});

describe('next links', () => {
  const base = new URL('https://api.media.recording.dynamics.com');
  const current = new URL('https://api.media.recording.dynamics.com/api/v1.0/providers/users?$top=10');
  const T = 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc';

  it('follows absolute and relative links on the same origin', () => {
    expect(resolveNextLink('https://api.media.recording.dynamics.com/api/v1.0/providers/users?$skiptoken=2', current, base, 'GET', T).href).toBe(
      'https://api.media.recording.dynamics.com/api/v1.0/providers/users?$skiptoken=2',
    );
    expect(resolveNextLink('users?$skiptoken=3', current, base, 'GET', T).href).toBe('https://api.media.recording.dynamics.com/api/v1.0/providers/users?$skiptoken=3');
  });

  it.each(['https://evil.example/api/v1.0/providers/users?p=2', 'http://api.media.recording.dynamics.com/users', 'https://api.media.recording.dynamics.com:8443/users', '//evil.example/x'])(
    'refuses %s, naming it',
    (link) => {
      let err: unknown;
      try {
        resolveNextLink(link, current, base, 'GET /api/v1.0/providers/users', T);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProvidersApiError);
      expect((err as ProvidersApiError).code).toBe('foreign-next-link');
      expect((err as ProvidersApiError).message).toContain(new URL(link, current).href);
      expect((err as ProvidersApiError).retryable).toBe(false);
    },
  );
});
