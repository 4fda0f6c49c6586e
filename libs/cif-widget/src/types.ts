// The seed's two event interfaces (ci-third-party-sp-integration.md, "Step 3"), and
// the shapes the widget reads from widget-gateway. Kept here as the widget's own
// types: @ci-connector/events validates with zod and signs tokens with node:crypto,
// neither of which belongs in a browser bundle. The field names and types must stay
// those of libs/events/src/call-events.ts (CallStartedFieldsV1, CallEndedFieldsV1,
// WidgetEventV1); cif-widget's specs check the mapping field by field.

export const WIDGET_CALL_STARTED = 'WIDGET_CALL_STARTED';
export const WIDGET_CALL_ENDED = 'WIDGET_CALL_ENDED';
export type WidgetEventName = typeof WIDGET_CALL_STARTED | typeof WIDGET_CALL_ENDED;

/** The seed's CallStartedEvent, exactly: what `WIDGET_CALL_STARTED` carries. */
export interface CallStartedEvent {
  callId: string;
  startTime: Date;
  isIncomingCall: boolean;
  contactNumber: string;
  contactName: string;
}

/** The seed's CallEndedEvent, exactly: what `WIDGET_CALL_ENDED` carries. `callDurationInSeconds` is always present (0 for a call that never connected). */
export interface CallEndedEvent {
  callId: string;
  callDurationInSeconds: number;
  callTerminationReason: 'success' | 'error';
  callEndTime: Date;
  isCallStarted: boolean;
}

/** What `raiseCallStarted` takes: the seed's event, `startTime` as a Date or an ISO 8601 string with an offset. */
export type CallStartedInput = Omit<CallStartedEvent, 'startTime'> & { startTime: Date | string };
/** What `raiseCallEnded` takes: the seed's event, `callEndTime` as a Date or an ISO 8601 string with an offset. */
export type CallEndedInput = Omit<CallEndedEvent, 'callEndTime'> & { callEndTime: Date | string };

/** The part of `Microsoft.CIFramework` (CIF 1.0) the widget uses. */
export interface CIFrameworkLike {
  raiseEvent(eventName: string, eventInputParameters: unknown, correlationId?: string): Promise<unknown>;
}

/** The recording widget-gateway found for the call (from sip-signaling's recording events). */
export interface WidgetRecording {
  /** The SIPREC session's Call-ID: the call id end to end. */
  callId: string;
  sipCallId: string;
  state: 'started' | 'failed' | 'stopped' | 'paused' | 'resumed';
  recorder?: string;
}

/** One widget event as widget-gateway streams it (`data:` of the SSE event; `id:` is the stream entry id). */
export interface WidgetStreamEvent {
  eventId: string;
  name: WidgetEventName;
  /** The seed's payload with times as ISO 8601 strings. */
  payload: Record<string, unknown>;
  recording?: WidgetRecording;
}

/** A widget event the widget raised through CIF (for `onRaised`). */
export interface RaisedEvent {
  /** The SSE entry id it came with. */
  id: string;
  eventId: string;
  name: WidgetEventName;
  payload: CallStartedEvent | CallEndedEvent;
  recording?: WidgetRecording;
  /** False when CIF already had this call's event (raised elsewhere on the page or by an earlier attempt). */
  raised: boolean;
}

export const RECORDING_ACTIONS = ['start', 'stop', 'pause', 'resume'] as const;
export type RecordingAction = (typeof RECORDING_ACTIONS)[number];

/** How the widget retries CIF calls that failed or timed out. */
export interface RetryPolicy {
  /** Attempts per event, the first included (default 6). */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time, with jitter (default 500 ms). */
  initialDelayMs: number;
  /** Longest delay between attempts (default 15 s). */
  maxDelayMs: number;
  /** How long one raiseEvent may take before the widget counts it as timed out (default 12 s: CIF's own 10 s plus room). */
  raiseTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, initialDelayMs: 500, maxDelayMs: 15_000, raiseTimeoutMs: 12_000 };

/** The subset of Web Storage the widget keeps its place in (sessionStorage by default). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
