export { GracefulShutdown, type ShutdownOptions, type ShutdownHook } from './graceful-shutdown';
