import { createHash } from 'node:crypto';
import { ConfidentialClientApplication, LogLevel, type ICachePlugin, type INetworkModule } from '@azure/msal-node';
import { toTokenError } from './aadsts';
import { CI_SCOPE, DEFAULT_AUTHORITY_HOST, GUID_RE } from './constants';
import { resolveCredential, type AppCredential, type ResolvedCredential } from './credentials';
import { TokenError } from './errors';
import { silentLogger, type CiApiLogger } from './logger';
import { capturingNetworkClient, httpsNetworkClient, type CapturingNetworkClient } from './msal-network';

export interface TokenCredentials {
  /** The carrier's multi-tenant app, consented in every customer tenant. */
  app: AppCredential;
  /** Customers who insist on their own app: tenant id → its credential (a map, or a lookup called on each request). */
  perTenant?: Record<string, AppCredential> | ((tenantId: string) => AppCredential | undefined);
}

export interface TokenProviderOptions {
  /** Entra ID's host; default https://login.microsoftonline.com (the emulator: its URL). */
  authorityHost?: string;
  credentials: TokenCredentials;
  /**
   * Authority hosts msal trusts without instance discovery. Default: none for
   * Microsoft's login hosts, `[authorityHost]` for any other (the emulator) —
   * otherwise msal would ask login.microsoftonline.com about it.
   */
  knownAuthorities?: string[];
  /** msal's network client; default: the library's node:https client (keep-alive, trusting `ca`). */
  networkClient?: INetworkModule;
  /** Extra CA certificate(s) to trust for Entra ID (the emulator's test CA). Ignored with `networkClient`. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Per HTTP request to Entra ID; default 30 s. */
  requestTimeoutMs?: number;
  /**
   * Ask for a new token when the cached one expires within this; default 5 min
   * (msal itself renews 5 min before expiry, so smaller values act as 5 min).
   */
  refreshBeforeExpiryMs?: number;
  /**
   * A cache plugin per partition `<clientId>.<tenantId>` (e.g. a shared Redis
   * cache across replicas). Default: msal's in-memory cache, one per application,
   * which is already one partition per (client, tenant).
   */
  cachePluginFor?: (partitionKey: string) => ICachePlugin;
  logger?: CiApiLogger;
  /** For tests. */
  now?: () => number;
}

export interface GetTokenOptions {
  /** Skip msal's cache (the API answered 401 to the cached token). Joins a forced request already in flight. */
  forceRefresh?: boolean;
}

export interface TokenProvider {
  /** An app-only access token for the CI scope in this customer tenant; rejects with a TokenError. */
  getToken(tenantId: string, opts?: GetTokenOptions): Promise<string>;
  /** The client id used for this tenant (the multi-tenant app or its override). */
  clientIdFor(tenantId: string): string;
  /** Drops every application and closes the network client's connections. */
  close(): void;
}

const MICROSOFT_LOGIN_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

interface TenantApp {
  tenantId: string;
  partitionKey: string;
  credentialHash: string;
  credential: ResolvedCredential;
  cca: ConfidentialClientApplication;
  /** Expiry (ms since epoch) of the token last handed out. */
  expiresOn?: number;
}

interface InFlight {
  promise: Promise<string>;
  /** Went past msal's cache. */
  fresh: boolean;
}

function normaliseAuthorityHost(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`authorityHost: not a URL: ${value}`);
  }
  if (url.protocol !== 'https:') throw new Error(`authorityHost: must be https (msal refuses anything else): ${value}`);
  if (url.pathname !== '/' || url.search || url.hash) throw new Error(`authorityHost: give the host only (no path such as a tenant): ${value}`);
  return url.origin;
}

const hashCredential = (c: ResolvedCredential) =>
  createHash('sha256')
    .update(JSON.stringify([c.clientId, c.msal]))
    .digest('base64url')
    .slice(0, 16);

/**
 * Entra ID app-only tokens for the CI providers API, per customer tenant
 * (client credentials, scope `f448d7e5-…/.default`). One long-lived msal
 * ConfidentialClientApplication per (client, tenant); one token request in
 * flight per tenant (concurrent callers share it); tokens served from msal's
 * cache until `refreshBeforeExpiryMs` before they expire.
 */
