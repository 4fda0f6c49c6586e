import { z } from 'zod';
import { decodeWith, encodeWith } from './codec';

/**
 * The real-time event topics (issue 7). The flow:
 *
 *   partner dialer ──REST/gRPC──▶ call-events ──▶ `ci.call-events.v1` (key = callId)
 *   sip-signaling ──────────────────────────────▶ `ci.recording.events.v1` (key = callId)
 *   widget-gateway: correlation joins both ──▶ `ci.widget-events.v1` (key = `<tenantId>/<sellerId>`)
 *   widget-gateway: delivery ──▶ the seller's Redis stream ──SSE──▶ libs/cif-widget ──▶ CIF raiseEvent
 *   poison messages ──▶ `ci.call-events.dlq.v1` (the consumer goes on)
 *
 * Times are ISO 8601 strings with an offset on the wire; the widget turns
 * `startTime` / `callEndTime` into `Date` before raising (the seed types them `Date`).
 * Readers ignore fields they do not know (adding an optional field is compatible).
 */
export const CALL_EVENT_TOPICS = {
  /** Keyed by call id: what partner dialers posted (validated), once per idempotency key. */
  callEvents: 'ci.call-events.v1',
  /** Keyed by `<tenantId>/<sellerId>`: the events for a seller's widget, correlated with the recording. */
  widgetEvents: 'ci.widget-events.v1',
  /** Messages a consumer could not process, with `x-source-topic`, `x-error`, `x-consumer` headers. */
  deadLetter: 'ci.call-events.dlq.v1',
} as const;

export const CALL_EVENT_TYPES = ['call.started', 'call.ended'] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];
export const WIDGET_EVENT_NAMES = ['WIDGET_CALL_STARTED', 'WIDGET_CALL_ENDED'] as const;
export type WidgetEventName = (typeof WIDGET_EVENT_NAMES)[number];
export const CALL_TERMINATION_REASONS = ['success', 'error'] as const;

/** Longest ids accepted (call ids: as RECORDING_CALL_ID_MAX). */
export const CALL_EVENT_ID_MAX = 256;
const TEXT_MAX = 256;

/** The seed's CallStartedEvent fields, less callId (times as ISO strings). */
export interface CallStartedFieldsV1 {
  startTime: string;
  isIncomingCall: boolean;
  contactNumber: string;
  contactName: string;
}

/** The seed's CallEndedEvent fields, less callId. `callDurationInSeconds` always present (0 for a call that never connected). */
export interface CallEndedFieldsV1 {
  callDurationInSeconds: number;
  callTerminationReason: (typeof CALL_TERMINATION_REASONS)[number];
  callEndTime: string;
  isCallStarted: boolean;
}

/** Value of `ci.call-events.v1` (the key is `callId`). */
export interface DialerCallEventV1 {
  type: CallEventType;
  /** Unique per (partnerId, idempotencyKey): a retried post gives the same id (see `callEventId`). */
  eventId: string;
  idempotencyKey: string;
  /** Who posted it (the API key's id, or the client certificate's subject). */
  partnerId: string;
  tenantId: string;
  /** The seller, as the widget connects with it (the Dynamics user id, or the seller's phone/AOR as the tenant chooses). */
  sellerId: string;
  /** The dialer's call id: the call id end to end when the dialer passed it to sip-signaling (`X-Dialer-Call-Id`). */
  callId: string;
  /** The A leg's SIP Call-ID, when the dialer knows it: correlates when sip-signaling minted the call id. */
  sipCallId?: string;
  started?: CallStartedFieldsV1;
  ended?: CallEndedFieldsV1;
  /** When call-events accepted it. */
  receivedAt: string;
}

/** The recording of the call, as correlation found it from `ci.recording.events.v1`. */
export interface WidgetRecordingV1 {
  /** The SIPREC session's Call-ID (= the call id end to end). */
  callId: string;
  sipCallId: string;
  state: 'started' | 'failed' | 'stopped' | 'paused' | 'resumed';
  recorder?: string;
}

/** Value of `ci.widget-events.v1` (the key is `<tenantId>/<sellerId>`). */
export interface WidgetEventV1 {
  type: 'widget.event';
  /** The dialer event's id: the widget drops a second delivery of the same id. */
  eventId: string;
  tenantId: string;
  sellerId: string;
  name: WidgetEventName;
  /**
   * Exactly the seed's payload (CallStartedEvent / CallEndedEvent), times as ISO
   * strings. `callId` is the SIPREC Call-ID when the call was recorded (correlated),
   * else the dialer's call id.
   */
  payload: ({ callId: string } & CallStartedFieldsV1) | ({ callId: string } & CallEndedFieldsV1);
  dialerCallId: string;
  recording?: WidgetRecordingV1;
  at: string;
  /** When call-events accepted the dialer event (its `receivedAt`): delivery measures the ingest→widget lag from it. */
  receivedAt?: string;
}

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `longer than ${max} characters`);
const isoAt = z.iso.datetime({ offset: true, error: 'not an ISO 8601 date-time with an offset (e.g. 2026-11-29T10:00:00Z)' });

