import { TokenError, type TokenErrorCode } from './errors';

/**
 * Entra ID (AADSTS) errors → TokenError. Codes from Microsoft's AADSTS list
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes);
 * anything not listed falls back on the OAuth `error` and the HTTP status.
 */
const BY_AADSTS: ReadonlyMap<number, TokenErrorCode> = new Map<number, TokenErrorCode>([
  // the tenant does not exist (in this cloud) or the identifier is not one
  [90002, 'tenant-not-found'],
  [900023, 'tenant-not-found'],
  [50128, 'tenant-not-found'],
  [50059, 'tenant-not-found'],
  // the app's credential was refused
  [7000215, 'invalid-client'], // wrong secret
  [7000222, 'invalid-client'], // expired secret
  [7000218, 'invalid-client'], // no credential
  [700027, 'invalid-client'], // assertion signature / certificate not registered
  [700021, 'invalid-client'], // assertion iss/sub
  [700023, 'invalid-client'], // assertion aud
  [700024, 'invalid-client'], // assertion time range (clock)
  [50027, 'invalid-client'], // malformed assertion
  [700025, 'invalid-client'],
  // the app itself is unknown or disabled
  [700016, 'unauthorized-client'],
  [7000112, 'unauthorized-client'],
  [70001, 'unauthorized-client'],
  // scope / resource
  [70011, 'invalid-scope'],
  [500011, 'invalid-scope'],
  // consent
  [7000229, 'consent-missing'],
  [65001, 'consent-missing'],
  [90094, 'consent-missing'],
  [650052, 'consent-missing'],
  [650056, 'consent-missing'],
  // transient
  [90033, 'throttled'],
]);

const BY_OAUTH_ERROR: Readonly<Record<string, TokenErrorCode>> = {
  invalid_client: 'invalid-client',
  unauthorized_client: 'unauthorized-client',
  invalid_scope: 'invalid-scope',
  invalid_resource: 'invalid-scope',
  consent_required: 'consent-missing',
  temporarily_unavailable: 'throttled',
};

/** What the library's network client saw of Entra ID's last failing answer for a tenant. */
export interface CapturedFailure {
  status: number;
  retryAfterMs?: number;
  /** The parsed body: Entra's `{ error, error_description, error_codes }` when it was JSON. */
  body?: unknown;
  /** A transport failure (no answer). */
  transportError?: string;
}

export interface TokenErrorContext {
  tenantId: string;
  clientId: string;
  authorityHost: string;
  /** What the network client saw last for this tenant (discovery errors are swallowed by msal). */
  captured?: CapturedFailure;
}

