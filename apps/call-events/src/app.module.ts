import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, type ReadinessCheck } from '@ci-connector/platform-nest';
import { PartnerAuthenticator } from './core/auth';
import { CallEventsService } from './core/call-events-service';
import { CallsController } from './http/calls.controller';
import { PartnerGuard } from './http/auth.guard';
import { WidgetTokensController } from './http/widget-tokens.controller';
import { CallEventsGrpcController } from './grpc/call-events.grpc-controller';

/** What the app is composed of: built from the config in main.ts, from fakes or real stores in tests. */
export interface AppDeps {
  auth: PartnerAuthenticator;
  events: CallEventsService;
  checks: ReadinessCheck[];
}

@Module({})
export class AppModule {
  static forRoot(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule.register(deps.checks)],
      controllers: [CallsController, WidgetTokensController, CallEventsGrpcController],
      providers: [{ provide: PartnerAuthenticator, useValue: deps.auth }, { provide: CallEventsService, useValue: deps.events }, PartnerGuard],
    };
  }
}
