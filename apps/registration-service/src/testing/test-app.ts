import type { AddressInfo } from 'node:net';
import { freePort } from '@ci-connector/platform-testing';
import type { AppDeps } from '../app.module';
import { createRegistrationApp, type RegistrationApp } from '../app';
import { FakeApiKeyStore, FakeLocks, FakeRegistrar, FakeSyncScheduler, FakeTenantStore } from './fakes';

export const ADMIN_KEY = 'admin-key-for-unit-tests-0123456789';

export interface TestApp extends RegistrationApp {
  url: string;
  grpcAddress: string;
  deps: AppDeps & { tenantStore: FakeTenantStore; apiKeyStore: FakeApiKeyStore; syncScheduler: FakeSyncScheduler; registrar: FakeRegistrar; locks: FakeLocks };
  close(): Promise<void>;
}

/** The whole app (REST + gRPC) over fakes of our interfaces, on 127.0.0.1. */
export async function startTestApp(registrar = new FakeRegistrar()): Promise<TestApp> {
  const deps = {
    tenantStore: new FakeTenantStore(),
    apiKeyStore: new FakeApiKeyStore(),
    syncScheduler: new FakeSyncScheduler(),
    registrar,
    locks: new FakeLocks(),
    options: { prefix: 'test:', instanceId: 'unit', register: { maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 5, lockTtlMs: 10_000 } },
    adminApiKey: ADMIN_KEY,
    checks: [],
  };
  const grpcPort = await freePort();
  const r = await createRegistrationApp(deps, { grpc: { host: '127.0.0.1', port: grpcPort }, maxBodyBytes: 4096 });
  await r.app.startAllMicroservices();
  await r.app.listen(0, '127.0.0.1');
  const { port } = r.app.getHttpServer().address() as AddressInfo;
  return {
    ...r,
    deps,
    url: `http://127.0.0.1:${port}`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    close: () => r.app.close(),
  };
}
