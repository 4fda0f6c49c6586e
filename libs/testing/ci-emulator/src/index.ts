export * from './emulator-process';
