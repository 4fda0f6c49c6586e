import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, type ReadinessCheck } from '@ci-connector/platform-nest';
import type { CallManager } from './calls/call-manager';
import { CALL_MANAGER, CallsController, RECORDINGS, type RecordingsView } from './http/calls.controller';

export interface AppModuleDeps {
  checks: ReadinessCheck[];
  calls: Pick<CallManager, 'list' | 'size' | 'isDraining'>;
  recordings?: RecordingsView;
}

/** Health and admin HTTP only; the SIP side is @ci-connector/sip, wired in main.ts. */
@Module({})
export class AppModule {
  static forRoot(deps: AppModuleDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule.register(deps.checks)],
      controllers: [CallsController],
      providers: [{ provide: CALL_MANAGER, useValue: deps.calls }, ...(deps.recordings ? [{ provide: RECORDINGS, useValue: deps.recordings }] : [])],
    };
  }
}
