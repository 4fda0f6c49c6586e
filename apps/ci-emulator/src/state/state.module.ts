import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EmulatorConfig } from '../config/config';
import { RegistrationStore } from './registrations';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from './tokens';

/** The config, the logger and the state more than one module reads, available everywhere. */
@Global()
@Module({})
export class StateModule {
  static register(config: EmulatorConfig, logger: Logger, registrations = new RegistrationStore()): DynamicModule {
    return {
      module: StateModule,
      providers: [
        { provide: EMULATOR_CONFIG, useValue: config },
        { provide: EMULATOR_LOGGER, useValue: logger },
        { provide: RegistrationStore, useValue: registrations },
      ],
      exports: [EMULATOR_CONFIG, EMULATOR_LOGGER, RegistrationStore],
    };
  }
}
