import { Module } from '@nestjs/common';

/** Placeholder: filled in by the entra part of the emulator. */
@Module({})
export class EntraModule {}
