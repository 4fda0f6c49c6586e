import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { createProvidersClient, createTokenProvider, ProvidersApiError, toRegistrationBody, TokenError, type ProvidersClient, type RetryInfo, type TokenProvider } from './index';

// The real ci-emulator process (nx build ci-emulator first): Entra token
// endpoint and providers API over TLS with its test CA, msal-node for real.

const APP = '1a1a1a1a-1111-4111-8111-111111111111';
const APP_OWN = '5e5e5e5e-5555-4555-8555-555555555555';
const SECRET = 'Zx8~secret-of-the-carrier-app';
const OWN_SECRET = 'own-app-secret';

const tenantId = (n: number) => `${n.toString(16).padStart(8, '0')}-aaaa-4aaa-8aaa-${n.toString(16).padStart(12, '0')}`;
const T = {
  tokens: tenantId(1),
  concurrent: tenantId(2),
  refresh: tenantId(3),
  unconsented: tenantId(4),
  own: tenantId(5),
  register: tenantId(6),
  throttled: tenantId(7),
  failing: tenantId(8),
  badBody: tenantId(9),
  expired401: tenantId(10),
  noRole: tenantId(11),
  array: tenantId(12),
  value: tenantId(13),
  paged: tenantId(14),
  slow: tenantId(15),
  tokenThrottled: tenantId(16),
  certificate: tenantId(17),
};
const UNKNOWN_TENANT = 'deadbeef-dead-4ead-8ead-deaddeaddead';
const USERS = 25_000;

