import { callEventId, decodeDialerCallEvent, decodeWidgetEvent, encodeDialerCallEvent, encodeWidgetEvent, EventDecodeError, signWidgetToken, verifyWidgetToken, type DialerCallEventV1 } from './index';

const started: DialerCallEventV1 = {
  type: 'call.started',
  eventId: callEventId('partner-1', 'k1'),
  idempotencyKey: 'k1',
  partnerId: 'partner-1',
  tenantId: 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc',
  sellerId: 'seller-1',
  callId: 'CA123',
  started: { startTime: '2026-11-29T10:00:00.000Z', isIncomingCall: true, contactNumber: '+15551234567', contactName: 'Kiana' },
  receivedAt: '2026-11-29T10:00:00.100Z',
};

describe('call event contracts', () => {
  it('round-trips a dialer event; refuses one whose type and fields disagree, naming why', () => {
    expect(decodeDialerCallEvent(encodeDialerCallEvent(started))).toEqual(started);
    expect(() => encodeDialerCallEvent({ ...started, type: 'call.ended' })).toThrow(/call.ended carries `ended` only/);
    expect(() => decodeDialerCallEvent(Buffer.from(JSON.stringify({ ...started, started: { ...started.started, startTime: 'yesterday' } })))).toThrow(EventDecodeError);
    expect(() => decodeDialerCallEvent(Buffer.from(JSON.stringify({ ...started, started: { ...started.started, startTime: 'yesterday' } })))).toThrow(/started.startTime: not an ISO 8601/);
  });

  it('round-trips a widget event with the seed payload; an ended payload needs callDurationInSeconds', () => {
    const w = { type: 'widget.event' as const, eventId: started.eventId, tenantId: started.tenantId, sellerId: 'seller-1', name: 'WIDGET_CALL_ENDED' as const, payload: { callId: 'CA123', callDurationInSeconds: 0, callTerminationReason: 'error' as const, callEndTime: '2026-11-29T10:01:00Z', isCallStarted: false }, dialerCallId: 'CA123', at: '2026-11-29T10:01:00Z' };
    expect(decodeWidgetEvent(encodeWidgetEvent(w))).toEqual(w);
    const { callDurationInSeconds: _, ...without } = w.payload;
    expect(() => decodeWidgetEvent(Buffer.from(JSON.stringify({ ...w, payload: without })))).toThrow(EventDecodeError);
  });

  it('event ids: the same for a retried post, different per partner or key', () => {
    expect(callEventId('p', 'k')).toBe(callEventId('p', 'k'));
    expect(callEventId('p', 'k')).not.toBe(callEventId('q', 'k'));
    expect(callEventId('p', 'k')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('widget tokens: valid round trip; tampered, expired, short secret refused with the reason', () => {
    const secret = 'x'.repeat(32);
    const t = signWidgetToken({ tid: 't', sub: 's', pid: 'p', exp: 2_000_000_000 }, secret);
    expect(verifyWidgetToken(t, secret, 1_900_000_000)).toEqual({ tid: 't', sub: 's', pid: 'p', exp: 2_000_000_000 });
    expect(() => verifyWidgetToken(t.replace(/^./, 'A'), secret, 1_900_000_000)).toThrow(/signature/);
    expect(() => verifyWidgetToken(t, secret, 2_000_000_001)).toThrow(/expired/);
    expect(() => signWidgetToken({ tid: 't', sub: 's', pid: 'p', exp: 1 }, 'short')).toThrow(/at least 32 bytes/);
  });
});