interface MsalLikeError {
  errorCode?: unknown;
  errorMessage?: unknown;
  errorNo?: unknown;
  status?: unknown;
  correlationId?: unknown;
  message?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** `AADSTS7000229: The client application … \r\nTrace ID: …` → the first line without the prefix. */
export function entraDescription(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const fromMsal = /Description:\s*([\s\S]*?)(?:\s+-\s+Correlation ID:|$)/.exec(text);
  const raw = (fromMsal?.[1] ?? text).split(/\r?\n/)[0]?.trim() ?? '';
  const cleaned = raw.replace(/^AADSTS\d+:\s*/, '').trim();
  if (!cleaned) return undefined;
  return cleaned.length > 300 ? `${cleaned.slice(0, 297)}...` : cleaned;
}

function aadstsFrom(e: MsalLikeError, captured: CapturedFailure | undefined): number | undefined {
  const no = str(e.errorNo) ?? (typeof e.errorNo === 'number' ? String(e.errorNo) : undefined);
  if (no && /^\d+$/.test(no)) return Number(no);
  const body = captured?.body as { error_codes?: unknown; error_description?: unknown } | undefined;
  if (body && Array.isArray(body.error_codes) && typeof body.error_codes[0] === 'number') return body.error_codes[0];
  for (const text of [str(e.errorMessage), str(body?.error_description)]) {
    const m = text ? /AADSTS(\d+)/.exec(text) : null;
    if (m?.[1]) return Number(m[1]);
  }
  return undefined;
}

/** Turns whatever msal threw (AuthError, ServerError, ClientAuthError…) into a TokenError. */
export function toTokenError(err: unknown, ctx: TokenErrorContext): TokenError {
  if (err instanceof TokenError) return err;
  const e: MsalLikeError = typeof err === 'object' && err !== null ? (err as MsalLikeError) : { message: String(err) };
  const captured = ctx.captured;
  const body = captured?.body as { error?: unknown; error_description?: unknown } | undefined;
  const msalCode = str(e.errorCode);
  const oauthError = msalCode && !['openid_config_error', 'endpoints_resolution_error', 'network_error'].includes(msalCode) ? msalCode : str(body?.error);
  const status = typeof e.status === 'number' ? e.status : captured?.status;
  const aadsts = aadstsFrom(e, captured);
  const msalText = str(e.errorMessage);
  // msal's own errors (openid_config_error…) carry a link, not Entra's words: prefer the kept answer then.
  const description = (msalText && /AADSTS\d+|Description:/.test(msalText) ? entraDescription(msalText) : undefined) ?? entraDescription(str(body?.error_description));

  let code: TokenErrorCode | undefined = aadsts !== undefined ? BY_AADSTS.get(aadsts) : undefined;
  if (!code && status === 429) code = 'throttled';
  if (!code && oauthError) code = BY_OAUTH_ERROR[oauthError];
  if (!code && status !== undefined && status >= 500) code = 'network';
  if (!code && (msalCode === 'network_error' || msalCode === 'openid_config_error' || msalCode === 'endpoints_resolution_error' || captured?.transportError)) code = 'network';
  code ??= 'unknown';

  const retryable = code === 'throttled' || code === 'network';
  const { tenantId, clientId, authorityHost } = ctx;
  const ref = aadsts !== undefined ? `AADSTS${aadsts}` : status !== undefined ? `HTTP ${status}` : (msalCode ?? 'no answer');
  const said = description ? ` Entra ID said: "${description}"` : '';
  let message: string;
  switch (code) {
    case 'tenant-not-found':
      message = `Entra ID does not know tenant ${tenantId} (${ref}): check the customer's tenant id (Entra admin centre > Overview > Tenant ID) and that the tenant is in the cloud of ${authorityHost}.${said}`;
      break;
    case 'consent-missing':
      message = `tenant ${tenantId} has not granted admin consent to app ${clientId} (${ref}): ask the customer's admin to consent to the app's Users.Read.All permission of "Media Recording for Dynamics 365 Sales" (${authorityHost}/${tenantId}/adminconsent?client_id=${clientId}).${said}`;
      break;
    case 'invalid-client':
      message = `tenant ${tenantId} refused the credentials of app ${clientId} (${ref}): ${invalidClientHint(aadsts)}.${said}`;
      break;
    case 'unauthorized-client':
      message = `app ${clientId} is unknown or disabled in tenant ${tenantId} (${ref}): check the client id, that the app is multi-tenant and enabled, and that the customer's admin consented to it.${said}`;
      break;
    case 'invalid-scope':
      message = `tenant ${tenantId} refused the CI scope for app ${clientId} (${ref}): the customer's tenant must have Dynamics 365 Sales conversation intelligence ("Media Recording for Dynamics 365 Sales") and the app the Users.Read.All application permission.${said}`;
      break;
    case 'throttled':
      message = `Entra ID is throttling token requests for tenant ${tenantId} (${ref})${captured?.retryAfterMs !== undefined ? `: retry after ${Math.ceil(captured.retryAfterMs / 1000)} s` : ': retry later'}.${said}`;
      break;
    case 'network':
      message = `could not get a token for tenant ${tenantId} from ${authorityHost} (${ref}): ${captured?.transportError ?? (status !== undefined && status >= 500 ? 'Entra ID is unavailable' : str(e.message) ?? 'no answer')}; retry later.${said}`;
      break;
    default:
      message = `Entra ID refused a token for tenant ${tenantId} and app ${clientId} (${ref}${oauthError ? ` ${oauthError}` : ''}).${said || (str(e.message) ? ` ${str(e.message)}` : '')}`;
  }
  return new TokenError({
    code,
    message,
    tenantId,
    clientId,
    ...(aadsts !== undefined ? { aadsts } : {}),
    retryable,
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(captured?.retryAfterMs !== undefined ? { retryAfterMs: captured.retryAfterMs } : {}),
    ...(msalCode ? { msalErrorCode: msalCode } : {}),
    ...(str(e.correlationId) ? { correlationId: str(e.correlationId) } : {}),
    cause: err,
  });
}

function invalidClientHint(aadsts: number | undefined): string {
  switch (aadsts) {
    case 7000215:
      return "the client secret is wrong: configure the secret's value (not its id) of a current secret of the app";
    case 7000222:
      return 'the client secret has expired: create a new secret for the app and configure it';
    case 7000218:
      return 'no secret or certificate was sent: configure one';
    case 700027:
      return 'the certificate is not registered on the app, has expired, or the private key does not match it: upload the certificate to the app registration';
    case 700024:
      return "the client assertion is outside its validity: check this machine's clock";
    default:
      return "check the app's secret or certificate";
  }
}
