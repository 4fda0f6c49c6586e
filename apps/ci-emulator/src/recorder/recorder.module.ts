import { Module } from '@nestjs/common';

/** Placeholder: filled in by the recorder part of the emulator. */
@Module({})
export class RecorderModule {}
