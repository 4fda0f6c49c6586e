export { CI_APP_ID, CI_SCOPE, DEFAULT_AUTHORITY_HOST, DEFAULT_PROVIDERS_BASE_URL } from './constants';
export { TokenError, ProvidersApiError, type TokenErrorCode, type ProvidersApiErrorCode, type FieldProblem } from './errors';
export { createTokenProvider, type TokenProvider, type TokenProviderOptions, type TokenCredentials, type GetTokenOptions } from './token-provider';
export { certificateThumbprintSha256, type AppCredential } from './credentials';
export { httpsNetworkClient, type CapturingNetworkClient } from './msal-network';
export { toTokenError } from './aadsts';
export {
  createProvidersClient,
  type ProvidersClient,
  type ProvidersClientOptions,
  type CallOptions,
  type RegistrationResult,
  type RetryInfo,
  type UsersPage,
} from './providers-client';
export {
  PROVIDERS_PATHS,
  toRegistrationBody,
  tenantFieldFor,
  USERS_LIST_KEYS,
  NEXT_LINK_KEYS,
  type ProviderRegistrationBody,
  type RegistrableTenant,
} from './providers-mapping';
export { UsersBodyParser, UsersShapeError, type ProviderUser, type UsersShape } from './users-parser';
export { DEFAULT_RETRY_POLICY, backoffDelayMs, decideRetry, parseRetryAfter, systemClock, type Clock, type RetryPolicy } from './retry';
export type { CiApiLogger } from './logger';
