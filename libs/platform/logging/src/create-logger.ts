import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** The service name, on every line as `service`. */
  name: string;
  level?: string;
  /** Extra fields on every line, e.g. `{ region: 'uksouth' }`. */
  base?: Record<string, unknown>;
  /** Where lines go (stdout by default); tests pass a stream to read them. */
  destination?: DestinationStream;
}

/**
 * Paths pino replaces with [redacted]: credentials, tokens, private keys and SRTP
 * key material, at the top level and one level down (pino's `*` is one level).
 */
const SECRET_FIELDS = [
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'clientAssertion',
  'client_assertion',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'apiKey',
  'privateKey',
  'key',
  'passphrase',
  'srtpKey',
  'masterKey',
  'keyParams',
  'cookie',
  'authorization',
];
export const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
];

/** A pino logger with secrets redacted and the active trace and span ids on every line. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      base: { service: opts.name, ...opts.base },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { traceId, spanId };
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
