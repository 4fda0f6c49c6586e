import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { parseEmulatorFile } from '../config/emulator-file';
import { RegistrationStore } from '../state/registrations';
import { mintCerts } from '@ci-connector/ci-emulator-testing';
import { CI_SCOPE } from './ci-app';
import { Directory } from './directory';
import { SigningKeys } from './signing-keys';
import { TokenService } from './token-service';

const BASE = 'https://127.0.0.1:18443';
const APP = '1a1a1a1a-1111-4111-8111-111111111111';
const OTHER = '2b2b2b2b-2222-4222-8222-222222222222';
const T = 'a0a0a0a0-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const AUD = `${BASE}/${T}/oauth2/v2.0/token`;
const FORM = 'application/x-www-form-urlencoded';

describe('TokenService (the token endpoint rules, one by one)', () => {
  let dir: string;
  let svc: TokenService;
  let keys: SigningKeys;
  let key: ReturnType<typeof createPrivateKey>;
  let x5tS256: string;
  let x5t: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entra-spec-'));
    mintCerts(dir);
    mintCerts(dir, 'client', 'other', 'other.example');
    const doc = {
      apps: [
        { clientId: APP, secrets: ['right'], certificates: ['app.pem'] },
        { clientId: OTHER, secrets: ['other'] },
      ],
      tenants: [{ tenantId: T, consents: [{ clientId: APP, roles: ['Users.Read.All'] }] }],
    };
    const parsed = parseEmulatorFile(doc, dir);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    keys = await SigningKeys.create();
    svc = new TokenService(new Directory(parsed.value, new RegistrationStore()), keys, BASE);
    key = createPrivateKey(readFileSync(join(dir, 'app-key.pem')));
    const raw = new X509Certificate(readFileSync(join(dir, 'app.pem'))).raw;
    x5tS256 = (await import('node:crypto')).createHash('sha256').update(raw).digest('base64url');
    x5t = (await import('node:crypto')).createHash('sha1').update(raw).digest('base64url');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const form = (p: Record<string, string>) => Buffer.from(new URLSearchParams(p).toString());
  const base = { client_id: APP, grant_type: 'client_credentials', scope: CI_SCOPE };
  const run = async (p: Record<string, string>, tenant = T, contentType = FORM, now = new Date()) => svc.handle({ tenantSegment: tenant, contentType, body: form(p) }, now);
  const code = async (p: Record<string, string>, tenant = T, contentType = FORM) => {
    const r = await run(p, tenant, contentType);
    return r.ok ? 'ok' : `${r.error.status} ${r.error.error} ${r.error.code}`;
  };
  const assertion = (o: { alg?: string; header?: Record<string, unknown>; claims?: Record<string, unknown>; signWith?: ReturnType<typeof createPrivateKey> } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const alg = o.alg ?? 'PS256';
    return new SignJWT({ aud: AUD, iss: APP, sub: APP, jti: 'j1', nbf: now, exp: now + 600, ...o.claims })
      .setProtectedHeader({ alg, typ: 'JWT', 'x5t#S256': x5tS256, ...o.header })
      .sign(o.signWith ?? key);
  };
  const withAssertion = async (a: string) => ({ ...base, client_assertion: a, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });

  it('issues a token for the right secret, with the claims the providers API checks', async () => {
    const r = await run({ ...base, client_secret: 'right' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.claims).toMatchObject({ aud: 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3', iss: `${BASE}/${T}/v2.0`, tid: T, appid: APP, azp: APP, roles: ['Users.Read.All'], ver: '2.0', idtyp: 'app' });
    expect(r.claims['oid']).toBe(r.claims['sub']);
    await expect(keys.verify(r.body.access_token)).resolves.toMatchObject({ claims: { tid: T } });
  });

  it.each([
    ['an unknown tenant', { ...base, client_secret: 'right' }, 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc', FORM, '400 invalid_request 90002'],
    ['a tenant name instead of a GUID', { ...base, client_secret: 'right' }, 'contoso.onmicrosoft.com', FORM, '400 invalid_request 90002'],
    ['a JSON content type', { ...base, client_secret: 'right' }, T, 'application/json', '400 invalid_request 900144'],
    ['no grant_type', { client_id: APP, scope: CI_SCOPE, client_secret: 'right' }, T, FORM, '400 invalid_request 900144'],
    ['another grant', { ...base, grant_type: 'authorization_code', client_secret: 'right' }, T, FORM, '400 unsupported_grant_type 70003'],
    ['no client_id', { grant_type: 'client_credentials', scope: CI_SCOPE, client_secret: 'right' }, T, FORM, '400 invalid_request 900144'],
    ['no scope', { client_id: APP, grant_type: 'client_credentials', client_secret: 'right' }, T, FORM, '400 invalid_request 900144'],
    ['two scopes', { ...base, scope: `${CI_SCOPE} openid`, client_secret: 'right' }, T, FORM, '400 invalid_scope 70011'],
    ['the scope in upper case', { ...base, scope: CI_SCOPE.toUpperCase(), client_secret: 'right' }, T, FORM, '400 invalid_scope 70011'],
    ["another resource's .default", { ...base, scope: 'api://other/.default', client_secret: 'right' }, T, FORM, '400 invalid_resource 500011'],
    ['an unknown client', { ...base, client_id: '9f9f9f9f-9999-4999-8999-999999999999', client_secret: 'right' }, T, FORM, '400 unauthorized_client 700016'],
    ['no credential', { ...base }, T, FORM, '401 invalid_client 7000218'],
    ['a wrong secret', { ...base, client_secret: 'wrong' }, T, FORM, '401 invalid_client 7000215'],
    ['a secret and an assertion', { ...base, client_secret: 'right', client_assertion: 'x' }, T, FORM, '400 invalid_request 9002313'],
    ['an assertion without its type', { ...base, client_assertion: 'x' }, T, FORM, '400 invalid_request 900144'],
    ['an app without consent in the tenant', { ...base, client_id: OTHER, client_secret: 'other' }, T, FORM, '401 invalid_client 7000229'],
  ])('refuses %s', async (_what, p, tenant, ct, expected) => {
    expect(await code(p as Record<string, string>, tenant, ct)).toBe(expected);
  });

  it('accepts a certificate assertion (PS256 x5t#S256 or RS256 x5t) and the same assertion again (msal re-uses it)', async () => {
    const a = await assertion();
    expect(await code(await withAssertion(a))).toBe('ok');
    expect(await code(await withAssertion(a))).toBe('ok');
    expect(await code(await withAssertion(await assertion({ alg: 'RS256', header: { 'x5t#S256': undefined, x5t } })))).toBe('ok');
  });

  it.each([
    ['not a JWT', async () => 'abc', '400 invalid_request 50027'],
    ['alg HS256', async () => `${Buffer.from(JSON.stringify({ alg: 'HS256', 'x5t#S256': 'x' })).toString('base64url')}.e30.sig`, '400 invalid_request 50027'],
    ['no thumbprint header', async () => assertion({ header: { 'x5t#S256': undefined } }), '401 invalid_client 700027'],
    ['an unknown certificate', async () => assertion({ header: { 'x5t#S256': 'AAAA' } }), '401 invalid_client 700027'],
    ['a signature by another key', async () => assertion({ signWith: createPrivateKey(readFileSync(join(dir, 'other-key.pem'))), alg: 'ES256' }), '400 invalid_request 50027'],
    ['iss not the client id', async () => assertion({ claims: { iss: OTHER } }), '401 invalid_client 700021'],
    ['aud of another tenant', async () => assertion({ claims: { aud: `${BASE}/c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc/oauth2/v2.0/token` } }), '401 invalid_client 700023'],
    ['expired', async () => assertion({ claims: { nbf: 1_600_000_000, exp: 1_600_000_600 } }), '401 invalid_client 700024'],
    ['not yet valid', async () => assertion({ claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } }), '401 invalid_client 700024'],
    ['no jti', async () => assertion({ claims: { jti: undefined } }), '400 invalid_request 50027'],
    ['no exp', async () => assertion({ claims: { exp: undefined } }), '400 invalid_request 50027'],
  ])('refuses an assertion that is %s', async (_what, make, expected) => {
    expect(await code(await withAssertion(await make()))).toBe(expected);
  });

  it('refuses an assertion whose signature does not match (AADSTS700027)', async () => {
    const a = await assertion();
    const [h, p] = a.split('.');
    const forged = `${h}.${p}.${Buffer.alloc(256, 1).toString('base64url')}`;
    const r = await run(await withAssertion(forged));
    expect(r.ok ? '' : r.error.description).toContain('did not match the expected signature value');
  });
});
