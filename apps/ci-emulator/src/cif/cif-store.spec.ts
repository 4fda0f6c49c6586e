import { CifStore, type CallReport } from './cif-store';
import { loopbackUrl, readPayload, type WireArg } from './cif-rules';

const str = (value: string): WireArg => ({ type: 'string', value });
const obj = (value: Record<string, unknown>, types: Record<string, string> = {}): WireArg => ({
  type: 'object',
  value,
  fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, types[k] ?? (v === null ? 'null' : typeof v)])),
});

const started = (callId = 'CA1', extra: Record<string, unknown> = {}) =>
  obj({ callId, startTime: '2024-05-01T10:00:00.000Z', isIncomingCall: true, contactNumber: '+15550100', contactName: 'Kenny Smith', ...extra }, 'startTime' in extra ? {} : { startTime: 'Date' });
const ended = (callId = 'CA1', extra: Record<string, unknown> = {}) =>
  obj({ callId, callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: '2024-05-01T10:00:42.000Z', isCallStarted: true, ...extra }, { callEndTime: 'Date' });

const raise = (args: WireArg[], over: Partial<CallReport> = {}): CallReport => ({ pageId: 'p1', time: '2024-05-01T10:00:00.000Z', method: 'raiseEvent', args, initialised: true, ...over });

describe('CifStore: raiseEvent', () => {
  let store: CifStore;
  beforeEach(() => (store = new CifStore()));

  it('resolves the seed-shaped WIDGET_CALL_STARTED then WIDGET_CALL_ENDED and records their payloads', () => {
    const a = store.record(raise([str('WIDGET_CALL_STARTED'), started()]));
    const b = store.record(raise([str('WIDGET_CALL_ENDED'), ended(), str('5f0c8a9e-1d2b-4c3d-8e9f-0a1b2c3d4e5f')]));
    expect([a.outcome, b.outcome]).toEqual(['resolved', 'resolved']);
    expect(a).toMatchObject({ eventName: 'WIDGET_CALL_STARTED', callId: 'CA1', payloadForm: 'object', payloadTypes: { startTime: 'Date' }, violations: [], warnings: [] });
    expect(b).toMatchObject({ correlationId: '5f0c8a9e-1d2b-4c3d-8e9f-0a1b2c3d4e5f', payload: { callDurationInSeconds: 42 } });
    expect(store.list({ callId: 'CA1' }).map((c) => c.eventName)).toEqual(['WIDGET_CALL_STARTED', 'WIDGET_CALL_ENDED']);
  });

  it('rejects any call made before CIFInitDone', () => {
    const r = store.record(raise([str('WIDGET_CALL_STARTED'), started()], { initialised: false }));
    expect(r.outcome).toBe('rejected');
    expect(r.violations.map((v) => v.rule)).toEqual(['cif.init']);
    expect(r.message).toMatch(/raiseEvent\('WIDGET_CALL_STARTED'\) failed: .*before CIFInitDone/);
  });

  it('rejects an ended payload without callDurationInSeconds, naming the field (also when it is undefined)', () => {
    const { callDurationInSeconds: _omit, ...rest } = ended().value as Record<string, unknown>;
    const missing = store.record(raise([str('WIDGET_CALL_ENDED'), obj(rest, { callEndTime: 'Date' })]));
    expect(missing.outcome).toBe('rejected');
    expect(missing.violations).toEqual([expect.objectContaining({ rule: 'cif.call-ended.callDurationInSeconds', field: 'callDurationInSeconds' })]);
    expect(missing.message).toMatch(/callDurationInSeconds is missing/);
    const undef = store.record(raise([str('WIDGET_CALL_ENDED'), { ...ended('CA2'), fields: { ...ended('CA2').fields, callDurationInSeconds: 'undefined' } }]));
    expect(undef.violations.map((v) => v.field)).toEqual(['callDurationInSeconds']);
  });

  it('checks every field type and refuses extra fields', () => {
    const r = store.record(raise([str('WIDGET_CALL_STARTED'), started('CA3', { isIncomingCall: 'true', startTime: '01/05/2024', contactName: 7, extra: 1 })]));
    expect(r.violations.map((v) => v.field).sort()).toEqual(['contactName', 'extra', 'isIncomingCall', 'startTime']);
    const e = store.record(raise([str('WIDGET_CALL_ENDED'), ended('CA3', { callTerminationReason: 'completed', callDurationInSeconds: -1 })]));
    expect(e.violations.map((v) => v.field).sort()).toEqual(['callDurationInSeconds', 'callTerminationReason']);
    expect(e.message).toMatch(/'success' \| 'error', got 'completed'/);
  });

  it('accepts the payload as a JSON string (CIF types it so), dates as ISO strings', () => {
    const r = store.record(raise([str('WIDGET_CALL_STARTED'), str(JSON.stringify(started('CA4').value))]));
    expect(r).toMatchObject({ outcome: 'resolved', payloadForm: 'json-string', payloadTypes: { startTime: 'string' } });
  });

  it('flags ended twice as a violation and ended without started as a warning', () => {
    const first = store.record(raise([str('WIDGET_CALL_ENDED'), ended('CA5')]));
    expect(first.outcome).toBe('resolved');
    expect(first.warnings.map((w) => w.rule)).toEqual(['cif.call-ended.after-started']);
    const second = store.record(raise([str('WIDGET_CALL_ENDED'), ended('CA5')]));
    expect(second.outcome).toBe('rejected');
    expect(second.violations.map((v) => v.rule)).toEqual(['cif.call-ended.once']);
    store.clear();
    expect(store.record(raise([str('WIDGET_CALL_ENDED'), ended('CA5')])).violations).toEqual([]);
  });

  it('allows unknown event names, refuses a non-GUID correlationId and an empty event name', () => {
    expect(store.record(raise([str('myWidgetEvent'), str('anything')])).outcome).toBe('resolved');
    expect(store.record(raise([str('x'), str('y'), str('call-1')])).violations.map((v) => v.rule)).toEqual(['cif.raiseEvent.correlationId']);
    expect(store.record(raise([str(''), str('y')])).violations.map((v) => v.rule)).toEqual(['cif.raiseEvent.eventName']);
    expect(store.record(raise([str('x')])).violations.map((v) => v.rule)).toEqual(['cif.raiseEvent.eventInputParameters']);
  });

  it('records the time-out fault as timed-out with CIF’s 10 s in the message', () => {
    const r = store.record(raise([str('WIDGET_CALL_STARTED'), started('CA6')], { timeoutFault: true }));
    expect(r.outcome).toBe('timed-out');
    expect(r.message).toMatch(/timed out after 10 s/);
  });

  it('filters by outcome, violations, method and limit', () => {
    store.record(raise([str('WIDGET_CALL_STARTED'), started('F1')]));
    store.record(raise([str('WIDGET_CALL_STARTED'), started('F1')]));
    store.record({ pageId: 'p2', time: '2024-05-01T10:00:00.000Z', method: 'getMode', args: [], initialised: true });
    store.record({ pageId: 'p2', time: '2024-05-01T10:00:00.000Z', method: 'openForm', args: [], initialised: true });
    expect(store.list({ violations: true }).map((c) => c.violations[0]?.rule)).toEqual(['cif.call-started.once', 'cif.method']);
    expect(store.list({ pageId: 'p2', outcome: 'resolved' }).map((c) => c.method)).toEqual(['getMode']);
    expect(store.list({ limit: 1 }).map((c) => c.method)).toEqual(['openForm']);
  });
});

