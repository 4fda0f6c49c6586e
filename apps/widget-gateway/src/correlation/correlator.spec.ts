import { callEventId, decodeWidgetEvent, encodeWidgetEvent, type DialerCallEventV1, type WidgetRecordingV1 } from '@ci-connector/events';
import { Correlator, type CorrelationStore, type RecordingLookup } from './correlator';
import { correlationDeadline, recordingStateOf, tooOld, widgetEventOf } from './widget-event';

const NOW = Date.parse('2026-11-29T10:00:05.000Z');
const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';

function dialer(type: 'call.started' | 'call.ended', callId: string, over: Partial<DialerCallEventV1> = {}): DialerCallEventV1 {
  const base = { eventId: callEventId('p1', `${callId}-${type}`), idempotencyKey: `${callId}-${type}`, partnerId: 'p1', tenantId: T1, sellerId: 'alice', callId, receivedAt: new Date(NOW).toISOString() };
  return type === 'call.started'
    ? { ...base, type, started: { startTime: '2026-11-29T10:00:00Z', isIncomingCall: false, contactNumber: '+447700900123', contactName: 'Alice' }, ...over }
    : { ...base, type, ended: { callDurationInSeconds: 0, callTerminationReason: 'error', callEndTime: '2026-11-29T10:00:04Z', isCallStarted: false }, ...over };
}

/** Recordings per tenant by call id and by SIP Call-ID; `lagging` ones appear only to a waiter. */
class FakeRecordings implements RecordingLookup {
  readonly known: { tenantId: string; rec: WidgetRecordingV1 }[] = [];
  readonly lagging: { tenantId: string; rec: WidgetRecordingV1 }[] = [];
  readonly waits: { callId: string; deadline: number }[] = [];

  find(tenantId: string, callId: string, sipCallId?: string): Promise<WidgetRecordingV1 | undefined> {
    const mine = this.known.filter((k) => k.tenantId === tenantId);
    return Promise.resolve(mine.find((k) => k.rec.callId === callId)?.rec ?? mine.find((k) => sipCallId !== undefined && k.rec.sipCallId === sipCallId)?.rec);
  }

  async wait(tenantId: string, callId: string, sipCallId: string | undefined, deadline: number): Promise<WidgetRecordingV1 | undefined> {
    this.waits.push({ callId, deadline });
    this.known.push(...this.lagging.splice(0));
    return this.find(tenantId, callId, sipCallId);
  }
}

class FakeStore implements CorrelationStore {
  readonly ids = new Map<string, string>();
  readonly owners = new Map<string, string>();
  constructor(private readonly recordings: FakeRecordings) {}
  async lookup(tenantId: string, dialerCallId: string, sipCallId?: string) {
    const decided = this.ids.get(`${tenantId}|${dialerCallId}`);
    const recording = await this.recordings.find(tenantId, dialerCallId, sipCallId);
    return { ...(decided ? { decided } : {}), ...(recording ? { recording } : {}) };
  }
  decide(tenantId: string, dialerCallId: string, widgetCallId: string, sellerId: string) {
    const k = `${tenantId}|${dialerCallId}`;
    if (!this.ids.has(k)) this.ids.set(k, widgetCallId);
    const inForce = this.ids.get(k) ?? widgetCallId;
    this.owners.set(`${tenantId}|${inForce}`, sellerId);
    return Promise.resolve(inForce);
  }
}

const recording = (callId: string, sipCallId: string, state: WidgetRecordingV1['state'] = 'started'): WidgetRecordingV1 => ({ callId, sipCallId, state, recorder: 'sip:SRS@srs.example:5061;transport=tls' });

function setup(waitMs = 2000) {
  const recordings = new FakeRecordings();
  const store = new FakeStore(recordings);
  return { recordings, store, correlator: new Correlator({ recordings, store, waitMs, now: () => NOW }) };
}

