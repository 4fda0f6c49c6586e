import type { Tenant } from '@ci-connector/tenancy';

/*
 * Every name the CI providers API uses, in one place. Microsoft's example body
 * (the seed) mixes casing exactly as below and says the Swagger differs: if the
 * real API wants other names, this file is the only one to change.
 */

export const PROVIDERS_PATHS = {
  /** POST: register the provider for the token's tenant. */
  registerTenant: '/api/v1.0/providers/tenants',
  /** GET: the users to record in the token's tenant. */
  users: '/api/v1.0/providers/users',
} as const;

/** The registration body, as the seed prints it. */
export interface ProviderRegistrationBody {
  orgId: string;
  Type: 'custom';
  hosting: 'cloud' | 'on-premises';
  displayName: string;
  AuthenticationDetails: {
    AccountId: string;
    CertificateSubjectName: string;
    CertificateIssuer: string;
    SourceIPNetwork: string;
  };
}

/** What a registration needs of a tenant. */
export type RegistrableTenant = Pick<Tenant, 'id' | 'orgId' | 'displayName' | 'hosting' | 'accountId' | 'certificate' | 'sourceIpNetwork'>;

/** Tenant → the seed's body (`POST /api/v1.0/providers/tenants`). */
export function toRegistrationBody(t: RegistrableTenant): ProviderRegistrationBody {
  return {
    orgId: t.orgId,
    Type: 'custom',
    hosting: t.hosting,
    displayName: t.displayName,
    AuthenticationDetails: {
      AccountId: t.accountId,
      CertificateSubjectName: t.certificate.subject,
      CertificateIssuer: t.certificate.issuer,
      SourceIPNetwork: t.sourceIpNetwork,
    },
  };
}

/** Our field → the body's field, to name a field the API refused in our terms (`AuthenticationDetails.AccountId` → `accountId`). */
export const REGISTRATION_FIELD_NAMES: Readonly<Record<string, string>> = {
  orgid: 'orgId',
  type: 'type',
  hosting: 'hosting',
  displayname: 'displayName',
  'authenticationdetails.accountid': 'accountId',
  'authenticationdetails.certificatesubjectname': 'certificate.subject',
  'authenticationdetails.certificateissuer': 'certificate.issuer',
  'authenticationdetails.sourceipnetwork': 'sourceIpNetwork',
};

/** The tenant field behind an API field name (any casing, `$.` or `body.` prefixes tolerated), or undefined. */
export function tenantFieldFor(apiField: string): string | undefined {
  const key = apiField
    .replace(/^\$\.?/, '')
    .replace(/^body\./i, '')
    .toLowerCase();
  return REGISTRATION_FIELD_NAMES[key];
}

/** How the registration answer says what happened (the emulator's `status`; the real schema is not published). */
export const REGISTRATION_STATUS_FIELD = 'status';

/** Keys under which a users answer may carry its list (tried in order). */
export const USERS_LIST_KEYS = ['value', 'users', 'items'] as const;

/** Keys under which a users answer may carry the next page's link (tried in order). */
export const NEXT_LINK_KEYS = ['@odata.nextLink', 'nextLink', 'next', 'odata.nextLink'] as const;
