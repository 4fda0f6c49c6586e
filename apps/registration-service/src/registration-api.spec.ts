import { ADMIN_KEY, startTestApp, type TestApp } from './testing/test-app';
import { FakeError, FakeRegistrar } from './testing/fakes';
import { registrationGrpcClient } from './testing/grpc-client';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const ORG = 'ad3dca46-962a-4895-9f85-d25f3828781f';

function tenantBody(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    orgId: ORG,
    displayName: 'Contoso',
    region: 'uksouth',
    accountId: 'AC0123',
    certificate: { subject: 'sbc.carrier.example', issuer: 'ci-emulator test CA' },
    sourceIpNetwork: '127.0.0.1',
    ...extra,
  };
}

describe('registration-service API (unit, fakes at our interfaces)', () => {
  let t: TestApp;
  const req = async (method: string, path: string, key?: string, body?: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { ...headers };
    if (key) h['authorization'] = `Bearer ${key}`;
    if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
    const r = await fetch(`${t.url}${path}`, { method, headers: h, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : undefined };
  };

  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.jobs.idle();
    await t.close();
  });

  describe('authentication and scoping', () => {
    it('answers 401 without a key or with an unknown key, naming how to send one', async () => {
      const none = await req('GET', '/tenants');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(none.body.error).toMatchObject({ code: 'unauthenticated', message: expect.stringContaining('Authorization: Bearer') });
      expect((await req('GET', '/tenants', 'cic_nope')).status).toBe(401);
      expect((await req('POST', `/tenants/${A}/register`)).status).toBe(401);
    });

    it('takes the key from x-api-key too, and leaves health and the docs open', async () => {
      const r = await fetch(`${t.url}/tenants`, { headers: { 'x-api-key': ADMIN_KEY } });
      expect(r.status).toBe(200);
      expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
      expect((await fetch(`${t.url}/openapi.json`)).status).toBe(200);
      expect((await fetch(`${t.url}/docs`)).status).toBe(200);
    });

    it('a key for tenant A cannot see, list, change, register, sync or delete tenant B (404), nor create one outside its scope (403)', async () => {
      expect((await req('POST', '/tenants', ADMIN_KEY, tenantBody(A))).status).toBe(201);
      expect((await req('POST', '/tenants', ADMIN_KEY, tenantBody(B))).status).toBe(201);
      const minted = await req('POST', '/api-keys', ADMIN_KEY, { name: 'tenant A only', tenants: [A.toUpperCase()] });
      expect(minted.status).toBe(201);
      expect(minted.body.apiKey.tenants).toEqual([A]);
      const keyA: string = minted.body.key;
      expect(keyA).toMatch(/^cic_/);

      expect((await req('GET', `/tenants/${A}`, keyA)).status).toBe(200);
      expect((await req('GET', '/tenants', keyA)).body.tenants.map((x: { id: string }) => x.id)).toEqual([A]);
      const missing = await req('GET', `/tenants/cccccccc-cccc-4ccc-8ccc-cccccccccccc`, keyA);
      for (const [m, p, b] of [
        ['GET', `/tenants/${B}`, undefined],
        ['PATCH', `/tenants/${B}`, { displayName: 'taken over' }],
        ['POST', `/tenants/${B}/register`, undefined],
        ['POST', `/tenants/${B}/sync`, undefined],
        ['DELETE', `/tenants/${B}`, undefined],
      ] as const) {
        const r = await req(m, p, keyA, b);
        expect([m, p, r.status]).toEqual([m, p, 404]);
        // The same answer as for a tenant that does not exist: B's existence is not revealed.
        expect(r.body.error.code).toBe(missing.body.error.code);
      }
      expect(t.deps.tenantStore.tenants.get(B)?.displayName).toBe('Contoso');
      expect(t.deps.registrar.calls).toHaveLength(0);

      const outside = await req('POST', '/tenants', keyA, tenantBody('dddddddd-dddd-4ddd-8ddd-dddddddddddd'));
      expect(outside.status).toBe(403);
      expect(outside.body.error.code).toBe('tenant_outside_key_scope');
      expect(t.deps.tenantStore.tenants.has('dddddddd-dddd-4ddd-8ddd-dddddddddddd')).toBe(false);
      // API keys are for admin keys only.
      expect((await req('GET', '/api-keys', keyA)).status).toBe(403);
      expect((await req('POST', '/api-keys', keyA, { name: 'x', tenants: '*' })).status).toBe(403);
    });

    it('a revoked key is refused', async () => {
      const minted = await req('POST', '/api-keys', ADMIN_KEY, { name: 'temp', tenants: '*' });
      expect((await req('GET', '/tenants', minted.body.key)).status).toBe(200);
      expect((await req('GET', '/api-keys', ADMIN_KEY)).body.apiKeys.map((k: { name: string }) => k.name)).toEqual(['temp']);
      expect((await req('DELETE', `/api-keys/${minted.body.apiKey.id}`, ADMIN_KEY)).status).toBe(204);
      expect((await req('GET', '/tenants', minted.body.key)).status).toBe(401);
      expect((await req('DELETE', `/api-keys/${minted.body.apiKey.id}`, ADMIN_KEY)).status).toBe(404);
    });
  });

  describe('validation', () => {
    it('lists every bad field in one 400 and writes nothing', async () => {
      const r = await req('POST', '/tenants', ADMIN_KEY, {
        id: 'not-a-guid',
        orgId: '1234',
        displayName: '',
        region: 'mars',
        accountId: 'AC 1',
        certificate: { pem: '-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----' },
        sourceIpNetwork: '10.0.0.1/8',
        hosting: 'basement',
        colour: 'blue',
      });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      const fields = r.body.error.details.map((d: { field: string }) => d.field).sort();
      expect(fields).toEqual(['accountId', 'certificate.pem', 'colour', 'displayName', 'hosting', 'id', 'orgId', 'region', 'sourceIpNetwork'].sort());
      expect(r.body.error.details.find((d: { field: string }) => d.field === 'region').message).toMatch(/unknown region; one of global, southeastasia/);
      expect(r.body.error.details.find((d: { field: string }) => d.field === 'certificate.pem').message).toMatch(/malformed certificate/);
      expect(t.deps.tenantStore.tenants.size).toBe(0);
      expect(t.deps.tenantStore.outbox).toHaveLength(0);
    });

    it('bad JSON → 400, oversize → 413, not JSON → 415, a bad id in the path → 400; never 500', async () => {
      const bad = await req('POST', '/tenants', ADMIN_KEY, '{"id": ');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_json');
      const big = await req('POST', '/tenants', ADMIN_KEY, { ...tenantBody(A), displayName: 'x'.repeat(10_000) });
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe('body_too_large');
      const form = await req('POST', '/tenants', ADMIN_KEY, 'id=1', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(form.status).toBe(415);
      const arr = await req('POST', '/tenants', ADMIN_KEY, [1, 2]);
      expect(arr.status).toBe(400);
      const nul = await req('POST', '/tenants', ADMIN_KEY, 'null');
      expect(nul.status).toBe(400);
      const path = await req('GET', '/tenants/..%2Fetc', ADMIN_KEY);
      expect(path.status).toBe(400);
      expect(path.body.error.details).toEqual([{ field: 'id', message: expect.stringContaining('not a GUID') }]);
      expect(t.deps.tenantStore.tenants.size).toBe(0);
    });

    it('an update lists its bad fields; If-Match guards against lost updates (412)', async () => {
      await req('POST', '/tenants', ADMIN_KEY, tenantBody(A));
      const r = await req('PATCH', `/tenants/${A}`, ADMIN_KEY, { region: 'atlantis', id: B });
      expect(r.status).toBe(400);
      expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['id', 'region']);
      const ok = await req('PATCH', `/tenants/${A}`, ADMIN_KEY, { displayName: 'Contoso Ltd' }, { 'if-match': '"1"' });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('etag')).toBe('"2"');
      const stale = await req('PATCH', `/tenants/${A}`, ADMIN_KEY, { displayName: 'lost' }, { 'if-match': '"1"' });
      expect(stale.status).toBe(412);
      expect(t.deps.tenantStore.tenants.get(A)?.displayName).toBe('Contoso Ltd');
    });

    it('a duplicate tenant is 409 naming the id', async () => {
      await req('POST', '/tenants', ADMIN_KEY, tenantBody(A));
      const dup = await req('POST', '/tenants', ADMIN_KEY, tenantBody(A.toUpperCase()));
      expect(dup.status).toBe(409);
      expect(dup.body.error.details).toEqual([{ field: 'id', message: expect.any(String) }]);
    });
  });

  describe('register and sync', () => {
    it('registers in the background (202 pending → registered); again → 200 unchanged without calling the API', async () => {
      await req('POST', '/tenants', ADMIN_KEY, tenantBody(A));
      const first = await req('POST', `/tenants/${A}/register`, ADMIN_KEY);
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ outcome: 'accepted', tenant: { status: { state: 'pending', attempts: 0 } } });
      await t.jobs.idle();
      const after = await req('GET', `/tenants/${A}`, ADMIN_KEY);
      expect(after.body.status).toMatchObject({ state: 'registered', attempts: 1, registeredAt: expect.any(String) });
      expect(after.body.status.registeredFingerprint).toBeUndefined();
      const again = await req('POST', `/tenants/${A}/register`, ADMIN_KEY);
      expect(again.status).toBe(200);
      expect(again.body.outcome).toBe('unchanged');
      expect(t.deps.registrar.calls).toHaveLength(1);
      // A change to what is registered needs a new registration.
      const changed = await req('PATCH', `/tenants/${A}`, ADMIN_KEY, { accountId: 'AC999' });
      expect(changed.body.status.state).toBe('unregistered');
      expect((await req('POST', `/tenants/${A}/register`, ADMIN_KEY)).status).toBe(202);
      await t.jobs.idle();
      expect(t.deps.registrar.calls).toHaveLength(2);
    });

    it('does not start a registration that is already running', async () => {
      await req('POST', '/tenants', ADMIN_KEY, tenantBody(A));
      t.deps.registrar.hold();
      const a = await req('POST', `/tenants/${A}/register`, ADMIN_KEY);
      const b = await req('POST', `/tenants/${A}/register`, ADMIN_KEY);
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(b.body.tenant.status.state).toBe('pending');
      t.deps.registrar.release();
      await t.jobs.idle();
      expect(t.deps.registrar.calls).toHaveLength(1);
    });
  });

  it('retries retryable errors with the error visible in the status, then gives up on a permanent one (failed + lastError)', async () => {
    const registrar = new FakeRegistrar([new FakeError('429 throttled', true), new FakeError('500 boom', true), new FakeError('403 consent missing', false)]);
    await t.close();
    t = await startTestApp(registrar);
    await req('POST', '/tenants', ADMIN_KEY, tenantBody(A));
    await req('POST', `/tenants/${A}/register`, ADMIN_KEY);
    await t.jobs.idle();
    const states = t.deps.tenantStore.outbox.map((e) => e.tenant?.status).filter((s) => s !== undefined);
    expect(states.map((s) => [s.state, s.attempts, s.lastError])).toEqual([
      ['unregistered', 0, undefined],
      ['pending', 0, undefined],
      ['pending', 1, '429 throttled'],
      ['pending', 2, '500 boom'],
      ['failed', 3, '403 consent missing'],
    ]);
  });

  it('sync asks the scheduler to run the tenant now, registered tenants only', async () => {
    await req('POST', '/tenants', ADMIN_KEY, tenantBody(A));
    const early = await req('POST', `/tenants/${A}/sync`, ADMIN_KEY);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('tenant_not_registered');
    await req('POST', `/tenants/${A}/register`, ADMIN_KEY);
    await t.jobs.idle();
    const before = Date.now();
    const r = await req('POST', `/tenants/${A}/sync`, ADMIN_KEY);
    expect(r.status).toBe(202);
    expect(r.body.tenantId).toBe(A);
    expect(t.deps.syncScheduler.due.get(A)).toBeGreaterThanOrEqual(before);
  });

  it('publishes the OpenAPI document with the request schemas generated from the tenancy zod schemas', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/api-keys', '/api-keys/{id}', '/health/live', '/health/ready', '/tenants', '/tenants/{id}', '/tenants/{id}/register', '/tenants/{id}/sync']);
    expect(doc.paths['/tenants'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TenantCreate' });
    const create = doc.components.schemas.TenantCreate;
    expect(create.required).toEqual(['id', 'orgId', 'displayName', 'region', 'accountId', 'certificate']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.region.enum).toContain('uksouth');
    expect(create.properties.hosting.enum).toEqual(['cloud', 'on-premises']);
    expect(doc.components.schemas.TenantUpdate.required).toBeUndefined();
    expect(doc.components.securitySchemes).toMatchObject({ apiKey: { type: 'apiKey', name: 'x-api-key' }, bearer: { scheme: 'bearer' } });
  });

  describe('gRPC', () => {
    it('the same operations, with status codes and field violations; scoping like REST', async () => {
      const c = registrationGrpcClient(t.grpcAddress);
      try {
        expect(await c.call('ListTenants', {})).toMatchObject({ ok: false, code: 16 });
        const created = await c.call('CreateTenant', { ...tenantBody(A), certificate: { subject: 'sbc.carrier.example', issuer: 'ci-emulator test CA' } }, ADMIN_KEY);
        expect(created).toMatchObject({ ok: true, value: { id: A, status: { state: 'unregistered' }, version: 1 } });
        expect(await c.call('CreateTenant', tenantBody(A), ADMIN_KEY)).toMatchObject({ ok: false, code: 6 });
        const bad = await c.call('CreateTenant', { id: 'x', orgId: ORG, region: 'mars', accountId: 'AC1', certificate: {} }, ADMIN_KEY);
        expect(bad).toMatchObject({ ok: false, code: 3 });
        if (bad.ok) throw new Error('unreachable');
        expect(bad.violations?.map((v) => v.field).sort()).toEqual(['certificate.issuer', 'certificate.subject', 'displayName', 'id', 'region']);

        const minted = await c.call('CreateApiKey', { name: 'B only', tenants: [B] }, ADMIN_KEY);
        expect(minted).toMatchObject({ ok: true, value: { apiKey: { allTenants: false, tenants: [B] } } });
        const keyB = minted.ok ? (minted.value.key as string) : '';
        expect(await c.call('GetTenant', { id: A }, keyB, 'x-api-key')).toMatchObject({ ok: false, code: 5 });
        expect(await c.call('UpdateTenant', { id: A, displayName: 'mine now' }, keyB)).toMatchObject({ ok: false, code: 5 });
        expect(await c.call('CreateTenant', tenantBody(A), keyB)).toMatchObject({ ok: false, code: 7 });
        expect(await c.call('ListTenants', {}, keyB)).toEqual({ ok: true, value: {} });
        expect(await c.call('ListApiKeys', {}, keyB)).toMatchObject({ ok: false, code: 7 });

        expect(await c.call('UpdateTenant', { id: A, expectedVersion: 7, displayName: 'x' }, ADMIN_KEY)).toMatchObject({ ok: false, code: 10 });
        expect(await c.call('UpdateTenant', { id: A, expectedVersion: 1, region: 'westeurope' }, ADMIN_KEY)).toMatchObject({ ok: true, value: { region: 'westeurope', version: 2 } });
        expect(await c.call('SyncTenant', { id: A }, ADMIN_KEY)).toMatchObject({ ok: false, code: 9 });
        expect(await c.call('RegisterTenant', { id: A }, ADMIN_KEY)).toMatchObject({ ok: true, value: { outcome: 'accepted', tenant: { status: { state: 'pending' } } } });
        await t.jobs.idle();
        expect(await c.call('RegisterTenant', { id: A }, ADMIN_KEY)).toMatchObject({ ok: true, value: { outcome: 'unchanged', tenant: { status: { state: 'registered', attempts: 1 } } } });
        expect(await c.call('SyncTenant', { id: A }, ADMIN_KEY)).toMatchObject({ ok: true, value: { tenantId: A } });
        expect(await c.call('DeleteTenant', { id: A }, ADMIN_KEY)).toEqual({ ok: true, value: { deleted: true } });
        expect(await c.call('GetTenant', { id: A }, ADMIN_KEY)).toMatchObject({ ok: false, code: 5 });
      } finally {
        c.close();
      }
    });
  });
});
