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
/** Where a secret is found: each field above at the top level and one level down, and headers two levels down. */
export const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
];

const CENSOR = '[redacted]';
const SECRET_KEYS = new Set([...SECRET_FIELDS, 'x-api-key']);
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'x-api-key']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A copy of `obj` with the secret keys of `keys` censored, or `obj` itself when it holds none (copy on write). */
function censorKeys(obj: Record<string, unknown>, keys: Set<string>, nested?: (key: string, value: unknown) => unknown): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k in obj) {
    const v = obj[k];
    let next = v;
    if (keys.has(k)) next = CENSOR;
    else if (nested && isPlainObject(v)) next = nested(k, v);
    if (next !== v) (out ??= { ...obj })[k] = next;
  }
  return out ?? obj;
}

/**
 * REDACTED_PATHS, applied by one walk of the line's object (pino's own `redact`
 * with wildcard paths costs ~8x a plain line: it was the largest single cost of a
 * recorded call in sip-signaling). The caller's object is never changed.
 */
export function redactLogObject(obj: Record<string, unknown>): Record<string, unknown> {
  return censorKeys(obj, SECRET_KEYS, (key, v) =>
    censorKeys(v as Record<string, unknown>, SECRET_KEYS, key === 'req' ? (k2, h) => (k2 === 'headers' ? censorKeys(h as Record<string, unknown>, SECRET_HEADERS) : h) : undefined),
  );
}

/** A pino logger with secrets redacted and the active trace and span ids on every line. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      base: { service: opts.name, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redactLogObject },
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
