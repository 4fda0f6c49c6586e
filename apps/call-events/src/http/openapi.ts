import { z } from 'zod';
import { callEndedBodySchema, callStartedBodySchema, recordingControlBodySchema, widgetTokenBodySchema } from '../core/requests';

/**
 * The OpenAPI components. Request bodies are the JSON Schemas of the very zod
 * schemas that validate them (and those embed the topic contract's own fields),
 * so the docs and the validation cannot diverge.
 */
type JsonSchema = Record<string, unknown>;

function toOpenApi(schema: z.ZodType, descriptions: Record<string, string> = {}): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json['$schema'];
  const props = json['properties'] as Record<string, JsonSchema> | undefined;
  if (props) for (const [k, d] of Object.entries(descriptions)) if (props[k]) props[k] = { ...props[k], description: d };
  return json;
}

const routing = {
  tenantId: "The customer's tenant (Entra tenant id, as onboarded in registration-service): one of the tenants of your API key or certificate.",
  sellerId: 'The seller whose widget shows the call: the id the widget connects with (its widget token was issued for it).',
  sipCallId: "The Call-ID of the call's SIP leg through ci-connector, when you know it and did not pass your call id as X-Dialer-Call-Id: it lets the event find the recording.",
};

export function openApiSchemas(maxTtlSeconds: number): Record<string, JsonSchema> {
  return {
    CallStarted: toOpenApi(callStartedBodySchema, {
      ...routing,
      startTime: 'When the call started: ISO 8601 with an offset, e.g. 2026-11-29T10:00:00Z.',
      isIncomingCall: 'true when the customer called the seller.',
      contactNumber: "The customer's phone number.",
      contactName: "The customer's name (may be empty).",
    }),
    CallEnded: toOpenApi(callEndedBodySchema, {
      ...routing,
      callDurationInSeconds: 'How long the call was connected, in seconds; 0 when it never connected.',
      callTerminationReason: '`success` or `error`.',
      callEndTime: 'When the call ended: ISO 8601 with an offset.',
      isCallStarted: 'false when the call never connected.',
    }),
    RecordingCommand: toOpenApi(recordingControlBodySchema, { tenantId: routing.tenantId, sellerId: 'The seller who asked (logged with the command).' }),
    WidgetTokenRequest: toOpenApi(widgetTokenBodySchema(maxTtlSeconds), {
      tenantId: routing.tenantId,
      sellerId: 'The seller the widget belongs to: widget-gateway streams this seller’s events to it.',
      ttlSeconds: `Lifetime in seconds (60-${maxTtlSeconds}); the service default when left out.`,
    }),
    EventAccepted: {
      type: 'object',
      properties: { eventId: { type: 'string', format: 'uuid', description: 'The event id: the same for every post with the same idempotency key.' } },
      required: ['eventId'],
    },
    RecordingCommandAccepted: {
      type: 'object',
      properties: { callId: { type: 'string' }, action: { type: 'string', enum: ['start', 'stop', 'pause', 'resume'] }, at: { type: 'string', format: 'date-time' } },
      required: ['callId', 'action', 'at'],
    },
    WidgetToken: {
      type: 'object',
      properties: {
        token: { type: 'string', description: 'Give it to the widget (libs/cif-widget connect({ token })); widget-gateway verifies it.' },
        tenantId: { type: 'string' },
        sellerId: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time' },
      },
      required: ['token', 'tenantId', 'sellerId', 'expiresAt'],
    },
    Error: {
      type: 'object',
      properties: {
        error: { type: 'string', description: 'What is wrong, for a person.' },
        problems: {
          type: 'array',
          description: 'Each bad field (400), else empty.',
          items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] },
        },
      },
      required: ['error', 'problems'],
    },
  };
}
