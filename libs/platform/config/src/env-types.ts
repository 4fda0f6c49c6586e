import { z } from 'zod';

/**
 * Building blocks for environment schemas. Each carries a description that the
 * error message repeats as "expects …", so an operator sees what a variable takes.
 */

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** A boolean written as true/false, 1/0, yes/no or on/off (z.coerce.boolean would take "false" as true). */
export function envBool(defaultValue: boolean) {
  return z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => TRUE.has(v) || FALSE.has(v), { message: 'not a boolean' })
    .transform((v) => TRUE.has(v))
    .optional()
    .transform((v) => v ?? defaultValue)
    .describe('true or false');
}

/** A TCP/UDP port, 1–65535. */
export function envPort(defaultValue?: number) {
  const port = z.coerce.number({ message: 'not a number' }).int('not a whole number').min(1, 'below 1').max(65535, 'above 65535');
  return (defaultValue === undefined ? port : port.default(defaultValue)).describe('a port number from 1 to 65535');
}

/** A whole number within bounds. */
export function envInt(opts: { min: number; max: number; default?: number }) {
  const n = z.coerce
    .number({ message: 'not a number' })
    .int('not a whole number')
    .min(opts.min, `below ${opts.min}`)
    .max(opts.max, `above ${opts.max}`);
  return (opts.default === undefined ? n : n.default(opts.default)).describe(`a whole number from ${opts.min} to ${opts.max}`);
}

/** A duration in milliseconds, written as a number of ms or with a unit: 500ms, 10s, 5m, 1h. */
export function envDurationMs(defaultValue?: string) {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const d = z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'not a duration')
    .transform((v) => {
      const [, amount = '0', unit = 'ms'] = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v) ?? [];
      return Math.round(Number(amount) * (units[unit] ?? 1));
    });
  return (defaultValue === undefined ? d : d.prefault(defaultValue)).describe('a duration such as 500ms, 10s, 5m or 1h (a bare number is ms)');
}

/** A URL whose scheme is one of `protocols` (without the colon). */
export function envUrl(protocols: string[], defaultValue?: string) {
  const u = z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: 'not a valid URL' },
    );
  return (defaultValue === undefined ? u : u.default(defaultValue)).describe(`a URL (${protocols.map((p) => `${p}://`).join(' or ')})`);
}

/** A comma-separated list of non-empty items, each checked by `item`. */
export function envList<T extends z.ZodType<unknown, string>>(item: T, defaultValue?: string) {
  const l = z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(item).min(1, 'empty list'));
  return (defaultValue === undefined ? l : l.prefault(defaultValue)).describe(`a comma-separated list`);
}

/** A pino log level. */
export function envLogLevel(defaultValue = 'info') {
  return z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(defaultValue as 'info').describe('one of fatal, error, warn, info, debug, trace, silent');
}
