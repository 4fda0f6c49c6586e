import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { HealthModule, type ReadinessCheck } from '@ci-connector/platform-nest';
import type { EmulatorConfig } from './config/config';
import { StateModule } from './state/state.module';
import { RegistrationStore } from './state/registrations';
import { EntraModule } from './entra/entra.module';
import { ProvidersModule } from './providers/providers.module';
import { RecorderModule } from './recorder/recorder.module';
import { CifModule } from './cif/cif.module';

@Module({})
export class AppModule {
  static forRoot(config: EmulatorConfig, logger: Logger, checks: ReadinessCheck[], registrations = new RegistrationStore()): DynamicModule {
    return {
      module: AppModule,
      imports: [StateModule.register(config, logger, registrations), HealthModule.register(checks), EntraModule, ProvidersModule, RecorderModule, CifModule],
    };
  }
}
