import { startEmulator, type EmulatorProcess, type HttpResult } from '@ci-connector/ci-emulator-testing';

// The providers API and the /emulator/ admin on the real process over HTTPS.
const CI_SCOPE = 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3/.default';
const APP = '1a1a1a1a-1111-4111-8111-111111111111';
const SECRET = 'carrier-secret';
const T_PAGED = 'a0a0a0a0-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const T_ARRAY = 'b0b0b0b0-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const T_VALUE = 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc';
const T_NO_ROLE = 'd0d0d0d0-dddd-4ddd-8ddd-dddddddddddd';
const consent = [{ clientId: APP, roles: ['Users.Read.All'] }];
const EXPLICIT = [
  { id: '0e0e0e0e-0000-4000-8000-000000000001', userPrincipalName: 'kiana@contoso.example', mail: 'kiana@contoso.example', displayName: 'Kiana Anderson', businessPhones: ['+14255550101'] },
  { userPrincipalName: 'tomas@contoso.example', displayName: 'Tomas Richardson' },
  { mobilePhone: '+447700900123' },
];
const BODY = {
  orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
  Type: 'custom',
  hosting: 'cloud',
  displayName: 'Test Custom Provider',
  AuthenticationDetails: { AccountId: 'AC0123456789', CertificateSubjectName: 'CN=sbc.carrier.example, O=Example Carrier', CertificateIssuer: 'CN=ci-emulator test CA, O=ci-connector test', SourceIPNetwork: '0.0.0.0' },
};

