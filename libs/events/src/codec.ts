import type { z } from 'zod';
import { EventDecodeError } from './topics';

/** Every problem of a failed parse, `path: message; …`. */
export function problemsOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ');
}

/** Validates before writing: nothing invalid is ever produced (throws EventDecodeError naming each bad field). */
export function encodeWith<T>(topic: string, schema: z.ZodType<T>, value: T): Buffer {
  const r = schema.safeParse(value);
  if (!r.success) throw new EventDecodeError(topic, `refusing to encode an invalid message: ${problemsOf(r.error)}`);
  return Buffer.from(JSON.stringify(r.data), 'utf8');
}

/** JSON, then the schema; throws EventDecodeError saying what is wrong (a tombstone, not JSON, each bad field). */
export function decodeWith<T>(topic: string, schema: z.ZodType<T>, value: Buffer | null): T {
  if (value === null) throw new EventDecodeError(topic, 'null value (tombstone) where a message was expected');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new EventDecodeError(topic, `not JSON (${(err as Error).message})`);
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new EventDecodeError(topic, problemsOf(r.error));
  return r.data;
}
