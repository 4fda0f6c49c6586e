import { Inject, Injectable, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from 'pino';
import type { EmulatorConfig } from '../config/config';
import { EMPTY_FILE, loadEmulatorFile } from '../config/emulator-file';
import { RegistrationStore } from '../state/registrations';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from '../state/tokens';
import { DirectoryAdminController } from './admin.controller';
import { emulatorBaseUrl } from './ci-app';
import { Directory } from './directory';
import { EntraController } from './entra.controller';
import { EMULATOR_BASE_URL } from './entra.tokens';
import { FaultStore } from './faults';
import { emulatorRawBody } from './raw-body';
import { RequestLog } from './request-log';
import { SigningKeys } from './signing-keys';
import { TokenService } from './token-service';

/**
 * Installs the raw-body reader (raw-body.ts) on the Express app while the
 * module is being built, i.e. before Nest adds its global body parsers in
 * app.init(): Express runs middleware in the order it was added.
 */
@Injectable()
export class RawBodyInstaller {
  constructor(host: HttpAdapterHost, @Inject(EMULATOR_LOGGER) logger: Logger) {
    const app = host.httpAdapter?.getInstance() as { use?: (fn: unknown) => void } | undefined;
    if (app?.use) app.use(emulatorRawBody);
    else logger.warn('no HTTP adapter yet: the Entra/providers routes will use Nest body parsing');
  }
}

/** Entra ID double: directory (apps, tenants, users), token endpoint, discovery, and the shared fault and request-log state. */
@Module({
  controllers: [EntraController, DirectoryAdminController],
  providers: [
    RawBodyInstaller,
    { provide: EMULATOR_BASE_URL, useFactory: (config: EmulatorConfig) => emulatorBaseUrl(config), inject: [EMULATOR_CONFIG] },
    {
      provide: Directory,
      useFactory: (config: EmulatorConfig, registrations: RegistrationStore, logger: Logger) => {
        const data = config.configFile ? loadEmulatorFile(config.configFile) : EMPTY_FILE;
        const directory = new Directory(data, registrations);
        logger.info({ file: config.configFile ?? null, apps: data.apps.length, tenants: data.tenants.length, registrations: data.registrations.length }, 'entra directory loaded');
        return directory;
      },
      inject: [EMULATOR_CONFIG, RegistrationStore, EMULATOR_LOGGER],
    },
    { provide: SigningKeys, useFactory: () => SigningKeys.create() },
    { provide: TokenService, useFactory: (d: Directory, k: SigningKeys, base: string) => new TokenService(d, k, base), inject: [Directory, SigningKeys, EMULATOR_BASE_URL] },
    { provide: FaultStore, useFactory: () => new FaultStore() },
    { provide: RequestLog, useFactory: () => new RequestLog() },
  ],
  exports: [Directory, SigningKeys, FaultStore, RequestLog, EMULATOR_BASE_URL],
})
export class EntraModule {}
