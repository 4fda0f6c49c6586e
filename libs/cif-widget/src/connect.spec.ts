import { eventSources, fakeCif, fakeFetch, memoryStorage, tokenFor, until } from '../test/fakes';
import { connect, type ConnectOptions, type WidgetHandle } from './connect';
import { CifWidgetError } from './errors';
import { createRaiser } from './raise';
import type { RaisedEvent } from './types';

// widget-gateway's SSE events: `id:` the stream entry id, `event:` the name, `data:` {eventId, name, payload, recording}.
const startedData = (eventId: string, callId: string) => ({
  eventId,
  name: 'WIDGET_CALL_STARTED',
  payload: { callId, startTime: '2026-05-01T10:00:00.000Z', isIncomingCall: true, contactNumber: '+15550100', contactName: 'Kenny Smith' },
  recording: { callId, sipCallId: `sip-${callId}`, state: 'started' },
});
const endedData = (eventId: string, callId: string) => ({
  eventId,
  name: 'WIDGET_CALL_ENDED',
  payload: { callId, callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: '2026-05-01T10:00:42.000Z', isCallStarted: true },
});

const fast = { initialDelayMs: 1, maxDelayMs: 4, raiseTimeoutMs: 200, maxAttempts: 4 };

function setup(over: Partial<ConnectOptions> = {}) {
  const es = eventSources();
  const cif = fakeCif();
  const storage = memoryStorage();
  const errors: CifWidgetError[] = [];
  const raised: RaisedEvent[] = [];
  const fetch = fakeFetch();
  const opts: ConnectOptions = {
    url: 'https://events.carrier.example/widget/',
    token: tokenFor('seller-1'),
    sellerId: 'seller-1',
    cif,
    storage,
    retry: fast,
    reconnect: { initialDelayMs: 1, maxDelayMs: 4 },
    EventSource: es.ES,
    fetch,
    onError: (e) => errors.push(e),
    onRaised: (e) => raised.push(e),
    ...over,
  };
  const handles: WidgetHandle[] = [];
  const open = (o: Partial<ConnectOptions> = {}) => {
    const h = connect({ ...opts, ...o });
    handles.push(h);
    return h;
  };
  return { es, cif, storage, errors, raised, fetch, opts, open, closeAll: () => handles.forEach((h) => h.close()) };
}