describe('CifStore: library load', () => {
  it('records a load without data-crmurl or with a wrong data-cifid as violations', () => {
    const store = new CifStore();
    const r = store.record({ pageId: 'p', time: '2024-05-01T10:00:00.000Z', method: 'load', args: [], initialised: false, library: { cifid: 'Main' } });
    expect(r.outcome).toBe('recorded');
    expect(r.violations.map((v) => v.rule)).toEqual(['cif.library.crmurl', 'cif.library.cifid']);
    const ok = store.record({ pageId: 'p', time: '2024-05-01T10:00:00.000Z', method: 'load', args: [], initialised: false, library: { crmurl: 'https://127.0.0.1:18443', cifid: 'CIFMainLibrary' } });
    expect(ok.violations).toEqual([]);
  });
});

describe('cif rules helpers', () => {
  it('reads a non-JSON string payload as a string', () => {
    expect(readPayload(str('hello')).form).toBe('string');
  });
  it.each([
    ['https://127.0.0.1:4200/widget.js', true],
    ['http://localhost:8080/w.js', true],
    ['https://127.1.2.3/w.js', true],
    ['https://example.com/w.js', false],
    ['https://[::1]:4200/w.js', false],
    ['javascript:alert(1)', false],
    ['/relative.js', false],
    ['https://127.0.0.1.nip.io/w.js', false],
  ])('loopbackUrl(%s) is %s', (url, ok) => {
    expect(loopbackUrl(url).ok).toBe(ok);
  });
});