export const callStartedFieldsV1Schema = z.strictObject({
  startTime: isoAt,
  isIncomingCall: z.boolean({ error: 'must be true or false' }),
  contactNumber: z.string({ error: 'must be a string' }).max(TEXT_MAX, `longer than ${TEXT_MAX} characters`),
  contactName: z.string({ error: 'must be a string' }).max(TEXT_MAX, `longer than ${TEXT_MAX} characters`),
});

export const callEndedFieldsV1Schema = z.strictObject({
  callDurationInSeconds: z.number({ error: 'must be a number (seconds; 0 when the call never connected)' }).finite().min(0, 'must not be negative').max(7 * 24 * 3600, 'longer than a week'),
  callTerminationReason: z.enum(CALL_TERMINATION_REASONS, { error: "must be 'success' or 'error'" }),
  callEndTime: isoAt,
  isCallStarted: z.boolean({ error: 'must be true or false' }),
});

export const dialerCallEventV1Schema = z
  .object({
    type: z.enum(CALL_EVENT_TYPES),
    eventId: text(CALL_EVENT_ID_MAX),
    idempotencyKey: text(CALL_EVENT_ID_MAX),
    partnerId: text(CALL_EVENT_ID_MAX),
    tenantId: text(CALL_EVENT_ID_MAX),
    sellerId: text(CALL_EVENT_ID_MAX),
    callId: text(CALL_EVENT_ID_MAX),
    sipCallId: text(CALL_EVENT_ID_MAX).optional(),
    started: callStartedFieldsV1Schema.optional(),
    ended: callEndedFieldsV1Schema.optional(),
    receivedAt: isoAt,
  })
  .refine((e) => (e.type === 'call.started' ? e.started !== undefined && e.ended === undefined : e.ended !== undefined && e.started === undefined), {
    message: 'call.started carries `started` only; call.ended carries `ended` only',
  });

export const widgetEventV1Schema = z.object({
  type: z.literal('widget.event'),
  eventId: text(CALL_EVENT_ID_MAX),
  tenantId: text(CALL_EVENT_ID_MAX),
  sellerId: text(CALL_EVENT_ID_MAX),
  name: z.enum(WIDGET_EVENT_NAMES),
  payload: z.union([callStartedFieldsV1Schema.extend({ callId: text(CALL_EVENT_ID_MAX) }), callEndedFieldsV1Schema.extend({ callId: text(CALL_EVENT_ID_MAX) })]),
  dialerCallId: text(CALL_EVENT_ID_MAX),
  recording: z
    .object({ callId: text(CALL_EVENT_ID_MAX), sipCallId: text(CALL_EVENT_ID_MAX), state: z.enum(['started', 'failed', 'stopped', 'paused', 'resumed']), recorder: text(CALL_EVENT_ID_MAX).optional() })
    .optional(),
  at: isoAt,
  receivedAt: isoAt.optional(),
});

export function encodeDialerCallEvent(e: DialerCallEventV1): Buffer {
  return encodeWith(CALL_EVENT_TOPICS.callEvents, dialerCallEventV1Schema as z.ZodType<DialerCallEventV1>, e);
}
export function decodeDialerCallEvent(value: Buffer | null): DialerCallEventV1 {
  return decodeWith(CALL_EVENT_TOPICS.callEvents, dialerCallEventV1Schema as z.ZodType<DialerCallEventV1>, value);
}
export function encodeWidgetEvent(e: WidgetEventV1): Buffer {
  return encodeWith(CALL_EVENT_TOPICS.widgetEvents, widgetEventV1Schema as z.ZodType<WidgetEventV1>, e);
}
export function decodeWidgetEvent(value: Buffer | null): WidgetEventV1 {
  return decodeWith(CALL_EVENT_TOPICS.widgetEvents, widgetEventV1Schema as z.ZodType<WidgetEventV1>, value);
}

/** The key of `ci.widget-events.v1` (and of the seller's delivery stream). */
export function widgetKey(tenantId: string, sellerId: string): string {
  return `${tenantId}/${sellerId}`;
}
