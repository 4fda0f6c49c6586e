/** https://… base URL of the emulator (PUBLIC_URL or https://HTTP_HOST:HTTPS_PORT): issuer, endpoints, next links. */
export const EMULATOR_BASE_URL = Symbol('EmulatorBaseUrl');