const consented = [{ clientId: APP, roles: ['Users.Read.All'] }];
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('ci-api against the ci-emulator process', () => {
  let emu: EmulatorProcess;
  let tokens: TokenProvider;
  let client: ProvidersClient;
  const opened: Array<{ close(): void }> = [];

  const newTokens = (o: Partial<Parameters<typeof createTokenProvider>[0]> = {}) => {
    const p = createTokenProvider({ authorityHost: emu.url, ca: emu.ca, credentials: { app: { clientId: APP, clientSecret: SECRET } }, ...o });
    opened.push(p);
    return p;
  };
  const newClient = (o: Partial<Parameters<typeof createProvidersClient>[0]> = {}) => {
    const c = createProvidersClient({ baseUrl: emu.url, ca: emu.ca, tokens, timeoutMs: 10_000, retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200, deadlineMs: 30_000 }, ...o });
    opened.push(c);
    return c;
  };
  /** The emulator's counters for one kind and tenant: { status: count }. */
  const counted = async (kind: string, tenant: string): Promise<Record<string, number>> => {
    const r = await emu.request('GET', `/emulator/requests?kind=${kind}&tenantId=${tenant}`);
    const out: Record<string, number> = {};
    for (const c of r.json.counters as Array<{ kind: string; tenantId: string; status: number; count: number }>)
      if (c.kind === kind && c.tenantId === tenant) out[c.status] = (out[c.status] ?? 0) + c.count;
    return out;
  };
  /** Requests of a kind the emulator could not tie to a tenant (a token it refused), by status. */
  const untenanted = async (kind: string, status: number): Promise<number> => {
    const r = await emu.request('GET', `/emulator/requests?kind=${kind}`);
    return (r.json.counters as Array<{ kind: string; tenantId: string | null; status: number; count: number }>)
      .filter((c) => c.kind === kind && c.tenantId === null && c.status === status)
      .reduce((n, c) => n + c.count, 0);
  };
  const fault = async (f: Record<string, unknown>) => expect((await emu.request('POST', '/emulator/faults', { json: f })).status).toBe(201);
  const rejection = async (p: Promise<unknown>): Promise<unknown> => {
    try {
      await p;
    } catch (err) {
      return err;
    }
    throw new Error('expected a rejection');
  };
  const tenantFor = (id: string, over: Partial<ReturnType<typeof baseTenant>> = {}) => ({ ...baseTenant(id), ...over });
  const baseTenant = (id: string) => ({
    id,
    orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
    displayName: 'Example Carrier',
    hosting: 'cloud' as const,
    accountId: `AC-${id.slice(0, 8)}`,
    certificate: { subject: 'CN=sbc.carrier.example,O=Example Carrier', issuer: 'CN=ci-emulator test CA' },
    sourceIpNetwork: '127.0.0.1',
  });

  beforeAll(async () => {
    const plain = [T.tokens, T.concurrent, T.refresh, T.register, T.throttled, T.failing, T.badBody, T.expired401, T.slow, T.tokenThrottled, T.certificate];
    emu = await startEmulator({
      configFile: {
        apps: [
          { clientId: APP, displayName: 'carrier connector', secrets: [SECRET], certificates: ['certs/app.pem'] },
          { clientId: APP_OWN, displayName: "a customer's own app", secrets: [OWN_SECRET] },
        ],
        tenants: [
          ...plain.map((tenantId) => ({ tenantId, consents: consented })),
          { tenantId: T.unconsented, displayName: 'Fabrikam (no consent)', consents: [] },
          { tenantId: T.own, consents: [{ clientId: APP_OWN, roles: ['Users.Read.All'] }] },
          { tenantId: T.noRole, consents: [{ clientId: APP, roles: [] }] },
          ...(['array', 'value', 'paged'] as const).map((shape) => ({
            tenantId: T[shape],
            consents: consented,
            users: { generate: { count: USERS, seed: shape, domain: `${shape}.example` } },
            usersResponse: shape === 'paged' ? { shape, pageSize: 1000 } : { shape },
          })),
        ],
      },
    });
    tokens = newTokens();
    client = newClient();
  });
  afterAll(async () => {
    for (const o of opened) o.close();
    await emu?.stop();
  });

  describe('token provider', () => {
    it('gets an app-only token for the CI scope with the client secret', async () => {
      const token = await tokens.getToken(T.tokens);
      expect(claimsOf(token)).toMatchObject({ aud: 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3', tid: T.tokens, appid: APP, azpacr: '1', roles: ['Users.Read.All'] });
    });

    it('gets a token with the certificate (PEM files; thumbprint computed)', async () => {
      const p = newTokens({
        credentials: { app: { clientId: APP, certificatePem: readFileSync(join(emu.certsDir, 'app.pem'), 'utf8'), privateKeyPem: readFileSync(join(emu.certsDir, 'app-key.pem'), 'utf8') } },
      });
      expect(claimsOf(await p.getToken(T.certificate))).toMatchObject({ tid: T.certificate, appid: APP, azpacr: '2' });
    });

    it("uses a tenant's own app when it has one", async () => {
      const p = newTokens({ credentials: { app: { clientId: APP, clientSecret: SECRET }, perTenant: { [T.own]: { clientId: APP_OWN, clientSecret: OWN_SECRET } } } });
      expect(claimsOf(await p.getToken(T.own))).toMatchObject({ tid: T.own, appid: APP_OWN });
      expect(p.clientIdFor(T.own)).toBe(APP_OWN);
      expect(p.clientIdFor(T.tokens)).toBe(APP);
    });

    it('N concurrent getToken for a tenant make one token request (counted at the emulator), then the cache serves', async () => {
      const p = newTokens();
      const all = await Promise.all(Array.from({ length: 25 }, () => p.getToken(T.concurrent)));
      expect(new Set(all).size).toBe(1);
      expect(await counted('token', T.concurrent)).toEqual({ 200: 1 });
      expect(await p.getToken(T.concurrent)).toBe(all[0]);
      expect(await counted('token', T.concurrent)).toEqual({ 200: 1 });
    });

    it('asks for a new token when the cached one is within the refresh margin', async () => {
      // 3600 s tokens with a margin of 3601 s: every call is "about to expire".
      const p = newTokens({ refreshBeforeExpiryMs: 3_601_000 });
      const first = await p.getToken(T.refresh);
      const second = await p.getToken(T.refresh);
      expect(second).not.toBe(first);
      expect(await counted('token', T.refresh)).toEqual({ 200: 2 });
    });

    it('a wrong secret → TokenError invalid-client (AADSTS7000215)', async () => {
      const p = newTokens({ credentials: { app: { clientId: APP, clientSecret: 'wrong' } } });
      const err = (await rejection(p.getToken(T.tokens))) as TokenError;
      expect(err).toBeInstanceOf(TokenError);
      expect(err).toMatchObject({ code: 'invalid-client', aadsts: 7000215, retryable: false, httpStatus: 401, tenantId: T.tokens, clientId: APP });
      expect(err.message).toMatch(/^tenant .* refused the credentials of app .* \(AADSTS7000215\): the client secret is wrong/);
    });

    it('an unconsented tenant → TokenError consent-missing (AADSTS7000229) telling what to ask the customer', async () => {
      const err = (await rejection(tokens.getToken(T.unconsented))) as TokenError;
      expect(err).toMatchObject({ code: 'consent-missing', aadsts: 7000229, retryable: false });
      expect(err.message).toContain(`tenant ${T.unconsented} has not granted admin consent to app ${APP} (AADSTS7000229): ask the customer's admin to consent`);
    });

    it('an unknown tenant → TokenError tenant-not-found (AADSTS90002, from the failed discovery)', async () => {
      const err = (await rejection(tokens.getToken(UNKNOWN_TENANT))) as TokenError;
      expect(err).toMatchObject({ code: 'tenant-not-found', aadsts: 90002, retryable: false });
      expect(err.message).toContain(`Entra ID does not know tenant ${UNKNOWN_TENANT} (AADSTS90002)`);
      const notGuid = (await rejection(tokens.getToken('contoso'))) as TokenError;
      expect(notGuid).toMatchObject({ code: 'tenant-not-found', retryable: false });
    });

    it('Entra ID throttling (429 + Retry-After) → TokenError throttled, retryable, with the wait', async () => {
      await fault({ kind: 'token', type: '429', retryAfter: 7, tenantId: T.tokenThrottled, count: 1 });
      const err = (await rejection(newTokens().getToken(T.tokenThrottled))) as TokenError;
      expect(err).toMatchObject({ code: 'throttled', retryable: true, httpStatus: 429, retryAfterMs: 7000, aadsts: 90033 });
      expect(await counted('token', T.tokenThrottled)).toEqual({ 429: 1 });
    });
  });

  describe('providers API client', () => {
    it("registers a tenant with the seed's body: created, then unchanged", async () => {
      const tenant = tenantFor(T.register);
      expect(await client.registerTenant(tenant)).toMatchObject({ status: 'created', httpStatus: 201, attempts: 1 });
      expect(await client.registerTenant(tenant)).toMatchObject({ status: 'unchanged', httpStatus: 200, attempts: 1 });
      const stored = (await emu.request('GET', '/emulator/registrations')).json.registrations as Array<{ tenantId: string; clientId: string; rawBody: unknown }>;
      const mine = stored.filter((r) => r.tenantId === T.register);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ clientId: APP, rawBody: toRegistrationBody(tenant) });
      expect(await counted('register', T.register)).toEqual({ 201: 1, 200: 1 });
    });

    it('429 with Retry-After → waits at least that long (onRetry), then registers', async () => {
      await fault({ kind: 'register', type: '429', retryAfter: 1, tenantId: T.throttled, count: 1 });
      const retries: RetryInfo[] = [];
      const result = await client.registerTenant(tenantFor(T.throttled), { onRetry: (i) => retries.push(i) });
      expect(result).toMatchObject({ status: 'created', attempts: 2 });
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ attempt: 1, tenantId: T.throttled, error: { code: 'throttled', status: 429, retryAfterMs: 1000, retryable: true } });
      expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(1000);
      expect(retries[0]?.error.message).toContain('answered 429 TooManyRequests');
      expect(await counted('register', T.throttled)).toEqual({ 429: 1, 201: 1 });
    });

    it('500 twice → retried with back-off, then registers', async () => {
      await fault({ kind: 'register', type: '500', tenantId: T.failing, count: 2 });
      const retries: RetryInfo[] = [];
      const c = newClient({ onRetry: (i) => retries.push(i) });
      expect(await c.registerTenant(tenantFor(T.failing))).toMatchObject({ status: 'created', attempts: 3 });
      expect(retries.map((r) => [r.attempt, r.error.code, (r.error as ProvidersApiError).status])).toEqual([
        [1, 'server-error', 500],
        [2, 'server-error', 500],
      ]);
      expect(await counted('register', T.failing)).toEqual({ 500: 2, 201: 1 });
    });

    it('a body the API refuses (400) → no retry, the error names the field', async () => {
      const retries: RetryInfo[] = [];
      const err = (await rejection(client.registerTenant(tenantFor(T.badBody, { sourceIpNetwork: '10.1.2.3/8' }), { onRetry: (i) => retries.push(i) }))) as ProvidersApiError;
      expect(err).toBeInstanceOf(ProvidersApiError);
      expect(err).toMatchObject({ code: 'bad-request', status: 400, retryable: false, attempts: 1 });
      expect(err.fields.map((f) => f.field)).toEqual(['AuthenticationDetails.SourceIPNetwork']);
      expect(err.message).toContain('AuthenticationDetails.SourceIPNetwork (tenant field sourceIpNetwork)');
      expect(retries).toEqual([]);
      expect(await counted('register', T.badBody)).toEqual({ 400: 1 });
    });

    it('401 → one fresh token, then success', async () => {
      const asked: Array<boolean | undefined> = [];
      const stale = { getToken: (t: string, o?: { forceRefresh?: boolean }) => (asked.push(o?.forceRefresh), o?.forceRefresh ? tokens.getToken(t, o) : Promise.resolve('stale.token.value')) };
      const retries: RetryInfo[] = [];
      const c = newClient({ tokens: stale, onRetry: (i) => retries.push(i) });
      const refusedBefore = await untenanted('register', 401);
      expect(await c.registerTenant(tenantFor(T.expired401))).toMatchObject({ status: 'created', attempts: 2 });
      expect(asked).toEqual([undefined, true]);
      expect(retries).toMatchObject([{ delayMs: 0, error: { code: 'unauthorized', status: 401 } }]);
      // the emulator cannot tell whose the refused token was: it counts the 401 without a tenant
      expect((await untenanted('register', 401)) - refusedBefore).toBe(1);
      expect(await counted('register', T.expired401)).toEqual({ 201: 1 });
    });

    it('403 (consent without the Users.Read.All role) → no retry, says what to ask', async () => {
      const err = (await rejection(client.registerTenant(tenantFor(T.noRole)))) as ProvidersApiError;
      expect(err).toMatchObject({ code: 'forbidden', status: 403, retryable: false, attempts: 1 });
      expect(err.message).toContain('Users.Read.All');
    });

    it('a token failure surfaces as the TokenError', async () => {
      const err = await rejection(client.registerTenant(tenantFor(T.unconsented)));
      expect(err).toBeInstanceOf(TokenError);
      expect((err as TokenError).code).toBe('consent-missing');
    });

    it('no answer within timeoutMs → retried', async () => {
      await fault({ kind: 'register', type: 'slow', delayMs: 3000, tenantId: T.slow, count: 1 });
      const retries: RetryInfo[] = [];
      const c = newClient({ timeoutMs: 500 });
      expect(await c.registerTenant(tenantFor(T.slow), { onRetry: (i) => retries.push(i) })).toMatchObject({ attempts: 2 });
      expect(retries.map((r) => r.error.code)).toEqual(['timeout']);
    });

    it.each(['array', 'value', 'paged'] as const)('lists %s users: all 25,000 ids, each once, in pages', async (shape) => {
      const ids = new Set<string>();
      let count = 0;
      let pages = 0;
      for await (const page of client.listUsers(T[shape], { pageSize: 2000 })) {
        pages++;
        expect(page.users.length).toBeLessThanOrEqual(2000);
        expect(page.shape).toBe(shape === 'paged' ? 'value' : shape);
        for (const u of page.users) {
          count++;
          ids.add(String(u['id']));
        }
      }
      expect(count).toBe(USERS);
      expect(ids.size).toBe(USERS);
      // paged: 25 requests of 1000 (the API's pages are never merged); the others: one request
      expect(pages).toBe(shape === 'paged' ? 25 : Math.ceil(USERS / 2000));
      expect(await counted('users', T[shape])).toEqual({ 200: shape === 'paged' ? 25 : 1 });
    });

    it('users: a 500 on a next page is retried and the listing completes', async () => {
      const retries: RetryInfo[] = [];
      let count = 0;
      let page = 0;
      for await (const p of client.listUsers(T.paged, { onRetry: (i) => retries.push(i) })) {
        count += p.users.length;
        if (page++ === 3) await fault({ kind: 'users', type: '500', tenantId: T.paged, count: 1 });
      }
      expect(count).toBe(USERS);
      expect(retries.map((r) => r.error.code)).toEqual(['server-error']);
    });

    it('users for a tenant without the role → forbidden', async () => {
      const err = await rejection((async () => {
        for await (const _ of client.listUsers(T.noRole)) void _;
      })());
      expect(err).toMatchObject({ code: 'forbidden', status: 403 });
    });
  });
});
