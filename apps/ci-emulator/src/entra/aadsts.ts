import { randomUUID } from 'node:crypto';
import { CI_SCOPE } from './ci-app';

/**
 * Entra-style token endpoint errors. Codes and wording follow Microsoft's
 * "Microsoft Entra authentication and authorization error codes" reference
 * (learn.microsoft.com/entra/identity-platform/reference-error-codes) and the
 * messages Entra returns as seen in public reports (looked up with the search
 * tool). Each factory says which code it uses for what. Where the emulator adds
 * its own explanation it comes after the Entra text, in parentheses, starting
 * "emulator:" — a rejection always names the rule it enforces.
 */
export class AadstsError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string,
  ) {
    super(`AADSTS${code}: ${description}`);
  }
}

export interface AadstsErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

/** `2023-05-01 18:37:24Z`, as Entra writes timestamps in errors. */
export function entraTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** The JSON body Entra sends: the description ends with Trace ID / Correlation ID / Timestamp lines. */
export function aadstsBody(e: AadstsError, correlationId: string = randomUUID(), now = new Date(), traceId: string = randomUUID()): AadstsErrorBody {
  const ts = entraTimestamp(now);
  return {
    error: e.error,
    error_description: `AADSTS${e.code}: ${e.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${ts}`,
    error_codes: [e.code],
    timestamp: ts,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
  };
}

const note = (s: string) => ` (emulator: ${s})`;

export const aad = {
  /** AADSTS90002 (400 invalid_request): the tenant in the path is not a tenant of the directory. */
  tenantNotFound: (tenant: string) =>
    new AadstsError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.${note('the tenant must be one configured in the emulator file or with PUT /emulator/tenants/{tenantId}; tenants are known by GUID only')}`),
  /** AADSTS900144 (400 invalid_request): a required form parameter is missing. */
  missingParameter: (name: string, extra?: string) =>
    new AadstsError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.${extra ? note(extra) : ''}`),
  /** AADSTS9002313 (400 invalid_request): the request is malformed (repeated parameter, both credentials, bad assertion type). */
  malformed: (why: string) => new AadstsError(400, 'invalid_request', 9002313, `Invalid request. Request is malformed or invalid.${note(why)}`),
  /** AADSTS70003 (400 unsupported_grant_type): grant_type is not client_credentials. */
  unsupportedGrantType: (grant: string) =>
    new AadstsError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.${note('only grant_type=client_credentials is served')}`),
  /** AADSTS70011 (400 invalid_scope): scope is not exactly the CI app's /.default. */
  invalidScope: (scope: string) =>
    new AadstsError(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' isn't valid. The scope ${scope} isn't valid.${note(`the scope must be exactly ${CI_SCOPE}`)}`),
  /** AADSTS500011 (400 invalid_resource): a /.default scope of another resource (not present in the emulated tenant). */
  resourceNotFound: (resource: string, tenant: string) =>
    new AadstsError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.${note(`the only resource is the CI app: scope=${CI_SCOPE}`)}`),
  /** AADSTS700016 (400 unauthorized_client): no app with this client id. */
  unknownClient: (clientId: string, tenant: string) =>
    new AadstsError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.${note('register the app in the emulator file or with PUT /emulator/apps/{clientId}')}`),
  /** AADSTS7000229 (401 invalid_client): the app has no service principal (no admin consent) in the tenant. */
  noServicePrincipal: (clientId: string, tenant: string) =>
    new AadstsError(401, 'invalid_client', 7000229, `The client application ${clientId} is missing service principal in the tenant ${tenant}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119${note("the tenant has no consent for this app: add { clientId, roles: ['Users.Read.All'] } to the tenant's consents")}`),
  /** AADSTS7000218 (401 invalid_client): neither client_secret nor client_assertion. */
  noCredential: () => new AadstsError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  /** AADSTS7000215 (401 invalid_client): the secret is none of the app's secrets. */
  badSecret: (clientId: string) =>
    new AadstsError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`),
  /** AADSTS7000222 (401 invalid_client): the secret matches but has expired. */
  expiredSecret: (clientId: string) => new AadstsError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app or consider using certificate credentials for added security.`),
  /** AADSTS50027 (400 invalid_request): the client assertion is not a well-formed JWT, or lacks a required claim or supported alg. */
  malformedAssertion: (why: string) => new AadstsError(400, 'invalid_request', 50027, `JWT token is invalid or malformed.${note(why)}`),
  /** AADSTS700027 (401 invalid_client): no registered certificate has the thumbprint, it expired, or the signature does not verify. */
  assertionKey: (reason: string, thumbprint: string | undefined, clientId: string) =>
    new AadstsError(401, 'invalid_client', 700027, `Client assertion contains an invalid signature. [Reason - ${reason}${thumbprint ? `, Thumbprint of key used by client: '${thumbprint}'` : ''}, Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`),
  /** AADSTS700021 (401 invalid_client): iss/sub of the assertion are not the client_id. */
  assertionIssuer: (got: string) =>
    new AadstsError(401, 'invalid_client', 700021, `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .${note(`iss and sub must both equal client_id; got ${got}`)}`),
  /** AADSTS700023 (401 invalid_client): aud is not this tenant's token endpoint. */
  assertionAudience: (got: string, expected: string) =>
    new AadstsError(401, 'invalid_client', 700023, `Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .${note(`aud must be ${expected}; got ${got}`)}`),
  /** AADSTS700024 (401 invalid_client): now is outside [nbf, exp] (5 minutes of clock skew allowed). */
  assertionTime: (now: Date, nbf: Date | undefined, exp: Date) =>
    new AadstsError(401, 'invalid_client', 700024, `Client assertion is not within its valid time range. Current time: ${now.toISOString()}, assertion valid from ${nbf ? nbf.toISOString() : '(no nbf)'}, expiry time of assertion ${exp.toISOString()}. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .`),
  /** AADSTS90033 (429 temporarily_unavailable): injected throttling fault. */
  throttled: (retryAfter: number) => new AadstsError(429, 'temporarily_unavailable', 90033, `A transient error has occurred. Please try again.${note(`injected 429 fault; Retry-After: ${retryAfter}`)}`),
  /** AADSTS50000 (500 server_error): injected server fault. */
  serverError: () => new AadstsError(500, 'server_error', 50000, `There was an error issuing a token or an issue with our sign-in service.${note('injected 500 fault')}`),
};
