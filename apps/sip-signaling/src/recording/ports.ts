import type { Tenant } from '@ci-connector/tenancy';
import type { RecorderFailure, RecorderTarget } from '@ci-connector/siprec';

// The interfaces the recording session uses from the events and recorders parts
// of sip-signaling (src/events/**, src/recorders/**). main.ts wires them:
// KafkaRecordingEventPublisher (or LoggingRecordingEventPublisher without
// KAFKA_BROKERS), KafkaRecordingControlSource, RecorderPool.

export type RecordingEventType = 'recording.started' | 'recording.failed' | 'recording.stopped' | 'recording.paused' | 'recording.resumed';

export interface RecordingEventMessage {
  type: RecordingEventType;
  callId: string;
  sipCallId: string;
  tenantId: string;
  seller: string;
  recorder?: string;
  reason?: string;
  at: string;
}

/** src/events/recording-events.ts: never throws, never blocks the call. */
export interface RecordingEventPublisher {
  publish(e: RecordingEventMessage): void;
}

export interface RecordingControlCommand {
  action: 'start' | 'stop' | 'pause' | 'resume';
  callId: string;
  tenantId?: string;
  requestedBy?: string;
}

/** src/events/recording-control.ts: recording.control commands by call id. */
export interface RecordingControlSource {
  onCommand(handler: (c: RecordingControlCommand) => void): unknown;
}

/**
 * An INVITE's outcome at one recorder. The session reports the full form
 * (`{ ok: false, failure }` keeps timeout vs transport vs status); the short
 * form (`'ok'`, `{ status | error }`) is the older one the pool still accepts.
 */
export type RecorderOutcome = { ok: true } | { ok: false; failure: RecorderFailure } | 'ok' | { status?: number; error?: string; retryAfterMs?: number };

/** src/recorders/recorder-pool.ts: ordered targets (unhealthy/open-circuit ones last or skipped) and outcome reports. */
export interface RecorderPool {
  targetsFor(tenant: Tenant): RecorderTarget[];
  report(target: RecorderTarget, outcome: RecorderOutcome): void;
}
