import type { Logger } from '@ci-connector/platform-logging';

/** What the library logs through: a pino logger (createLogger) fits. */
export type CiApiLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

const noop = () => undefined;
export const silentLogger: CiApiLogger = { debug: noop, info: noop, warn: noop, error: noop } as unknown as CiApiLogger;
