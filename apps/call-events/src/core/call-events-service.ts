import { context, propagation } from '@opentelemetry/api';
import {
  callEventId,
  encodeDialerCallEvent,
  encodeRecordingControl,
  signWidgetToken,
  type CallEventType,
  type DialerCallEventV1,
  type RecordingControlAction,
} from '@ci-connector/events';
import type { Principal } from './auth';
import { ApiError } from './errors';
import type { EventSink } from './event-sender';
import {
  callEndedBodySchema,
  callIdSchema,
  callStartedBodySchema,
  idempotencyKeySchema,
  recordingActionSchema,
  recordingControlBodySchema,
  validateParts,
  widgetTokenBodySchema,
  type CallEndedBody,
  type CallStartedBody,
  type RecordingControlBody,
  type WidgetTokenBody,
} from './requests';
import { authorizeTenant, normaliseTenantId, type TenantDirectory } from './tenant-access';

export interface CallEventsOptions {
  topics: { callEvents: string; recordingControl: string };
  widgetToken: { secret: string; defaultTtlSeconds: number; maxTtlSeconds: number };
}

/** Where accepted requests are logged (pino's signature). */
export interface EventLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** A call event as it arrives: the call id (path / message), the idempotency key (header / message) and the rest (body / message). */
export interface CallEventInput {
  callId: unknown;
  idempotencyKey: unknown;
  body: unknown;
  /** How the transport names the idempotency key in problems (`Idempotency-Key` header, `idempotencyKey` field). */
  idempotencyKeyField: string;
}

export interface RecordingControlInput {
  callId: unknown;
  action: unknown;
  body: unknown;
}

export interface RecordingCommandAccepted {
  callId: string;
  action: RecordingControlAction;
  at: string;
}

export interface WidgetTokenIssued {
  token: string;
  tenantId: string;
  sellerId: string;
  expiresAt: string;
}

/**
 * The ingest, transport-neutral (REST and gRPC call the same methods): validate
 * every field (400 naming each), check the partner's tenant (403), produce, and
 * answer only after Kafka acknowledged (503 otherwise).
 */
export class CallEventsService {
  private readonly tokenSchema;

  constructor(
    private readonly sink: EventSink,
    private readonly tenants: TenantDirectory,
    private readonly opts: CallEventsOptions,
    private readonly log: EventLog = { debug: () => undefined, info: () => undefined },
    private readonly now: () => Date = () => new Date(),
  ) {
    this.tokenSchema = widgetTokenBodySchema(opts.widgetToken.maxTtlSeconds);
  }

  async postCallEvent(p: Principal, type: CallEventType, input: CallEventInput): Promise<{ eventId: string }> {
    const v = validateParts(
      [
        { field: 'callId', schema: callIdSchema, value: input.callId },
        { field: input.idempotencyKeyField, schema: idempotencyKeySchema, value: input.idempotencyKey },
      ],
      { schema: type === 'call.started' ? callStartedBodySchema : callEndedBodySchema, value: input.body },
    );
    if (!v.ok) throw ApiError.invalid(v.problems);
    const [callId, idempotencyKey] = v.values as [string, string];
    const tenantId = normaliseTenantId((v.body as { tenantId: string }).tenantId);
    await authorizeTenant(p, tenantId, this.tenants);

    const eventId = callEventId(p.partnerId, idempotencyKey);
    const routing = { tenantId, sellerId: (v.body as { sellerId: string }).sellerId, callId, ...sipCallIdOf(v.body as { sipCallId?: string }) };
    let event: DialerCallEventV1;
    if (type === 'call.started') {
      const b = v.body as CallStartedBody;
      event = { type, eventId, idempotencyKey, partnerId: p.partnerId, ...routing, started: { startTime: b.startTime, isIncomingCall: b.isIncomingCall, contactNumber: b.contactNumber, contactName: b.contactName }, receivedAt: this.now().toISOString() };
    } else {
      const b = v.body as CallEndedBody;
      event = {
        type,
        eventId,
        idempotencyKey,
        partnerId: p.partnerId,
        ...routing,
        ended: { callDurationInSeconds: b.callDurationInSeconds, callTerminationReason: b.callTerminationReason, callEndTime: b.callEndTime, isCallStarted: b.isCallStarted },
        receivedAt: this.now().toISOString(),
      };
    }
    await this.sink.send({ topic: this.opts.topics.callEvents, key: callId, value: encodeDialerCallEvent(event), headers: traceHeaders() });
    this.log.debug({ callId, tenantId, sellerId: event.sellerId, partnerId: p.partnerId, eventId, type }, 'call event accepted');
    return { eventId };
  }

  async controlRecording(p: Principal, input: RecordingControlInput): Promise<RecordingCommandAccepted> {
    const v = validateParts(
      [
        { field: 'callId', schema: callIdSchema, value: input.callId },
        { field: 'action', schema: recordingActionSchema, value: input.action },
      ],
      { schema: recordingControlBodySchema, value: input.body },
    );
    if (!v.ok) throw ApiError.invalid(v.problems);
    const [callId, action] = v.values as [string, RecordingControlAction];
    const body = v.body as RecordingControlBody;
    const tenantId = normaliseTenantId(body.tenantId);
    await authorizeTenant(p, tenantId, this.tenants);
    const at = this.now().toISOString();
    const requestedBy = `partner:${p.partnerId}${body.sellerId !== undefined ? ` seller:${body.sellerId}` : ''}`.slice(0, 256);
    await this.sink.send({
      topic: this.opts.topics.recordingControl,
      key: callId,
      // tenantId: sip-signaling acts only if the call is this tenant's, so a partner cannot stop another tenant's recording.
      value: encodeRecordingControl({ type: 'recording.control', action, callId, tenantId, requestedBy, at }),
      headers: traceHeaders(),
    });
    this.log.info({ callId, tenantId, partnerId: p.partnerId, action }, 'recording command accepted');
    return { callId, action, at };
  }

  async createWidgetToken(p: Principal, body: unknown): Promise<WidgetTokenIssued> {
    const v = validateParts([], { schema: this.tokenSchema, value: body });
    if (!v.ok) throw ApiError.invalid(v.problems);
    const b = v.body as WidgetTokenBody;
    const tenantId = normaliseTenantId(b.tenantId);
    await authorizeTenant(p, tenantId, this.tenants);
    const exp = Math.floor(this.now().getTime() / 1000) + (b.ttlSeconds ?? this.opts.widgetToken.defaultTtlSeconds);
    const token = signWidgetToken({ tid: tenantId, sub: b.sellerId, pid: p.partnerId, exp }, this.opts.widgetToken.secret);
    const expiresAt = new Date(exp * 1000).toISOString();
    this.log.info({ tenantId, sellerId: b.sellerId, partnerId: p.partnerId, expiresAt }, 'widget token issued');
    return { token, tenantId, sellerId: b.sellerId, expiresAt };
  }
}

function sipCallIdOf(b: { sipCallId?: string }): { sipCallId?: string } {
  return b.sipCallId !== undefined ? { sipCallId: b.sipCallId } : {};
}

/** W3C trace context of the request (traceparent, tracestate) for the consumers' spans. */
function traceHeaders(): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}
