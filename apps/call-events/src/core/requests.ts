import { z } from 'zod';
import { CALL_EVENT_ID_MAX, RECORDING_CONTROL_ACTIONS, callEndedFieldsV1Schema, callStartedFieldsV1Schema, type RecordingControlAction } from '@ci-connector/events';
import type { FieldProblem } from './errors';

/**
 * What partners send, REST and gRPC alike. The seed's fields are the contract's
 * own schemas (@ci-connector/events), so ingest accepts exactly what the topic
 * takes; around them: the tenant, the seller, the SIP Call-ID, and (from the
 * path/header or the gRPC message) the call id and the idempotency key.
 */

const ID_MAX = CALL_EVENT_ID_MAX;
const id = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(ID_MAX, `longer than ${ID_MAX} characters`);
/** Call ids end up in Kafka keys, SIP headers and Redis keys: visible ASCII only (a SIP Call-ID is, RFC 3261 §25.1). */
const visibleId = id.regex(/^[\x21-\x7e]+$/, 'only visible ASCII characters (no spaces or control characters)');

export const callIdSchema = visibleId;
/** Like an HTTP header value (IETF draft-ietf-httpapi-idempotency-key-header): printable ASCII. */
export const idempotencyKeySchema = id.regex(/^[\x20-\x7e]+$/, 'only printable ASCII characters');

const routing = {
  tenantId: id,
  sellerId: id,
  sipCallId: visibleId.optional(),
};

const unknownField = (iss: { code: string }) => (iss.code === 'unrecognized_keys' ? 'not a known field' : 'the body must be a JSON object');

export const callStartedBodySchema = z.strictObject({ ...routing, ...callStartedFieldsV1Schema.shape }, { error: unknownField });
export const callEndedBodySchema = z.strictObject({ ...routing, ...callEndedFieldsV1Schema.shape }, { error: unknownField });
export type CallStartedBody = z.output<typeof callStartedBodySchema>;
export type CallEndedBody = z.output<typeof callEndedBodySchema>;

export const recordingActionSchema = z.enum(RECORDING_CONTROL_ACTIONS, { error: `must be one of ${RECORDING_CONTROL_ACTIONS.join(', ')}` });
export const recordingControlBodySchema = z.strictObject(
  {
    tenantId: id,
    /** The seller who asked (for the logs: requestedBy). */
    sellerId: id.optional(),
  },
  { error: unknownField },
);
export type RecordingControlBody = z.output<typeof recordingControlBodySchema>;

export const WIDGET_TOKEN_MIN_TTL_SECONDS = 60;

export function widgetTokenBodySchema(maxTtlSeconds: number) {
  return z.strictObject(
    {
      tenantId: id,
      sellerId: id,
      ttlSeconds: z
        .number({ error: 'must be a number of seconds' })
        .int('must be a whole number of seconds')
        .min(WIDGET_TOKEN_MIN_TTL_SECONDS, `at least ${WIDGET_TOKEN_MIN_TTL_SECONDS} seconds`)
        .max(maxTtlSeconds, `at most ${maxTtlSeconds} seconds`)
        .optional(),
    },
    { error: unknownField },
  );
}
export type WidgetTokenBody = z.output<ReturnType<typeof widgetTokenBodySchema>>;

export type { RecordingControlAction };

/** Where a value came from, to name it in a problem: a body field, or `callId` in the path, or the `Idempotency-Key` header. */
export interface Part {
  /** The name a problem carries (`startTime`, `callId`, `Idempotency-Key`). */
  field: string;
  schema: z.ZodType;
  value: unknown;
}

/**
 * Validates every part and collects every problem (all bad fields in one 400):
 * a missing field says "required", an unknown one "not a known field".
 */
export function validateParts(parts: Part[], body?: { schema: z.ZodType; value: unknown }): { ok: true; values: unknown[]; body: unknown } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const values: unknown[] = [];
  for (const part of parts) {
    const r = part.schema.safeParse(part.value);
    if (r.success) values.push(r.data);
    else problems.push({ field: part.field, message: part.value === undefined ? 'required' : (r.error.issues[0]?.message ?? 'invalid') });
  }
  let parsedBody: unknown;
  if (body) {
    if (body.value === undefined || body.value === null || typeof body.value !== 'object' || Array.isArray(body.value)) {
      problems.push({ field: '(body)', message: 'must be a JSON object' });
    } else {
      const r = body.schema.safeParse(body.value);
      if (r.success) parsedBody = r.data;
      else problems.push(...bodyProblems(r.error, body.value as Record<string, unknown>));
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values, body: parsedBody };
}

function bodyProblems(error: z.ZodError, input: Record<string, unknown>): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ field: [...issue.path, k].join('.'), message: 'not a known field' });
      continue;
    }
    const field = issue.path.join('.') || '(body)';
    const missing = issue.code === 'invalid_type' && issue.path.length === 1 && input[String(issue.path[0])] === undefined;
    out.push({ field, message: missing ? 'required' : issue.message });
  }
  return out;
}