describe('CI providers API (emulator process)', () => {
  let emu: EmulatorProcess;
  const tokens = new Map<string, string>();

  const token = async (tenant: string): Promise<string> => {
    const cached = tokens.get(tenant);
    if (cached) return cached;
    const r = await emu.request('POST', `/${tenant}/oauth2/v2.0/token`, { form: { client_id: APP, client_secret: SECRET, grant_type: 'client_credentials', scope: CI_SCOPE } });
    expect(r.status).toBe(200);
    tokens.set(tenant, r.json.access_token);
    return r.json.access_token as string;
  };
  const register = async (tenant: string, json: unknown) => emu.request('POST', '/api/v1.0/providers/tenants', { json, bearer: await token(tenant) });
  const fields = (r: HttpResult) => (r.json.error.details as Array<{ field: string }>).map((d) => d.field).sort();

  beforeAll(async () => {
    emu = await startEmulator({
      configFile: {
        apps: [{ clientId: APP, secrets: [SECRET] }],
        tenants: [
          { tenantId: T_PAGED, consents: consent, users: { generate: { count: 250, seed: 'paged' } }, usersResponse: { shape: 'paged', pageSize: 100 } },
          { tenantId: T_ARRAY, consents: consent, users: EXPLICIT, usersResponse: { shape: 'array' } },
          { tenantId: T_VALUE, consents: consent, users: { generate: { count: 10, seed: 'v', domain: 'fabrikam.example' } } },
          { tenantId: T_NO_ROLE, consents: [{ clientId: APP, roles: [] }] },
        ],
      },
    });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  describe('POST /api/v1.0/providers/tenants', () => {
    it('registers (201 + Location), then the same body again changes nothing (200, unchanged)', async () => {
      const first = await register(T_PAGED, BODY);
      expect(first.status).toBe(201);
      expect(first.headers['location']).toBe(`${emu.url}/api/v1.0/providers/tenants/${T_PAGED}`);
      expect(first.json).toMatchObject({ status: 'created', tenantId: T_PAGED, clientId: APP, orgId: BODY.orgId, AuthenticationDetails: BODY.AuthenticationDetails });
      const again = await register(T_PAGED, BODY);
      expect(again.status).toBe(200);
      expect(again.json.status).toBe('unchanged');
      expect(again.json.updatedAt).toBe(first.json.updatedAt);
      const changed = await register(T_PAGED, { ...BODY, displayName: 'Renamed' });
      expect(changed.status).toBe(200);
      expect(changed.json.status).toBe('updated');
      const stored = await emu.request('GET', '/emulator/registrations');
      expect(stored.json.registrations).toEqual([expect.objectContaining({ tenantId: T_PAGED, clientId: APP, displayName: 'Renamed', rawBody: { ...BODY, displayName: 'Renamed' } })]);
    });

    it('binds property names case-insensitively, like ASP.NET', async () => {
      const lower = { orgid: BODY.orgId, type: 'custom', Hosting: 'on-premises', DISPLAYNAME: 'x', authenticationDetails: { accountId: 'A1', certificateSubjectName: 'CN=a', certificateIssuer: 'CN=b', sourceIpNetwork: '192.0.2.0/24' } };
      const r = await register(T_VALUE, lower);
      expect(r.status).toBe(201);
      expect(r.json.AuthenticationDetails.SourceIPNetwork).toBe('192.0.2.0/24');
    });

    it('400 lists every bad field, and nothing is stored', async () => {
      const bad = {
        orgId: 'not-a-guid',
        Type: 'twilio',
        hosting: 'edge',
        displayName: '',
        Extra: 1,
        AuthenticationDetails: { AccountId: 42, CertificateSubjectName: 'CN=x', SourceIPNetwork: '10.0.0.1/8' },
      };
      const r = await register(T_ARRAY, bad);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('ValidationFailed');
      expect(fields(r)).toEqual(['AuthenticationDetails.AccountId', 'AuthenticationDetails.CertificateIssuer', 'AuthenticationDetails.SourceIPNetwork', 'Extra', 'Type', 'displayName', 'hosting', 'orgId']);
      expect(r.json.error.details).toContainEqual({ field: 'AuthenticationDetails.SourceIPNetwork', message: expect.stringContaining('host bits set beyond the /8 prefix (the network is 10.0.0.0/8)') });
      const stored = await emu.request('GET', '/emulator/registrations');
      expect((stored.json.registrations as Array<{ tenantId: string }>).map((x) => x.tenantId)).not.toContain(T_ARRAY);
    });

    it.each([
      ['malformed JSON', 400, 'MalformedJson', { body: '{"orgId": ', headers: { 'content-type': 'application/json' } }],
      ['a non-JSON content type', 415, 'UnsupportedMediaType', { body: 'orgId=1', headers: { 'content-type': 'text/plain' } }],
      ['an array body', 400, 'ValidationFailed', { json: [BODY] }],
      ['an oversize body', 413, 'PayloadTooLarge', { json: { ...BODY, displayName: 'x'.repeat(70 * 1024) } }],
    ])('rejects %s with a JSON %i %s', async (_what, status, code, opts) => {
      const r = await emu.request('POST', '/api/v1.0/providers/tenants', { ...opts, bearer: await token(T_ARRAY) });
      expect(r.status).toBe(status);
      expect(r.json.error.code).toBe(code);
      expect(r.json.error.details.length).toBeGreaterThan(0);
    });

    it('401 without a valid token (WWW-Authenticate names the reason), 403 without Users.Read.All', async () => {
      const none = await emu.request('POST', '/api/v1.0/providers/tenants', { json: BODY });
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="ci-emulator"');
      expect(none.json.error.code).toBe('InvalidToken');
      const good = await token(T_ARRAY);
      const [h, p, s] = good.split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p ?? '', 'base64url').toString()), roles: ['Users.Read.All', 'Admin'] })).toString('base64url')}.${s}`;
      const tampered = await emu.request('POST', '/api/v1.0/providers/tenants', { json: BODY, bearer: forged });
      expect(tampered.status).toBe(401);
      expect(tampered.headers['www-authenticate']).toMatch(/^Bearer realm="ci-emulator", error="invalid_token", error_description=".*signature does not verify/);
      const noRole = await register(T_NO_ROLE, BODY);
      expect(noRole.status).toBe(403);
      expect(noRole.json.error.code).toBe('MissingRole');
      expect(noRole.headers['www-authenticate']).toContain('error="insufficient_scope"');
    });
  });

  describe('GET /api/v1.0/providers/users', () => {
    it('bare array shape', async () => {
      const r = await emu.request('GET', '/api/v1.0/providers/users', { bearer: await token(T_ARRAY) });
      expect(r.status).toBe(200);
      expect(r.json).toEqual(EXPLICIT);
    });

    it('{ value } shape with generated users carrying several identifiers', async () => {
      const r = await emu.request('GET', '/api/v1.0/providers/users', { bearer: await token(T_VALUE) });
      expect(Object.keys(r.json)).toEqual(['value']);
      expect(r.json.value).toHaveLength(10);
      for (const u of r.json.value) {
        expect(u.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(u.userPrincipalName).toMatch(/@fabrikam\.example$/);
        expect(u.mobilePhone).toMatch(/^\+1555\d{7}$/);
        expect(u.businessPhones).toEqual([u.mobilePhone]);
      }
      expect(new Set(r.json.value.map((u: { id: string }) => u.id)).size).toBe(10);
    });

    it('paged shape: follows the absolute https next links (bearer needed on each) through every user once', async () => {
      const bearer = await token(T_PAGED);
      const seen: string[] = [];
      let next: string | undefined = `${emu.url}/api/v1.0/providers/users`;
      let pages = 0;
      while (next) {
        expect(next.startsWith(`${emu.url}/`)).toBe(true);
        const url: URL = new URL(next);
        const r = await emu.request('GET', url.pathname + url.search, { bearer });
        expect(r.status).toBe(200);
        seen.push(...(r.json.value as Array<{ id: string }>).map((u) => u.id));
        next = r.json['@odata.nextLink'];
        pages++;
        if (next) expect((await emu.request('GET', new URL(next).pathname + new URL(next).search)).status).toBe(401);
      }
      expect(pages).toBe(3);
      expect(seen).toHaveLength(250);
      expect(new Set(seen).size).toBe(250);
      const top = await emu.request('GET', '/api/v1.0/providers/users?$top=200', { bearer });
      expect(top.json.value).toHaveLength(200);
    });

    it('400 naming a bad query parameter', async () => {
      const bearer = await token(T_PAGED);
      for (const [q, field] of [['$top=0', '$top'], ['$skiptoken=garbage!', '$skiptoken'], ['$filter=x', '$filter'], ['$top=1&$top=2', '$top']] as const) {
        const r = await emu.request('GET', `/api/v1.0/providers/users?${q}`, { bearer });
        expect(r.status).toBe(400);
        expect(fields(r)).toContain(field);
      }
      const notPaged = await emu.request('GET', '/api/v1.0/providers/users?$skiptoken=eyJvIjoxLCJ2IjoxfQ', { bearer: await token(T_ARRAY) });
      expect(notPaged.status).toBe(400);
      expect(notPaged.json.error.details[0].message).toContain("not paged (shape 'array')");
    });
  });

  describe('/emulator/ admin', () => {
    it('a 429 fault for the next users request, with Retry-After, then normal service; counted in the request log', async () => {
      await emu.request('DELETE', '/emulator/requests');
      const f = await emu.request('POST', '/emulator/faults', { json: { kind: 'users', tenantId: T_VALUE, type: '429', retryAfter: 7, count: 1 } });
      expect(f.status).toBe(201);
      expect((await emu.request('GET', '/emulator/faults')).json.faults).toHaveLength(1);
      const bearer = await token(T_VALUE);
      const throttled = await emu.request('GET', '/api/v1.0/providers/users', { bearer });
      expect(throttled.status).toBe(429);
      expect(throttled.headers['retry-after']).toBe('7');
      expect(throttled.json.error.code).toBe('TooManyRequests');
      expect((await emu.request('GET', '/api/v1.0/providers/users', { bearer })).status).toBe(200);
      expect((await emu.request('GET', '/emulator/faults')).json.faults).toEqual([]);
      const log = await emu.request('GET', `/emulator/requests?kind=users&tenantId=${T_VALUE}`);
      expect(log.json.totals.users).toEqual({ total: 2, byStatus: { '200': 1, '429': 1 }, byTenant: { [T_VALUE]: 2 }, byClient: { [APP]: 2 } });
      expect(log.json.syncsByTenant[T_VALUE].count).toBe(1);
      expect(log.json.last.map((r: { status: number; fault?: string }) => [r.status, r.fault])).toEqual([[429, '429'], [200, undefined]]);
    });

    it('a 500 fault on the token endpoint comes back Entra-shaped; a slow one still answers', async () => {
      await emu.request('POST', '/emulator/faults', { json: { kind: 'token', type: '500', count: 1 } });
      await emu.request('POST', '/emulator/faults', { json: { kind: 'token', type: 'slow', delayMs: 50, count: 1 } });
      const form = { client_id: APP, client_secret: SECRET, grant_type: 'client_credentials', scope: CI_SCOPE };
      const failed = await emu.request('POST', `/${T_ARRAY}/oauth2/v2.0/token`, { form });
      expect(failed.status).toBe(500);
      expect(failed.json.error_codes).toEqual([50000]);
      expect((await emu.request('POST', `/${T_ARRAY}/oauth2/v2.0/token`, { form })).status).toBe(200);
      const log = await emu.request('GET', '/emulator/requests?kind=token');
      expect(log.json.last.slice(-2).map((r: { fault?: string }) => r.fault)).toEqual(['500', 'slow']);
    });

    it('users can be replaced, generated, added and removed at run time', async () => {
      const put = await emu.request('PUT', `/emulator/tenants/${T_ARRAY}/users`, { json: [{ id: '0e0e0e0e-0000-4000-8000-000000000009' }] });
      expect(put.status).toBe(200);
      expect(put.json.users.count).toBe(1);
      const add = await emu.request('POST', `/emulator/tenants/${T_ARRAY}/users`, { json: { userPrincipalName: 'new@contoso.example' } });
      expect(add.status).toBe(201);
      expect((await emu.request('POST', `/emulator/tenants/${T_ARRAY}/users`, { json: { userPrincipalName: 'NEW@contoso.example' } })).status).toBe(409);
      expect((await emu.request('DELETE', `/emulator/tenants/${T_ARRAY}/users/0e0e0e0e-0000-4000-8000-000000000009`)).status).toBe(204);
      const list = await emu.request('GET', '/api/v1.0/providers/users', { bearer: await token(T_ARRAY) });
      expect(list.json).toEqual([{ userPrincipalName: 'new@contoso.example' }]);
      const gen = await emu.request('POST', `/emulator/tenants/${T_ARRAY}/users/generate`, { json: { count: 1000, seed: 'again' } });
      expect(gen.json.users.count).toBe(1000);
      const again = await emu.request('GET', '/api/v1.0/providers/users', { bearer: await token(T_ARRAY) });
      expect(again.json).toHaveLength(1000);
    });

    it('holds 1,000,000 generated users for a tenant and lists 100,000 in one streamed answer', async () => {
      const big = await emu.request('POST', `/emulator/tenants/${T_VALUE}/users/generate`, { json: { count: 1_000_000, seed: 'big' } });
      expect(big.json.users.count).toBe(1_000_000);
      await emu.request('POST', `/emulator/tenants/${T_VALUE}/users/generate`, { json: { count: 100_000, seed: 'big' } });
      const r = await emu.request('GET', '/api/v1.0/providers/users', { bearer: await token(T_VALUE) });
      expect(r.status).toBe(200);
      expect(r.json.value).toHaveLength(100_000);
      expect(new Set((r.json.value as Array<{ id: string }>).map((u) => u.id)).size).toBe(100_000);
    });

    it.each([
      ['POST', '/emulator/faults', { kind: 'auth', type: '503', delayMs: 'x' }, ['delayMs', 'kind', 'type']],
      ['POST', '/emulator/faults', { kind: 'users', type: 'slow' }, ['delayMs']],
      ['PUT', `/emulator/tenants/${T_ARRAY}`, { consents: [{ clientId: 'x', roles: [1] }], usersResponse: { shape: 'pages', pageSize: 0 } }, ['consents[0].clientId', 'consents[0].roles[0]', 'usersResponse.pageSize', 'usersResponse.shape']],
      ['PUT', `/emulator/tenants/${T_ARRAY}/users`, [{ id: 'nope', mail: 'x' }, {}, { displayName: 'only a name' }], ['[0].id', '[0].mail', '[1]', '[2]']],
      ['POST', `/emulator/tenants/${T_ARRAY}/users/generate`, { count: 2_000_000, colour: 'red' }, ['colour', 'count']],
      ['PUT', `/emulator/apps/${APP}`, { secrets: [''], certificates: ['/no/such/file.pem'] }, ['certificates[0]', 'secrets[0].value']],
      ['PUT', '/emulator/apps/not-a-guid', {}, ['clientId']],
    ])('%s %s: 400 naming each bad field', async (method, path, json, expected) => {
      const r = await emu.request(method, path, { json });
      expect(r.status).toBe(400);
      expect(fields(r)).toEqual(expected);
    });

    it('apps and tenants are settable at run time and usable at once; reset returns to the file', async () => {
      const app2 = '4d4d4d4d-4444-4444-8444-444444444444';
      const t = 'e0e0e0e0-eeee-4eee-8eee-eeeeeeeeeeee';
      expect((await emu.request('PUT', `/emulator/apps/${app2}`, { json: { secrets: ['s2'] } })).status).toBe(201);
      expect((await emu.request('PUT', `/emulator/tenants/${t}`, { json: { consents: [{ clientId: app2, roles: ['Users.Read.All'] }], usersResponse: { shape: 'paged', pageSize: 5 } } })).status).toBe(201);
      const tok = await emu.request('POST', `/${t}/oauth2/v2.0/token`, { form: { client_id: app2, client_secret: 's2', grant_type: 'client_credentials', scope: CI_SCOPE } });
      expect(tok.status).toBe(200);
      expect((await emu.request('GET', '/emulator/tenants')).json.tenants.map((x: { tenantId: string }) => x.tenantId)).toContain(t);
      const reset = await emu.request('POST', '/emulator/reset');
      expect(reset.json).toEqual({ reset: true, apps: 1, tenants: 4, registrations: 0 });
      expect((await emu.request('POST', `/${t}/oauth2/v2.0/token`, { form: { client_id: app2, client_secret: 's2', grant_type: 'client_credentials', scope: CI_SCOPE } })).json.error_codes).toEqual([90002]);
      expect((await emu.request('GET', '/health/ready')).status).toBe(200);
    });
  });
});
