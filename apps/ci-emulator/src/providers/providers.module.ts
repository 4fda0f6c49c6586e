import { Module } from '@nestjs/common';
import { EntraModule } from '../entra/entra.module';
import { ProvidersAdminController } from './admin.controller';
import { ProvidersController } from './providers.controller';

/** The CI providers API (register, users to record) and its /emulator/ admin (faults, request log, registrations, reset). */
@Module({
  imports: [EntraModule],
  controllers: [ProvidersController, ProvidersAdminController],
})
export class ProvidersModule {}
