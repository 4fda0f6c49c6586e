import type { EmulatorConfig } from '../config/config';

/** The CI app ("Media Recording for Dynamics 365 Sales"); the contract says never change it. */
export const CI_APP_ID = 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3';
/** The only scope the token endpoint accepts. */
export const CI_SCOPE = `${CI_APP_ID}/.default`;
/** The application permission the providers API requires. */
export const USERS_READ_ALL = 'Users.Read.All';
/** Access token lifetime (Entra's default for app tokens: about an hour). */
export const TOKEN_LIFETIME_SECONDS = 3600;

/** The URL clients reach the emulator at: PUBLIC_URL, else https://<HTTP_HOST>:<HTTPS_PORT>. */
export function emulatorBaseUrl(config: Pick<EmulatorConfig, 'https'>): string {
  if (config.https.publicUrl) return config.https.publicUrl.replace(/\/$/, '');
  const host = config.https.host.includes(':') ? `[${config.https.host}]` : config.https.host;
  return `https://${host}:${config.https.port}`;
}

/** The `iss` of the tokens for a tenant (as Entra v2: <authority host>/<tid>/v2.0). */
export function issuerFor(base: string, tenantId: string): string {
  return `${base}/${tenantId}/v2.0`;
}