export function createTokenProvider(opts: TokenProviderOptions): TokenProvider {
  const authorityHost = normaliseAuthorityHost(opts.authorityHost ?? DEFAULT_AUTHORITY_HOST);
  const knownAuthorities = opts.knownAuthorities ?? (MICROSOFT_LOGIN_HOSTS.has(new URL(authorityHost).hostname) ? undefined : [authorityHost]);
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const refreshBeforeExpiryMs = opts.refreshBeforeExpiryMs ?? 5 * 60_000;
  if (!Number.isFinite(refreshBeforeExpiryMs) || refreshBeforeExpiryMs < 0) throw new Error('refreshBeforeExpiryMs: must be a number >= 0');

  const defaultCredential = resolveCredential(opts.credentials.app, 'credentials.app');
  const perTenant = opts.credentials.perTenant;
  const overrides = new Map<string, ResolvedCredential>();
  if (perTenant && typeof perTenant === 'object') {
    for (const [tenantId, c] of Object.entries(perTenant)) {
      if (!GUID_RE.test(tenantId)) throw new Error(`bad Entra credentials: credentials.perTenant: key ${tenantId} is not a tenant id (GUID)`);
      overrides.set(tenantId.toLowerCase(), resolveCredential(c, `credentials.perTenant[${tenantId}]`));
    }
  }
  const network: CapturingNetworkClient = opts.networkClient
    ? capturingNetworkClient(opts.networkClient)
    : httpsNetworkClient({ ...(opts.ca !== undefined ? { ca: opts.ca } : {}), ...(opts.requestTimeoutMs !== undefined ? { timeoutMs: opts.requestTimeoutMs } : {}) });

  const apps = new Map<string, TenantApp>();
  const inFlight = new Map<string, InFlight>();
  let closed = false;

  const credentialFor = (tenantId: string): ResolvedCredential => {
    if (typeof perTenant === 'function') {
      const c = perTenant(tenantId);
      return c ? resolveCredential(c, `credentials.perTenant(${tenantId})`) : defaultCredential;
    }
    return overrides.get(tenantId) ?? defaultCredential;
  };

  const appFor = (tenantId: string): TenantApp => {
    const credential = credentialFor(tenantId);
    const credentialHash = hashCredential(credential);
    const existing = apps.get(tenantId);
    if (existing && existing.credentialHash === credentialHash) return existing;
    const partitionKey = `${credential.clientId}.${tenantId}`;
    const cachePlugin = opts.cachePluginFor?.(partitionKey);
    const cca = new ConfidentialClientApplication({
      auth: { clientId: credential.clientId, authority: `${authorityHost}/${tenantId}`, ...(knownAuthorities ? { knownAuthorities } : {}), ...credential.msal },
      ...(cachePlugin ? { cache: { cachePlugin } } : {}),
      system: {
        networkClient: network,
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (level, message, containsPii) => {
            if (containsPii) return;
            if (level === LogLevel.Error) logger.warn({ tenantId, clientId: credential.clientId, msal: message }, 'msal error');
            else logger.debug({ tenantId, clientId: credential.clientId, msal: message }, 'msal');
          },
        },
      },
    });
    const app: TenantApp = { tenantId, partitionKey, credentialHash, credential, cca };
    apps.set(tenantId, app);
    if (existing) logger.info({ tenantId, clientId: credential.clientId }, 'Entra credentials changed for the tenant: new msal application');
    return app;
  };

  const acquire = async (app: TenantApp, fresh: boolean): Promise<string> => {
    const { tenantId } = app;
    const clientId = app.credential.clientId;
    try {
      const result = await app.cca.acquireTokenByClientCredential({ scopes: [CI_SCOPE], ...(fresh ? { skipCache: true } : {}) });
      if (!result?.accessToken) throw new TokenError({ code: 'unknown', message: `Entra ID answered without an access token for tenant ${tenantId}`, tenantId, clientId, retryable: true });
      app.expiresOn = result.expiresOn ? result.expiresOn.getTime() : undefined;
      logger.debug({ tenantId, clientId, fromCache: result.fromCache, expiresOn: result.expiresOn?.toISOString() }, result.fromCache ? 'token from cache' : 'token acquired');
      return result.accessToken;
    } catch (err) {
      const e = toTokenError(err, { tenantId, clientId, authorityHost, captured: network.lastFailure(tenantId) });
      logger.warn({ tenantId, clientId, code: e.code, aadsts: e.aadsts, retryable: e.retryable }, e.message);
      throw e;
    }
  };

  const getToken = async (rawTenantId: string, o: GetTokenOptions = {}): Promise<string> => {
    if (closed) throw new Error('the token provider is closed');
    const tenantId = typeof rawTenantId === 'string' ? rawTenantId.trim().toLowerCase() : '';
    if (!GUID_RE.test(tenantId)) {
      throw new TokenError({
        code: 'tenant-not-found',
        message: `'${String(rawTenantId)}' is not a tenant id: give the customer's Entra tenant id (a GUID)`,
        tenantId: String(rawTenantId),
        clientId: defaultCredential.clientId,
        retryable: false,
      });
    }
    const current = inFlight.get(tenantId);
    if (current) {
      if (!o.forceRefresh || current.fresh) return current.promise;
      // A forced refresh while a cached read is in flight: let it finish, then ask again.
      await current.promise.catch(() => undefined);
      return getToken(tenantId, o);
    }
    let app: TenantApp;
    try {
      app = appFor(tenantId);
    } catch (err) {
      throw new TokenError({ code: 'invalid-client', message: (err as Error).message, tenantId, clientId: defaultCredential.clientId, retryable: false, cause: err });
    }
    const nearExpiry = app.expiresOn !== undefined && app.expiresOn - now() <= refreshBeforeExpiryMs;
    const fresh = o.forceRefresh === true || nearExpiry;
    const promise = acquire(app, fresh).finally(() => {
      if (inFlight.get(tenantId)?.promise === promise) inFlight.delete(tenantId);
    });
    inFlight.set(tenantId, { promise, fresh });
    return promise;
  };

  return {
    getToken,
    clientIdFor: (tenantId) => credentialFor(tenantId.trim().toLowerCase()).clientId,
    close() {
      closed = true;
      apps.clear();
      inFlight.clear();
      network.close();
    },
  };
}
