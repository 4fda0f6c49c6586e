import type { DialerCallEventV1, RecordingEventV1, WidgetEventV1, WidgetRecordingV1 } from '@ci-connector/events';

/** The recording state a `recording.*` event leaves the call in. */
export function recordingStateOf(type: RecordingEventV1['type']): WidgetRecordingV1['state'] {
  switch (type) {
    case 'recording.started':
      return 'started';
    case 'recording.failed':
      return 'failed';
    case 'recording.stopped':
      return 'stopped';
    case 'recording.paused':
      return 'paused';
    case 'recording.resumed':
      return 'resumed';
  }
}

/**
 * The event for the seller's widget: the seed's payload with `callId` = the id
 * correlation chose (the SIPREC Call-ID when the call is recorded), the
 * recording as last known, and the dialer event's id (the widget drops a second
 * delivery of it).
 */
export function widgetEventOf(dialer: DialerCallEventV1, widgetCallId: string, recording: WidgetRecordingV1 | undefined, at: Date): WidgetEventV1 {
  const base = {
    type: 'widget.event' as const,
    eventId: dialer.eventId,
    tenantId: dialer.tenantId,
    sellerId: dialer.sellerId,
    dialerCallId: dialer.callId,
    ...(recording ? { recording } : {}),
    at: at.toISOString(),
    receivedAt: dialer.receivedAt,
  };
  if (dialer.type === 'call.started') {
    if (!dialer.started) throw new Error('call.started without its `started` fields');
    return { ...base, name: 'WIDGET_CALL_STARTED', payload: { callId: widgetCallId, ...dialer.started } };
  }
  if (!dialer.ended) throw new Error('call.ended without its `ended` fields');
  return { ...base, name: 'WIDGET_CALL_ENDED', payload: { callId: widgetCallId, ...dialer.ended } };
}

/**
 * Until when a dialer's call.started may wait for the recording: `waitMs` after
 * call-events received it (a backlog replayed later does not wait again), never
 * more than `waitMs` from now (a clock ahead of ours).
 */
export function correlationDeadline(receivedAt: string, waitMs: number, now: number): number {
  const received = Date.parse(receivedAt);
  const fromNow = now + waitMs;
  return Number.isFinite(received) ? Math.min(received + waitMs, fromNow) : fromNow;
}

/** Whether an event stamped `at` is older than `maxAgeMs` (0 = never too old). */
export function tooOld(at: string, maxAgeMs: number, now: number): boolean {
  if (maxAgeMs <= 0) return false;
  const t = Date.parse(at);
  return Number.isFinite(t) && now - t > maxAgeMs;
}
