import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, type ReadinessCheck } from '@ci-connector/platform-nest';
import type { SseHub } from './sse/sse-hub';
import { CALL_OWNERS, RECORDING_COMMANDS, SSE_HUB, WIDGET_AUTH, type CallOwners, type RecordingCommands } from './http/ports';
import type { WidgetAuthenticator } from './http/widget-auth';
import { WidgetControlController } from './http/widget-control.controller';
import { WidgetStreamController } from './http/widget-stream.controller';

/** What the HTTP side is composed of: built in main.ts from the config, or by a test. */
export interface AppDeps {
  hub: SseHub;
  auth: WidgetAuthenticator;
  commands: RecordingCommands;
  owners: CallOwners;
  checks: ReadinessCheck[];
}

@Module({})
export class AppModule {
  static forRoot(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule.register(deps.checks)],
      controllers: [WidgetStreamController, WidgetControlController],
      providers: [
        { provide: SSE_HUB, useValue: deps.hub },
        { provide: WIDGET_AUTH, useValue: deps.auth },
        { provide: RECORDING_COMMANDS, useValue: deps.commands },
        { provide: CALL_OWNERS, useValue: deps.owners },
      ],
    };
  }
}
