import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';
import { ConfidentialClientApplication, type AuthError } from '@azure/msal-node';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { caTrustingNetworkClient } from './msal-network-client';

// Real process, real TLS, real msal-node: the token endpoint as a provider's
// connector will use it (README.md in this folder is the recipe).
const CI_SCOPE = 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3/.default';
const APP = '1a1a1a1a-1111-4111-8111-111111111111';
const APP_UNCONSENTED = '2b2b2b2b-2222-4222-8222-222222222222';
const APP_CERT_ONLY = '3c3c3c3c-3333-4333-8333-333333333333';
const TENANT = 'a0a0a0a0-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const TENANT_NO_ROLE = 'b0b0b0b0-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const SECRET = 'Zx8~secret-value-of-the-carrier-app';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('Entra token endpoint (msal-node against the emulator process)', () => {
  let emu: EmulatorProcess;
  let cert: { thumbprintSha256: string; privateKey: string };

  beforeAll(async () => {
    emu = await startEmulator({
      configFile: {
        apps: [
          { clientId: APP, displayName: 'carrier app', secrets: [SECRET], certificates: ['certs/app.pem'] },
          { clientId: APP_UNCONSENTED, secrets: ['other-secret'] },
          { clientId: APP_CERT_ONLY, certificates: ['certs/app.pem'], secrets: [{ value: 'expired-secret', expiresAt: '2020-01-01T00:00:00Z' }] },
        ],
        tenants: [
          { tenantId: TENANT, displayName: 'Contoso', consents: [{ clientId: APP, roles: ['Users.Read.All'] }, { clientId: APP_CERT_ONLY, roles: ['Users.Read.All'] }] },
          { tenantId: TENANT_NO_ROLE, consents: [{ clientId: APP, roles: [] }] },
        ],
      },
    });
    const pem = readFileSync(join(emu.certsDir, 'app.pem'), 'utf8');
    cert = { thumbprintSha256: new X509Certificate(pem).fingerprint256.replace(/:/g, ''), privateKey: readFileSync(join(emu.certsDir, 'app-key.pem'), 'utf8') };
  });
  afterAll(async () => {
    await emu?.stop();
  });

  const cca = (clientId: string, tenant: string, credential: { clientSecret: string } | { clientCertificate: { thumbprintSha256: string; privateKey: string } }) =>
    new ConfidentialClientApplication({
      auth: { clientId, authority: `${emu.url}/${tenant}`, knownAuthorities: [emu.url], ...credential },
      system: { networkClient: caTrustingNetworkClient(emu.ca) },
    });

  const msalError = async (p: Promise<unknown>): Promise<AuthError> => {
    try {
      await p;
    } catch (err) {
      return err as AuthError;
    }
    throw new Error('expected msal to fail');
  };

  it('issues an RS256 app token to msal-node with a client secret, with the consented role', async () => {
    const result = await cca(APP, TENANT, { clientSecret: SECRET }).acquireTokenByClientCredential({ scopes: [CI_SCOPE] });
    expect(result?.accessToken).toBeTruthy();
    const claims = claimsOf(result?.accessToken ?? '');
    expect(claims).toMatchObject({ aud: 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3', iss: `${emu.url}/${TENANT}/v2.0`, tid: TENANT, appid: APP, azp: APP, roles: ['Users.Read.All'], ver: '2.0', idtyp: 'app', azpacr: '1' });
    expect(claims['exp']).toBe((claims['iat'] as number) + 3600);
    const header = JSON.parse(Buffer.from((result?.accessToken ?? '').split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(header['alg']).toBe('RS256');
    const jwks = await emu.request('GET', `/${TENANT}/discovery/v2.0/keys`);
    expect((jwks.json.keys as Array<{ kid: string }>).map((k) => k.kid)).toContain(header['kid']);
  });

  it('issues a token to msal-node with a certificate (PS256 assertion, x5t#S256), and again with the same cached assertion', async () => {
    const app = cca(APP, TENANT, { clientCertificate: cert });
    const first = await app.acquireTokenByClientCredential({ scopes: [CI_SCOPE] });
    expect(claimsOf(first?.accessToken ?? '')).toMatchObject({ tid: TENANT, appid: APP, azpacr: '2', roles: ['Users.Read.All'] });
    // skipCache makes msal ask again; it re-sends the assertion it built (same jti) until it expires.
    const second = await app.acquireTokenByClientCredential({ scopes: [CI_SCOPE], skipCache: true });
    expect(second?.accessToken).not.toBe(first?.accessToken);
    const certOnly = await cca(APP_CERT_ONLY, TENANT, { clientCertificate: cert }).acquireTokenByClientCredential({ scopes: [CI_SCOPE] });
    expect(claimsOf(certOnly?.accessToken ?? '')['appid']).toBe(APP_CERT_ONLY);
  });

  it('a consent without roles gives a token without roles (as Entra does)', async () => {
    const result = await cca(APP, TENANT_NO_ROLE, { clientSecret: SECRET }).acquireTokenByClientCredential({ scopes: [CI_SCOPE] });
    expect(claimsOf(result?.accessToken ?? '')['roles']).toBeUndefined();
  });

  it.each([
    ['a wrong secret', () => cca(APP, TENANT, { clientSecret: 'wrong' }), [CI_SCOPE], 'invalid_client', 'AADSTS7000215'],
    ['an expired secret', () => cca(APP_CERT_ONLY, TENANT, { clientSecret: 'expired-secret' }), [CI_SCOPE], 'invalid_client', 'AADSTS7000222'],
    ['an unknown client', () => cca('9f9f9f9f-9999-4999-8999-999999999999', TENANT, { clientSecret: SECRET }), [CI_SCOPE], 'unauthorized_client', 'AADSTS700016'],
    ['a scope of the CI app other than /.default', () => cca(APP, TENANT, { clientSecret: SECRET }), ['f448d7e5-e313-4f90-a3eb-5dbb3277e4b3/Users.Read.All'], 'invalid_scope', 'AADSTS70011'],
    ["another resource's /.default", () => cca(APP, TENANT, { clientSecret: SECRET }), ['https://graph.microsoft.com/.default'], 'invalid_resource', 'AADSTS500011'],
    ['an app not consented in the tenant', () => cca(APP_UNCONSENTED, TENANT, { clientSecret: 'other-secret' }), [CI_SCOPE], 'invalid_client', 'AADSTS7000229'],
  ])('msal-node gets the Entra error for %s', async (_what, make, scopes, code, aadsts) => {
    const err = await msalError(make().acquireTokenByClientCredential({ scopes }));
    expect(err.errorCode).toBe(code);
    expect(err.errorMessage).toContain(`${aadsts}:`);
    expect(err.errorMessage).toMatch(/Trace ID: [0-9a-f-]{36}/);
  });

  it('msal-node fetched only the OpenID configuration and the token endpoint of the emulator (no instance discovery)', async () => {
    const log = await emu.request('GET', '/emulator/requests?kind=discovery&limit=10000');
    const paths = new Set((log.json.last as Array<{ path: string }>).map((r) => r.path));
    // (the keys request is this spec's own, in the first test)
    expect(paths).toEqual(new Set([`/${TENANT}/v2.0/.well-known/openid-configuration`, `/${TENANT_NO_ROLE}/v2.0/.well-known/openid-configuration`, `/${TENANT}/discovery/v2.0/keys`]));
  });

  it('msal-node gets AADSTS700027 for a certificate the app does not have', async () => {
    const other = { thumbprintSha256: createHash('sha256').update('not a cert').digest('hex'), privateKey: cert.privateKey };
    const err = await msalError(cca(APP, TENANT, { clientCertificate: other }).acquireTokenByClientCredential({ scopes: [CI_SCOPE] }));
    expect(err.errorCode).toBe('invalid_client');
    expect(err.errorMessage).toContain('AADSTS700027:');
    expect(err.errorMessage).toContain(other.thumbprintSha256.toUpperCase());
  });

  describe('raw requests (as the seed\'s curl sends them)', () => {
    const form = (extra: Record<string, string> = {}) => ({ client_id: APP, grant_type: 'client_credentials', scope: CI_SCOPE, client_secret: SECRET, ...extra });
    const post = (tenant: string, f: Record<string, string>) => emu.request('POST', `/${tenant}/oauth2/v2.0/token`, { form: f });

    it('answers the token response exactly', async () => {
      const r = await post(TENANT, form());
      expect(r.status).toBe(200);
      expect(Object.keys(r.json).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
      expect(r.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600 });
      expect(r.headers['cache-control']).toContain('no-store');
    });

    it('rejects an unknown tenant with AADSTS90002 (400) in the Entra error shape', async () => {
      const r = await post('c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc', form());
      expect(r.status).toBe(400);
      expect(Object.keys(r.json).sort()).toEqual(['correlation_id', 'error', 'error_codes', 'error_description', 'error_uri', 'timestamp', 'trace_id']);
      expect(r.json.error).toBe('invalid_request');
      expect(r.json.error_codes).toEqual([90002]);
      expect(r.json.error_description).toMatch(/^AADSTS90002: Tenant 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc' not found\..*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
      expect(r.json.error_uri).toBe('https://login.microsoftonline.com/error?code=90002');
    });

    it.each(['grant_type', 'client_id', 'scope'])('names the missing parameter %s with AADSTS900144', async (name) => {
      const f = form();
      delete (f as Record<string, string>)[name];
      const r = await post(TENANT, f);
      expect(r.status).toBe(400);
      expect(r.json.error_description).toContain(`AADSTS900144: The request body must contain the following parameter: '${name}'.`);
    });

    it('rejects a JSON body as a body without grant_type, saying why', async () => {
      const r = await emu.request('POST', `/${TENANT}/oauth2/v2.0/token`, { json: form() });
      expect(r.status).toBe(400);
      expect(r.json.error_description).toContain("AADSTS900144: The request body must contain the following parameter: 'grant_type'");
      expect(r.json.error_description).toContain('application/x-www-form-urlencoded');
    });

    it('rejects another grant type (AADSTS70003), no credential (AADSTS7000218), a repeated parameter and a bad assertion type (AADSTS9002313)', async () => {
      expect((await post(TENANT, form({ grant_type: 'password' }))).json.error_codes).toEqual([70003]);
      const noCred = form();
      delete (noCred as Record<string, string>).client_secret;
      const r = await post(TENANT, noCred);
      expect(r.status).toBe(401);
      expect(r.json.error_codes).toEqual([7000218]);
      const repeated = await emu.request('POST', `/${TENANT}/oauth2/v2.0/token`, { body: `${new URLSearchParams(form()).toString()}&scope=x`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(repeated.json.error_codes).toEqual([9002313]);
      expect(repeated.json.error_description).toContain("'scope' is given more than once");
      const noSecret = { client_id: APP, grant_type: 'client_credentials', scope: CI_SCOPE, client_assertion: 'a.b.c', client_assertion_type: 'urn:other' };
      expect((await post(TENANT, noSecret)).json.error_codes).toEqual([9002313]);
      expect((await post(TENANT, { ...noSecret, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' })).json.error_codes).toEqual([50027]);
    });

    it('serves the OpenID configuration msal-node reads, pointing at the emulator, and 400 for an unknown tenant', async () => {
      const r = await emu.request('GET', `/${TENANT}/v2.0/.well-known/openid-configuration`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ token_endpoint: `${emu.url}/${TENANT}/oauth2/v2.0/token`, issuer: `${emu.url}/${TENANT}/v2.0`, jwks_uri: `${emu.url}/${TENANT}/discovery/v2.0/keys` });
      const unknown = await emu.request('GET', '/d0d0d0d0-dddd-4ddd-8ddd-dddddddddddd/v2.0/.well-known/openid-configuration');
      expect(unknown.status).toBe(400);
      expect(unknown.json.error_codes).toEqual([90002]);
      const common = await emu.request('GET', '/common/discovery/v2.0/keys');
      expect(common.json.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(common.json.keys[0].d).toBeUndefined();
    });

    it('an oversize token request is a 413 in the Entra shape and the process keeps serving', async () => {
      const r = await post(TENANT, form({ padding: 'x'.repeat(70 * 1024) }));
      expect(r.status).toBe(413);
      expect(r.json.error_description).toContain('larger than 64 KiB');
      expect((await post(TENANT, form())).status).toBe(200);
    });
  });
});
