import { readFileSync } from 'node:fs';
import { Inject, Injectable, Module, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { READINESS_CHECKS, type ReadinessCheck } from '@ci-connector/platform-nest';
import type { Logger } from 'pino';
import type { EmulatorConfig } from '../config/config';
import { RegistrationStore } from '../state/registrations';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from '../state/tokens';
import { MediaReceiver } from './media';
import type { MediaPort } from './media-port';
import { RecorderController } from './recorder.controller';
import { SiprecRecorder } from './recorder';

export const MEDIA_PORT = Symbol('RecorderMediaPort');

function readPem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${what} ${path} cannot be read (${(err as Error).message}); run apps/ci-emulator/scripts/mint-certs.sh <dir> and set CERTS_DIR`);
  }
}

/** Starts the SIPS listener when the app starts, stops it (and the media side) when it stops; a readiness check says whether it listens. */
@Injectable()
export class RecorderLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(SiprecRecorder) private readonly recorder: SiprecRecorder,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    @Optional() @Inject(READINESS_CHECKS) checks?: ReadinessCheck[],
  ) {
    checks?.push({ name: 'siprec-recorder', check: () => (this.recorder.running ? { ok: true } : { ok: false, error: 'the SIPS listener is not running' }) });
  }

  async onModuleInit(): Promise<void> {
    await this.recorder.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.recorder.close();
    await this.media.close();
  }
}

@Module({
  controllers: [RecorderController],
  providers: [
    {
      provide: MEDIA_PORT,
      inject: [EMULATOR_CONFIG, EMULATOR_LOGGER],
      useFactory: (config: EmulatorConfig, logger: Logger): MediaPort =>
        new MediaReceiver({ host: config.media.host, portMin: config.media.portMin, portMax: config.media.portMax, recordingsDir: config.media.recordingsDir, logger: logger.child({ component: 'recorder-media' }) }),
    },
    {
      provide: SiprecRecorder,
      inject: [EMULATOR_CONFIG, EMULATOR_LOGGER, RegistrationStore, MEDIA_PORT],
      useFactory: (config: EmulatorConfig, logger: Logger, registrations: RegistrationStore, media: MediaPort) =>
        new SiprecRecorder({
          sip: { host: config.sip.host, port: config.sip.port, cert: readPem('recorder certificate', config.sip.cert), key: readPem('recorder key', config.sip.key), ca: readPem('client CA', config.sip.ca) },
          mediaHost: config.media.host,
          registrations,
          media,
          logger: logger.child({ component: 'siprec-recorder' }),
          maxRecordings: config.media.maxRecordings,
        }),
    },
    RecorderLifecycle,
  ],
  exports: [SiprecRecorder],
})
export class RecorderModule {}