describe('Correlator', () => {
  it('gives the widget the SIPREC Call-ID of a recording found by the dialer\'s call id (the dialer passed it to sip-signaling)', async () => {
    const { recordings, correlator } = setup();
    recordings.known.push({ tenantId: T1, rec: recording('CA1', 'a-leg-1@pbx') });
    const { event, correlated, waited } = await correlator.correlate(dialer('call.started', 'CA1'));
    expect(event.payload.callId).toBe('CA1');
    expect(event.recording).toEqual(recording('CA1', 'a-leg-1@pbx'));
    expect({ correlated, waited }).toEqual({ correlated: true, waited: false });
  });

  it('finds a recording by the A leg\'s SIP Call-ID when sip-signaling minted the call id', async () => {
    const { recordings, correlator } = setup();
    recordings.known.push({ tenantId: T1, rec: recording('minted-77@src', 'a-leg-2@pbx') });
    const { event } = await correlator.correlate(dialer('call.started', 'dialer-2', { sipCallId: 'a-leg-2@pbx' }));
    expect(event.payload.callId).toBe('minted-77@src');
    expect(event.dialerCallId).toBe('dialer-2');
  });

  it('never takes another tenant\'s recording', async () => {
    const { recordings, correlator } = setup(0);
    recordings.known.push({ tenantId: T2, rec: recording('other@src', 'a-leg-3@pbx') });
    const { event, correlated } = await correlator.correlate(dialer('call.started', 'dialer-3', { sipCallId: 'a-leg-3@pbx' }));
    expect(event.payload.callId).toBe('dialer-3');
    expect(event.recording).toBeUndefined();
    expect(correlated).toBe(false);
  });

  it('waits, until CORRELATION_WAIT after call-events received it, for a recording.started that lags the call.started', async () => {
    const { recordings, correlator } = setup(2000);
    recordings.lagging.push({ tenantId: T1, rec: recording('minted-4@src', 'a-leg-4@pbx') });
    const received = new Date(NOW - 500).toISOString();
    const { event, waited, correlated } = await correlator.correlate(dialer('call.started', 'dialer-4', { sipCallId: 'a-leg-4@pbx', receivedAt: received }));
    expect(recordings.waits).toEqual([{ callId: 'dialer-4', deadline: NOW + 1500 }]);
    expect(event.payload.callId).toBe('minted-4@src');
    expect({ waited, correlated }).toEqual({ waited: true, correlated: true });
  });

  it('uses the dialer\'s call id when no recording turns up, and keeps it for the call.ended even if a recording appears later', async () => {
    const { recordings, correlator } = setup(2000);
    const started = await correlator.correlate(dialer('call.started', 'dialer-5', { sipCallId: 'a-leg-5@pbx' }));
    expect(started.event.payload.callId).toBe('dialer-5');
    expect(started.waited).toBe(true);
    recordings.known.push({ tenantId: T1, rec: recording('minted-5@src', 'a-leg-5@pbx', 'stopped') });
    const ended = await correlator.correlate(dialer('call.ended', 'dialer-5', { sipCallId: 'a-leg-5@pbx' }));
    // CIF must see one id per call: the one its call.started had.
    expect(ended.event.payload.callId).toBe('dialer-5');
    expect(ended.event.recording?.state).toBe('stopped');
    expect(ended.correlated).toBe(false);
  });

  it('does not wait for a call.ended, nor for a call.started received longer ago than the wait', async () => {
    const { recordings, correlator } = setup(2000);
    await correlator.correlate(dialer('call.ended', 'dialer-6'));
    await correlator.correlate(dialer('call.started', 'dialer-7', { receivedAt: new Date(NOW - 3000).toISOString() }));
    expect(recordings.waits).toEqual([]);
  });

  it('does not wait for a call.started that names no SIP Call-ID: its call id is the call id end to end, recorded or not', async () => {
    const { recordings, correlator } = setup(2000);
    const started = await correlator.correlate(dialer('call.started', 'dialer-8'));
    expect({ callId: started.event.payload.callId, waited: started.waited }).toEqual({ callId: 'dialer-8', waited: false });
    expect(recordings.waits).toEqual([]);
  });

  it('gives a redelivered event the id its call already has', async () => {
    const { recordings, store, correlator } = setup(0);
    recordings.known.push({ tenantId: T1, rec: recording('CA8', 'a-leg-8@pbx') });
    const first = await correlator.correlate(dialer('call.started', 'CA8'));
    const again = await correlator.correlate(dialer('call.started', 'CA8'));
    expect(again.event).toEqual(first.event);
    expect(store.owners.get(`${T1}|CA8`)).toBe('alice');
  });
});

describe('widgetEventOf', () => {
  it('carries exactly the seed\'s payload fields, and encodes with the widget-events codec', () => {
    const at = new Date(NOW);
    const started = widgetEventOf(dialer('call.started', 'd1'), 'siprec-1', recording('siprec-1', 'a1'), at);
    expect(started).toEqual({
      type: 'widget.event',
      eventId: callEventId('p1', 'd1-call.started'),
      tenantId: T1,
      sellerId: 'alice',
      name: 'WIDGET_CALL_STARTED',
      payload: { callId: 'siprec-1', startTime: '2026-11-29T10:00:00Z', isIncomingCall: false, contactNumber: '+447700900123', contactName: 'Alice' },
      dialerCallId: 'd1',
      recording: recording('siprec-1', 'a1'),
      at: at.toISOString(),
      // When call-events accepted it: delivery measures the ingest→widget lag from it.
      receivedAt: dialer('call.started', 'd1').receivedAt,
    });
    expect(decodeWidgetEvent(encodeWidgetEvent(started))).toEqual(started);
    const ended = widgetEventOf(dialer('call.ended', 'd1'), 'd1', undefined, at);
    expect(ended.name).toBe('WIDGET_CALL_ENDED');
    expect(ended.payload).toEqual({ callId: 'd1', callDurationInSeconds: 0, callTerminationReason: 'error', callEndTime: '2026-11-29T10:00:04Z', isCallStarted: false });
    expect('recording' in ended).toBe(false);
    expect(decodeWidgetEvent(encodeWidgetEvent(ended))).toEqual(ended);
  });

  it('maps every recording event type to a state', () => {
    expect(['recording.started', 'recording.failed', 'recording.stopped', 'recording.paused', 'recording.resumed'].map((t) => recordingStateOf(t as never))).toEqual(['started', 'failed', 'stopped', 'paused', 'resumed']);
  });
});

describe('deadlines and age', () => {
  it('bounds the wait by the receive time, and by now for a clock ahead of ours', () => {
    expect(correlationDeadline(new Date(NOW - 500).toISOString(), 2000, NOW)).toBe(NOW + 1500);
    expect(correlationDeadline(new Date(NOW + 60_000).toISOString(), 2000, NOW)).toBe(NOW + 2000);
  });

  it('calls an event too old only past the maximum age (0 = never)', () => {
    expect(tooOld(new Date(NOW - 61_000).toISOString(), 60_000, NOW)).toBe(true);
    expect(tooOld(new Date(NOW - 59_000).toISOString(), 60_000, NOW)).toBe(false);
    expect(tooOld(new Date(0).toISOString(), 0, NOW)).toBe(false);
  });
});
