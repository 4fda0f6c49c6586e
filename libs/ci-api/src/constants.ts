/** The CI app ("Media Recording for Dynamics 365 Sales"): the only scope a provider asks for (the seed). Never configurable. */
export const CI_APP_ID = 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3';
export const CI_SCOPE = `${CI_APP_ID}/.default`;

/** Microsoft's public-cloud Entra ID host. */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** The CI providers API (production). */
export const DEFAULT_PROVIDERS_BASE_URL = 'https://api.media.recording.dynamics.com';

export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