describe('connect()', () => {
  it('opens the stream with the token as ?token= and raises each event with the seed fields, Dates as Dates, in order', async () => {
    const t = setup();
    const h = t.open();
    const es = await until('the stream', () => t.es.all[0]);
    expect(es.url).toBe(`https://events.carrier.example/widget/v1/widget/stream?token=${encodeURIComponent(tokenFor('seller-1'))}`);
    es.open();
    expect(h.status).toBe('open');
    es.send('1-0', startedData('e1', 'CA1'));
    es.send('2-0', endedData('e2', 'CA1'));
    await until('two raises', () => t.cif.calls.length === 2);
    expect(t.cif.calls[0]).toEqual({ name: 'WIDGET_CALL_STARTED', payload: { callId: 'CA1', startTime: new Date('2026-05-01T10:00:00.000Z'), isIncomingCall: true, contactNumber: '+15550100', contactName: 'Kenny Smith' } });
    expect(t.cif.calls[1]).toEqual({ name: 'WIDGET_CALL_ENDED', payload: { callId: 'CA1', callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: new Date('2026-05-01T10:00:42.000Z'), isCallStarted: true } });
    expect(t.cif.calls[0]!.payload['startTime']).toBeInstanceOf(Date);
    await until('onRaised', () => t.raised.length === 2);
    expect(t.raised[0]).toMatchObject({ id: '1-0', eventId: 'e1', name: 'WIDGET_CALL_STARTED', raised: true, recording: { callId: 'CA1', state: 'started' } });
    expect(t.errors).toEqual([]);
    t.closeAll();
    expect(h.status).toBe('closed');
    expect(es.closed).toBe(true);
  });

  it('drops a second delivery of the same eventId (even under a new stream id) and raises ended once per call', async () => {
    const t = setup();
    t.open();
    const es = await until('the stream', () => t.es.all[0]);
    es.open();
    es.send('1-0', startedData('e1', 'CA2'));
    es.send('2-0', startedData('e1', 'CA2'));
    es.send('3-0', endedData('e2', 'CA2'));
    // Another eventId, the same call ended again (a dialer that posted ended twice with two idempotency keys).
    es.send('4-0', endedData('e3', 'CA2'));
    es.send('5-0', startedData('e4', 'CA3'));
    await until('CA3 started', () => t.cif.calls.some((c) => c.payload['callId'] === 'CA3'));
    await until('all handled', () => t.raised.length === 4);
    expect(t.cif.calls.map((c) => `${c.name} ${String(c.payload['callId'])}`)).toEqual(['WIDGET_CALL_STARTED CA2', 'WIDGET_CALL_ENDED CA2', 'WIDGET_CALL_STARTED CA3']);
    expect(t.raised.map((r) => [r.eventId, r.raised])).toEqual([
      ['e1', true],
      ['e2', true],
      ['e3', false],
      ['e4', true],
    ]);
    t.closeAll();
  });

  it('connect() and the dialer’s own raiseCallEnded share the page’s once-memory: the call ends once at CIF', async () => {
    const slow = fakeCif(() => new Promise((r) => setTimeout(() => r(true), 20)));
    const t = setup({ cif: slow });
    t.open();
    const es = await until('the stream', () => t.es.all[0]);
    es.open();
    es.send('1-0', endedData('e1', 'CA20'));
    await until('the stream raise began', () => slow.calls.length === 1);
    const direct = createRaiser({ cif: slow, storage: t.storage, retry: fast });
    await expect(direct.raiseCallEnded(endedData('e2', 'CA20').payload as never)).resolves.toBe(false);
    await until('reported', () => t.raised.length === 1);
    expect(slow.calls).toHaveLength(1);
    t.closeAll();
  });

  it('keeps its place: a new connect() (page reload, same sessionStorage) resumes with ?lastEventId= and raises nothing twice', async () => {
    const t = setup();
    const h = t.open();
    const es = await until('the stream', () => t.es.all[0]);
    es.open();
    es.send('7-0', startedData('e1', 'CA4'));
    await until('raised', () => t.raised.length === 1);
    h.close();
    t.open();
    const again = await until('a second stream', () => t.es.all[1]);
    expect(again.param('lastEventId')).toBe('7-0');
    again.open();
    // A server that replays anyway: the widget still drops it.
    again.send('7-0', startedData('e1', 'CA4'));
    again.send('8-0', endedData('e2', 'CA4'));
    await until('ended', () => t.raised.length === 2);
    expect(t.raised.map((r) => r.eventId)).toEqual(['e1', 'e2']);
    expect(t.cif.calls.map((c) => c.name)).toEqual(['WIDGET_CALL_STARTED', 'WIDGET_CALL_ENDED']);
    t.closeAll();
  });

  it('a dropped connection is left to EventSource (it resumes with Last-Event-ID); a stream closed for good is reopened from the last event raised', async () => {
    const t = setup();
    const h = t.open();
    const es = await until('the stream', () => t.es.all[0]);
    es.open();
    es.send('1-0', startedData('e1', 'CA5'));
    await until('raised', () => t.raised.length === 1);
    es.drop();
    expect(h.status).toBe('reconnecting');
    expect(t.es.all).toHaveLength(1);
    es.open();
    expect(h.status).toBe('open');
    // The server answers 503 to EventSource's reconnect: it gives up, the widget starts over.
    const fetchCalls = t.fetch.calls.length;
    es.refuse();
    const second = await until('a new stream', () => t.es.all[1]);
    expect(second.param('lastEventId')).toBe('1-0');
    expect(t.fetch.calls.length).toBe(fetchCalls + 1); // asked the server why, once
    expect(t.errors[0]).toMatchObject({ code: 'stream', retrying: true });
    expect(t.errors[0]!.message).toMatch(/reconnecting in/);
    t.closeAll();
  });

  it('a refused token: with a fixed token the widget stops and says why; with a token function it gets a new token', async () => {
    const fixed = setup({ fetch: fakeFetch(() => ({ status: 401, body: '{"error":"unauthorized"}' })) });
    const h = fixed.open();
    (await until('the stream', () => fixed.es.all[0])).refuse();
    await until('closed', () => h.status === 'closed');
    expect(fixed.errors.map((e) => [e.code, e.retrying, e.status])).toEqual([['unauthorized', false, 401]]);
    expect(fixed.errors[0]!.message).toMatch(/refused the widget token \(401\).*the widget stopped/);

    let n = 0;
    const refreshing = setup({ token: () => `token-${++n}`, fetch: fakeFetch(() => ({ status: 401 })) });
    refreshing.open();
    (await until('the stream', () => refreshing.es.all[0])).refuse();
    const second = await until('a new stream', () => refreshing.es.all[1]);
    expect(refreshing.es.all[0]!.param('token')).toBe('token-1');
    expect(second.param('token')).toBe('token-2');
    expect(refreshing.errors[0]).toMatchObject({ code: 'unauthorized', retrying: true });
    refreshing.closeAll();
  });

  it('an event it cannot read is reported and skipped; the ones after it still flow', async () => {
    const t = setup();
    t.open();
    const es = await until('the stream', () => t.es.all[0]);
    es.open();
    es.send('1-0', '{not json', 'WIDGET_CALL_STARTED');
    es.send('2-0', { eventId: 'e1', name: 'WIDGET_CALL_STARTED', payload: { callId: 'CA6', startTime: 'yesterday', isIncomingCall: true, contactNumber: '', contactName: '' } });
    es.send('3-0', startedData('e2', 'CA7'));
    await until('CA7', () => t.raised.length === 1);
    expect(t.errors.map((e) => e.code)).toEqual(['invalid-event', 'invalid-event']);
    expect(t.errors[0]!.message).toMatch(/^stream event 1-0 skipped: data is not JSON/);
    expect(t.errors[1]!.problems).toEqual([{ field: 'startTime', message: expect.stringMatching(/startTime must be a Date or an ISO 8601/) }]);
    expect(t.cif.calls.map((c) => c.payload['callId'])).toEqual(['CA7']);
    t.closeAll();
  });

  it('waits for CIF before opening the stream', async () => {
    let ready = false;
    const cif = fakeCif();
    const t = setup({ cif: () => (ready ? cif : undefined) });
    const h = t.open();
    expect(h.status).toBe('waiting-for-cif');
    await new Promise((r) => setTimeout(r, 60));
    expect(t.es.all).toHaveLength(0);
    ready = true;
    await until('the stream', () => t.es.all[0]);
    t.closeAll();
  });

  it('closing while an event is still being retried keeps the place before it, so the next connect() raises it', async () => {
    const failing = fakeCif(() => Promise.reject(new Error('raiseEvent timed out after 10 s')));
    const t = setup({ cif: failing, retry: { ...fast, maxAttempts: 1000 } });
    const h = t.open();
    const es = await until('the stream', () => t.es.all[0]);
    es.open();
    es.send('1-0', startedData('e1', 'CA8'));
    await until('a few attempts', () => failing.calls.length >= 3);
    h.close();
    const working = fakeCif();
    t.open({ cif: working });
    const again = await until('a second stream', () => t.es.all[1]);
    expect(again.param('lastEventId')).toBeNull();
    again.open();
    again.send('1-0', startedData('e1', 'CA8'));
    await until('raised by the second widget', () => working.calls.length === 1);
    expect(t.errors.every((e) => e.retrying)).toBe(true);
    t.closeAll();
  });

  it('recording commands POST to /v1/widget/calls/{callId}/recording/{action} with the token as Bearer', async () => {
    const t = setup();
    const h = t.open();
    await expect(h.startRecording('CA 9/1')).resolves.toEqual({ status: 202, body: {} });
    await h.pauseRecording('CA9');
    await h.resumeRecording('CA9');
    await h.stopRecording('CA9');
    expect(t.fetch.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST https://events.carrier.example/widget/v1/widget/calls/CA%209%2F1/recording/start',
      'POST https://events.carrier.example/widget/v1/widget/calls/CA9/recording/pause',
      'POST https://events.carrier.example/widget/v1/widget/calls/CA9/recording/resume',
      'POST https://events.carrier.example/widget/v1/widget/calls/CA9/recording/stop',
    ]);
    expect(t.fetch.calls[0]!.headers['authorization']).toBe(`Bearer ${tokenFor('seller-1')}`);
    t.closeAll();
  });

  it('a refused recording command rejects with the status and the server’s message', async () => {
    const refusing = fakeFetch(() => ({ status: 404, body: '{"error":"not_found","message":"no recording for call CA10"}' }));
    const t = setup({ fetch: refusing });
    const h = t.open();
    const err = (await h.pauseRecording('CA10').catch((e: unknown) => e)) as CifWidgetError;
    expect(err).toMatchObject({ code: 'recording', status: 404 });
    expect(err.message).toBe('pause recording of call CA10: widget-gateway answered 404: no recording for call CA10');
    await expect(h.recording('rewind' as never, 'CA10')).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(h.startRecording('')).rejects.toMatchObject({ code: 'invalid-input' });
    // Bad input is refused before anything is sent.
    expect(refusing.calls).toHaveLength(1);
    t.closeAll();
  });

  it('reads widget-gateway’s error shape ({ error: { code, message } }); a 401 is "unauthorized"', async () => {
    const t = setup({
      fetch: fakeFetch((c) =>
        c.url.endsWith('/stop')
          ? { status: 403, body: '{"error":{"code":"not_your_call","message":"call \\"CA11\\" belongs to another seller","details":[]}}' }
          : { status: 401, body: '{"error":{"code":"invalid_token","message":"widget token expired","details":[]}}' },
      ),
    });
    const h = t.open();
    await expect(h.stopRecording('CA11')).rejects.toMatchObject({ code: 'recording', status: 403, message: 'stop recording of call CA11: widget-gateway answered 403: call "CA11" belongs to another seller' });
    await expect(h.startRecording('CA11')).rejects.toMatchObject({ code: 'unauthorized', status: 401, message: 'start recording of call CA11: widget-gateway answered 401: widget token expired' });
    t.closeAll();
  });

  it.each([
    [{ url: 'events.carrier.example' }, 'url', /not an absolute URL/],
    [{ url: 'ftp://events.carrier.example' }, 'url', /must be http\(s\)/],
    [{ url: 'https://events.carrier.example/?x=1' }, 'url', /without query/],
    [{ sellerId: '' }, 'sellerId', /non-empty/],
    [{ token: '' }, 'token', /must not be empty/],
    [{ token: 42 as never }, 'token', /a string\) or a function/],
    [{ token: tokenFor('seller-2') }, 'token', /issued for seller "seller-2", not "seller-1"/],
  ])('bad options %p throw naming %s', (over, field, message) => {
    const t = setup();
    let err: CifWidgetError | undefined;
    try {
      t.open(over as Partial<ConnectOptions>);
    } catch (e) {
      err = e as CifWidgetError;
    }
    expect(err).toBeInstanceOf(CifWidgetError);
    expect(err!.code).toBe('invalid-input');
    expect(err!.problems.map((p) => p.field)).toEqual([field]);
    expect(err!.message).toMatch(message);
  });
});
