import { Module } from '@nestjs/common';

/** Placeholder: filled in by the providers part of the emulator. */
@Module({})
export class ProvidersModule {}
