import { readFileSync } from 'node:fs';
import { ProvidersApiError, TokenError, createProvidersClient, createTokenProvider, type AppCredential, type CiApiLogger } from '@ci-connector/ci-api';
import type { RegistrationConfig } from '../config/config';
import type { RegistrarError, TenantRegistrar } from './ports';

/**
 * The TenantRegistrar on libs/ci-api: app-only tokens from Entra ID (msal-node,
 * the carrier's multi-tenant app) and `POST /api/v1.0/providers/tenants` with the
 * seed's body. The client's own retries (CI_API_RETRIES) report through onRetry;
 * the registration job retries on top of them (REGISTER_MAX_ATTEMPTS).
 */
export function createCiApiRegistrar(config: RegistrationConfig['ciApi'], logger: CiApiLogger): TenantRegistrar & { close(): void } {
  const ca = config.caFile ? readFileSync(config.caFile) : undefined;
  const app: AppCredential =
    config.credential.kind === 'secret'
      ? { clientId: config.clientId, clientSecret: config.credential.secret }
      : { clientId: config.clientId, certificatePem: readFileSync(config.credential.certFile, 'utf8'), privateKeyPem: readFileSync(config.credential.keyFile, 'utf8') };
  const tokens = createTokenProvider({
    authorityHost: config.authorityHost,
    credentials: { app },
    ...(ca ? { ca } : {}),
    requestTimeoutMs: config.timeoutMs,
    logger,
  });
  const client = createProvidersClient({
    baseUrl: config.baseUrl,
    tokens,
    ...(ca ? { ca } : {}),
    timeoutMs: config.timeoutMs,
    retry: { maxAttempts: config.retries + 1 },
    logger,
  });
  return {
    async register(tenant, onRetry) {
      const r = await client.registerTenant(tenant, {
        onRetry: (info) => onRetry({ attempt: info.attempt, error: describe(info.error).message, delayMs: info.delayMs }),
      });
      return { status: r.status };
    },
    describe,
    close() {
      client.close();
      tokens.close();
    },
  };
}

/** What a registration error says, for the tenant's `lastError`. */
export function describe(err: unknown): RegistrarError {
  if (err instanceof ProvidersApiError) {
    const fields = err.fields.length > 0 ? ` (${err.fields.map((f) => `${f.field}: ${f.message}`).join('; ')})` : '';
    return {
      message: `providers API ${err.operation}${err.status ? ` answered ${err.status}` : ''}: ${err.message}${fields}`,
      retryable: err.retryable,
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    };
  }
  if (err instanceof TokenError) {
    return {
      message: `Entra ID token for tenant ${err.tenantId}${err.aadsts ? ` (AADSTS${err.aadsts})` : ''}: ${err.message}`,
      retryable: err.retryable,
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    };
  }
  return { message: err instanceof Error ? err.message : String(err), retryable: false };
}
