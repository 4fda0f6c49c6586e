import { Module, type DynamicModule } from '@nestjs/common';
import type { ApiKeyStore, SyncScheduler, TenantStore } from '@ci-connector/recording-policy';
import { HealthModule, type ReadinessCheck } from '@ci-connector/platform-nest';
import { ApiKeyAuthenticator } from './core/auth';
import { API_KEY_STORE, LOCKS, SERVICE_OPTIONS, SYNC_SCHEDULER, TENANT_REGISTRAR, TENANT_STORE, type Locks, type ServiceOptions, type TenantRegistrar } from './core/ports';
import { RegistrationJobs } from './core/registration-jobs';
import { TenantService } from './core/tenant-service';
import { ApiKeysController } from './http/api-keys.controller';
import { ApiKeyGuard } from './http/auth.guard';
import { TenantsController } from './http/tenants.controller';
import { TenantGrpcController } from './grpc/tenant.grpc-controller';

/** What the app is composed of: built from the config in main.ts, fakes in unit tests. */
export interface AppDeps {
  tenantStore: TenantStore;
  apiKeyStore: ApiKeyStore;
  syncScheduler: SyncScheduler;
  registrar: TenantRegistrar;
  locks: Locks;
  options: ServiceOptions;
  /** The bootstrap admin key (ADMIN_API_KEY); only its hash is kept. */
  adminApiKey?: string;
  checks: ReadinessCheck[];
}

@Module({})
export class AppModule {
  static forRoot(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule.register(deps.checks)],
      controllers: [TenantsController, ApiKeysController, TenantGrpcController],
      providers: [
        { provide: TENANT_STORE, useValue: deps.tenantStore },
        { provide: API_KEY_STORE, useValue: deps.apiKeyStore },
        { provide: SYNC_SCHEDULER, useValue: deps.syncScheduler },
        { provide: TENANT_REGISTRAR, useValue: deps.registrar },
        { provide: LOCKS, useValue: deps.locks },
        { provide: SERVICE_OPTIONS, useValue: deps.options },
        { provide: ApiKeyAuthenticator, useFactory: () => new ApiKeyAuthenticator(deps.apiKeyStore, deps.adminApiKey) },
        ApiKeyGuard,
        RegistrationJobs,
        TenantService,
      ],
    };
  }
}
