import { CifWidgetError } from './errors';
import { toCallEnded, toCallStarted } from './validate';

// The payloads must be exactly the seed's interfaces (Step 3):
//   CallStartedEvent { callId: string; startTime: Date; isIncomingCall: boolean; contactNumber: string; contactName: string }
//   CallEndedEvent   { callId: string; callDurationInSeconds: number; callTerminationReason: 'success'|'error'; callEndTime: Date; isCallStarted: boolean }

function problemsOf(run: () => unknown): Array<{ field: string; message: string }> {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CifWidgetError);
    expect((err as CifWidgetError).code).toBe('invalid-input');
    return (err as CifWidgetError).problems;
  }
  throw new Error('expected a CifWidgetError');
}

describe('toCallStarted', () => {
  it('maps a stream payload (times as ISO strings) to exactly the seed fields, startTime as a Date', () => {
    const e = toCallStarted({ callId: 'c-1', startTime: '2026-05-01T10:00:00.250+02:00', isIncomingCall: true, contactNumber: '+15550100', contactName: 'Kenny Smith' }, false);
    expect(Object.keys(e)).toEqual(['callId', 'startTime', 'isIncomingCall', 'contactNumber', 'contactName']);
    expect(e.startTime).toBeInstanceOf(Date);
    expect(e.startTime.toISOString()).toBe('2026-05-01T08:00:00.250Z');
    expect(e).toMatchObject({ callId: 'c-1', isIncomingCall: true, contactNumber: '+15550100', contactName: 'Kenny Smith' });
  });

  it('takes a Date as it is (a copy) and allows an empty contact name, as the contract does', () => {
    const at = new Date('2026-05-01T10:00:00Z');
    const e = toCallStarted({ callId: 'c-1', startTime: at, isIncomingCall: false, contactNumber: '', contactName: '' }, true);
    expect(e.startTime.getTime()).toBe(at.getTime());
    expect(e.startTime).not.toBe(at);
  });

  it('stream payloads keep only the seed fields; a dialer call (strict) names the unexpected one', () => {
    const input = { callId: 'c-1', startTime: '2026-05-01T10:00:00Z', isIncomingCall: true, contactNumber: '1', contactName: 'A', call_sid: 'CA1' };
    expect(Object.keys(toCallStarted(input, false))).not.toContain('call_sid');
    expect(problemsOf(() => toCallStarted(input, true))).toEqual([{ field: 'call_sid', message: expect.stringMatching(/^call_sid is not a field of CallStartedEvent/) }]);
  });

  it('names every bad field in one error', () => {
    const problems = problemsOf(() => toCallStarted({ callId: '', startTime: '2026-05-01 10:00', isIncomingCall: 'yes', contactNumber: 15550100 }, true));
    expect(problems.map((p) => p.field)).toEqual(['callId', 'startTime', 'isIncomingCall', 'contactNumber', 'contactName']);
    expect(problems[1]!.message).toMatch(/ISO 8601 date-time with an offset/);
    expect(problems[2]!.message).toBe('isIncomingCall must be true or false, got string "yes"');
    expect(problems[4]!.message).toMatch(/contactName is missing/);
  });

  it('refuses a time without an offset, an Invalid Date, and a non-object', () => {
    expect(problemsOf(() => toCallStarted({ callId: 'c', startTime: '2026-05-01T10:00:00', isIncomingCall: true, contactNumber: '', contactName: '' }, false))[0]!.field).toBe('startTime');
    expect(problemsOf(() => toCallStarted({ callId: 'c', startTime: new Date('nope'), isIncomingCall: true, contactNumber: '', contactName: '' }, false))[0]!.message).toBe('startTime is an Invalid Date');
    expect(problemsOf(() => toCallStarted('{"callId":"c"}', false))[0]!.field).toBe('(event)');
  });
});

describe('toCallEnded', () => {
  it('maps to exactly the seed fields, callEndTime as a Date', () => {
    const e = toCallEnded({ callId: 'c-1', callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: '2026-05-01T10:00:42Z', isCallStarted: true }, false);
    expect(Object.keys(e)).toEqual(['callId', 'callDurationInSeconds', 'callTerminationReason', 'callEndTime', 'isCallStarted']);
    expect(e.callEndTime).toBeInstanceOf(Date);
    expect(e).toMatchObject({ callDurationInSeconds: 42, callTerminationReason: 'success', isCallStarted: true });
  });

  it('callDurationInSeconds is required, even for a call that never connected (0)', () => {
    const problems = problemsOf(() => toCallEnded({ callId: 'c-1', callTerminationReason: 'error', callEndTime: new Date(), isCallStarted: false }, true));
    expect(problems).toEqual([{ field: 'callDurationInSeconds', message: expect.stringContaining('callDurationInSeconds is missing (CallEndedEvent requires it, always: 0 for a call that never connected)') }]);
    expect(toCallEnded({ callId: 'c-1', callDurationInSeconds: 0, callTerminationReason: 'error', callEndTime: new Date(), isCallStarted: false }, true).callDurationInSeconds).toBe(0);
  });

  it.each([
    ['callDurationInSeconds', '42', /must be a finite number of seconds, got string/],
    ['callDurationInSeconds', -1, /must not be negative/],
    ['callDurationInSeconds', Number.NaN, /finite number of seconds, got NaN/],
    ['callTerminationReason', 'completed', /must be 'success' or 'error', got 'completed'/],
    ['callEndTime', 1714557642000, /must be a Date or an ISO 8601 date-time string, got number/],
    ['isCallStarted', 'true', /must be true or false, got string "true"/],
  ])('names %s = %p', (field, value, message) => {
    const input = { callId: 'c-1', callDurationInSeconds: 1, callTerminationReason: 'success', callEndTime: new Date(), isCallStarted: true, [field]: value };
    const problems = problemsOf(() => toCallEnded(input, false));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe(field);
    expect(problems[0]!.message).toMatch(message);
  });
});
