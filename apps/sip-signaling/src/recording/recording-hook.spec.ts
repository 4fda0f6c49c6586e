import { decideRecording, SafeRecordingHook, type RecordingCallContext, type RecordingHook } from './recording-hook';

const ctx = (over: Partial<RecordingCallContext> = {}): RecordingCallContext => ({
  callId: 'c1',
  callIdSource: 'minted',
  sipCallId: 's1',
  tenantId: 't1',
  seller: { identity: 'sip:+442079460018@x', side: 'callee', source: 'to' },
  role: 'inbound',
  caller: {},
  callee: {},
  callerDisplayName: 'A',
  calleeDisplayName: 'B',
  media: { rtpengineCallId: 's1', tags: { a: 'x', b: 'y' }, anchored: true },
  startedAt: new Date(0).toISOString(),
  ...over,
});

function logger() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, info: at('info'), warn: at('warn'), debug: at('debug') };
}

describe('decideRecording', () => {
  it('records a seller on the list, and says why not otherwise', async () => {
    const policy = { isRecorded: async (_t: string, id: string) => id.includes('+44') };
    expect(await decideRecording(policy, ctx(), 100)).toEqual({ record: true, reason: 'seller-recorded' });
    expect(await decideRecording(policy, ctx({ seller: { identity: 'sip:bob@x', side: 'caller', source: 'from' } }), 100)).toEqual({ record: false, reason: 'seller-not-recorded' });
    const { tenantId: _t, ...noTenant } = ctx();
    expect((await decideRecording(policy, noTenant, 100)).reason).toBe('unknown-tenant');
    expect((await decideRecording(policy, ctx({ media: { rtpengineCallId: 's', tags: { a: 'a', b: 'b' }, anchored: false } }), 100)).reason).toBe('not-anchored');
    expect((await decideRecording(undefined, ctx(), 100)).reason).toBe('no-policy-store');
  });

  it('Redis failing or slow → do not record', async () => {
    expect(await decideRecording({ isRecorded: async () => Promise.reject(new Error('ECONNREFUSED')) }, ctx(), 100)).toEqual({ record: false, reason: 'policy-unavailable', error: 'ECONNREFUSED' });
    expect(await decideRecording({ isRecorded: () => new Promise(() => undefined) }, ctx(), 10)).toMatchObject({ record: false, reason: 'policy-unavailable' });
  });
});

describe('SafeRecordingHook', () => {
  it('catches a throwing or rejecting hook, and drops invocations beyond the bound', async () => {
    const log = logger();
    const hook: RecordingHook = {
      onAnswer: () => {
        throw new Error('boom');
      },
      onMediaChange: () => Promise.reject(new Error('nope')),
      onEnd: () => new Promise(() => undefined),
    };
    const safe = new SafeRecordingHook(hook, { logger: log, timeoutMs: 5, maxPending: 1 });
    expect(() => safe.onAnswer(ctx())).not.toThrow();
    safe.onMediaChange(ctx(), { offeredBy: 'a', method: 'INVITE', hold: true });
    await new Promise((r) => setImmediate(r));
    safe.onEnd(ctx(), { answered: true, by: 'a' }); // never settles: stays pending
    safe.onEnd(ctx(), { answered: true, by: 'b' }); // beyond maxPending: dropped
    await new Promise((r) => setTimeout(r, 20));
    expect(safe.stats).toEqual({ pending: 1, failed: 2, timedOut: 1, dropped: 1 });
    expect(log.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['recording hook failed; the call goes on', 'recording hook dropped: too many in flight', 'recording hook is slow; the call did not wait for it']),
    );
  });
});
