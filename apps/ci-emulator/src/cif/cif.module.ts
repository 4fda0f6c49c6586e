import { Module } from '@nestjs/common';

/** Placeholder: filled in by the cif part of the emulator. */
@Module({})
export class CifModule {}
