import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, type ReadinessCheck } from '@ci-connector/platform-nest';
import type { TenantStore } from '@ci-connector/recording-policy';
import { STATUS_SERVICE, SYNC_RUNNER, TENANT_STORE, WorkerController } from './http/worker.controller';
import type { StatusService } from './status/status-service';
import type { SyncRunner } from './sync/sync-runner';

export interface AppModuleDeps {
  checks: ReadinessCheck[];
  status: StatusService;
  runner: Pick<SyncRunner, 'requestSync'>;
  tenants: Pick<TenantStore, 'get'>;
}

@Module({})
export class AppModule {
  static forRoot(deps: AppModuleDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule.register(deps.checks)],
      controllers: [WorkerController],
      providers: [
        { provide: STATUS_SERVICE, useValue: deps.status },
        { provide: SYNC_RUNNER, useValue: deps.runner },
        { provide: TENANT_STORE, useValue: deps.tenants },
      ],
    };
  }
}
