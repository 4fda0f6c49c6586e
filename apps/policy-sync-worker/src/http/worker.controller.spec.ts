import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { StatusService } from '../status/status-service';
import { SyncRunner } from '../sync/sync-runner';
import { FakeClock, FakePolicyStore, FakeScheduler, FakeTenants, FakeUsers, fakeNormalise, silentLogger, tenant } from '../testing/fakes';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const C = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const min = 60_000;

describe('worker HTTP API (GET /status, POST /tenants/{id}/sync, readiness)', () => {
  let app: INestApplication;
  let base: string;
  const clock = new FakeClock(Date.parse('2026-11-29T20:00:00.000Z'));
  const tenants = new FakeTenants();
  const policies = new FakePolicyStore(clock);
  const scheduler = new FakeScheduler(clock);
  const runner = new SyncRunner(
    { users: new FakeUsers(1, 1), normalise: (u) => fakeNormalise(u), policies, scheduler, tenants, clock, logger: silentLogger, publish: async () => undefined },
    { owner: 'w1', pollMs: 1000, leaseMs: 60_000, concurrency: 1, drainTimeoutMs: 10, intervalMs: 5 * min, jitterMs: 0, retryMinMs: 1000, retryMaxMs: 5 * min },
  );
  const status = new StatusService({ workerId: 'w1', tenants, policies, scheduler, runner, clock, intervalMs: 5 * min, degradedAfterMs: 15 * min, cacheMs: 0 });

  beforeAll(async () => {
    tenants.put(tenant(A));
    tenants.put(tenant(B));
    tenants.put(tenant(C, {}, 'pending'));
    policies.metas.set(A, { tenantId: A, version: 'v1', identities: 3, users: 1, syncedAt: '2026-11-29T19:58:00.000Z', lastAttemptAt: '2026-11-29T19:58:00.000Z' });
    policies.metas.set(B, { tenantId: B, version: 'v9', identities: 30, users: 10, syncedAt: '2026-11-29T19:30:00.000Z', lastAttemptAt: '2026-11-29T19:59:30.000Z', lastError: 'ProvidersApiError: could not reach api' });
    await scheduler.schedule(B, clock.now() + 15_000);
    const checks = [{ name: 'policies', check: () => status.readiness() }];
    app = await NestFactory.create(AppModule.forRoot({ checks, status, runner, tenants }), { logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  it('GET /status: per tenant the live version, counts, age, last error, next due; degraded when a list is stale', async () => {
    const r = await fetch(`${base}/status`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { degraded: boolean; tenants: unknown[] };
    expect(body).toMatchObject({ workerId: 'w1', degraded: true, degradedAfterSeconds: 900, intervalSeconds: 300, syncing: 0 });
    expect(body.tenants).toEqual([
      expect.objectContaining({ tenantId: A, state: 'registered', version: 'v1', identities: 3, users: 1, ageSeconds: 120, stale: false }),
      expect.objectContaining({ tenantId: B, version: 'v9', ageSeconds: 1800, lastError: 'ProvidersApiError: could not reach api', nextDueAt: '2026-11-29T20:00:15.000Z', stale: true }),
      expect.objectContaining({ tenantId: C, state: 'pending', ageSeconds: null, stale: false }),
    ]);
  });

  it('readiness stays 200 (the worker works) but says degraded, naming the stale tenants', async () => {
    const r = await fetch(`${base}/health/ready`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      status: 'ok',
      checks: { policies: { ok: true, degraded: true, stale: [{ tenantId: B, ageSeconds: 1800, lastError: 'ProvidersApiError: could not reach api' }] } },
    });
  });

  it('POST /tenants/{id}/sync schedules a registered tenant now; names what is wrong otherwise', async () => {
    const ok = await fetch(`${base}/tenants/${A.toUpperCase()}/sync`, { method: 'POST' });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ tenantId: A, scheduledAt: '2026-11-29T20:00:00.000Z', trigger: 'on-demand' });
    expect(scheduler.due.get(A)).toBe(clock.now());

    const bad = await fetch(`${base}/tenants/nope/sync`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'bad-request', message: 'invalid tenant id', details: [{ field: 'id', message: 'not a GUID (Entra tenant id)' }] });

    const missing = await fetch(`${base}/tenants/dddddddd-dddd-4ddd-8ddd-dddddddddddd/sync`, { method: 'POST' });
    expect(missing.status).toBe(404);

    const pending = await fetch(`${base}/tenants/${C}/sync`, { method: 'POST' });
    expect(pending.status).toBe(409);
    expect(await pending.json()).toMatchObject({ error: 'not-registered' });
    expect(scheduler.due.has(C)).toBe(false);
  });
});
