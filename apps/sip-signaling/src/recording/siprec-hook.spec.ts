import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { newTenant, parseTenantCreate, type Tenant } from '@ci-connector/tenancy';
import type { RecordingCallContext } from './recording-hook';
import type { RecorderOutcome, RecordingControlCommand, RecordingEventMessage } from './ports';
import { SiprecRecordingHook } from './siprec-hook';
import type { SrsClient } from './srs-client';

// The hook's control-command routing with our own interfaces faked: rtpengine
// refuses every subscription, so a session that starts shows as one
// `subscribe request` and a `recording.failed` event.

function tenant(mode: 'automatic' | 'manual'): Tenant {
  const p = parseTenantCreate({ id: randomUUID(), orgId: randomUUID(), displayName: 'T', region: 'uksouth', accountId: 'AC1', certificate: { subject: 'CN=sbc', issuer: 'CN=ca' }, recordingMode: mode });
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return newTenant(p.value, new Date());
}

function callContext(t: Tenant): RecordingCallContext {
  return {
    callId: 'call-1',
    callIdSource: 'dialer',
    sipCallId: 'sip-1@host',
    tenantId: t.id,
    seller: { identity: '+442079460018', side: 'callee', source: 'to' },
    role: 'inbound',
    callerDisplayName: 'A',
    calleeDisplayName: 'B',
    media: { rtpengineCallId: 'sip-1@host', tags: { a: 'ta', b: 'ta-b2b' }, anchored: true },
    startedAt: new Date().toISOString(),
  } as unknown as RecordingCallContext;
}

// rtpengine's real `subscribe request` reply (libs/siprec's fixture).
const fixture = JSON.parse(readFileSync(join(__dirname, '../../../../libs/siprec/src/__fixtures__/rtpengine-subscribe-request.json'), 'utf8')) as Record<'narrowed', { sdp: string; 'media-labels': Record<string, unknown> }>;

/** A call a session can record from the fixture: both parties' numbers, and the fixture's rtpengine tags. */
function recordableContext(t: Tenant): RecordingCallContext {
  const ctx = callContext(t);
  Object.assign(ctx, { caller: { aor: 'sip:+15551234567@carrier.example', user: '+15551234567' }, callee: { aor: 'sip:+442079460018@carrier.example', user: '+442079460018' } });
  const labels = Object.values(fixture.narrowed['media-labels']) as { tag: string }[];
  (ctx.media as { tags: { a: string; b: string } }).tags = { a: labels[0]?.tag ?? 'ta', b: labels[1]?.tag ?? 'tb' };
  return ctx;
}

function setup(t: Tenant, o: { slowDecision?: boolean } = {}) {
  let handler: ((c: RecordingControlCommand) => void) | undefined;
  const subscribes: unknown[] = [];
  const events: RecordingEventMessage[] = [];
  const reports: RecorderOutcome[] = [];
  let releaseDecision: () => void = () => undefined;
  const decided = new Promise<void>((r) => (releaseDecision = r));
  const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
  const hook = new SiprecRecordingHook({
    policy: { isRecorded: async () => { if (o.slowDecision) await decided; return true; } },
    tenants: { get: async () => t },
    pool: { targetsFor: () => [{ uri: 'sip:SRS@127.0.0.1:15061;transport=tls', host: '127.0.0.1:15061', region: 'uksouth' } as never], report: (_t, r) => void reports.push(r) },
    control: { onCommand: (h) => (handler = h) },
    session: {
      rtpengine: { subscribeRequest: async (r: unknown) => { subscribes.push(r); throw new Error('rtpengine refused'); }, subscribeAnswer: async () => { throw new Error('unused'); }, unsubscribe: async () => ({}) } as never,
      srs: {} as SrsClient,
      events: { publish: (e) => void events.push(e) },
      rtpengineTimeoutMs: 100,
    },
    logger: quiet,
    decisionTimeoutMs: 1000,
    whenPolicyUnavailable: 'skip',
    failover: { attemptTimeoutMs: 1000, totalBudgetMs: 5000, noFailoverStatuses: [] },
  });
  const ctx = callContext(t);
  const send = (c: Omit<RecordingControlCommand, 'callId'> & { callId?: string }) => handler?.({ callId: 'call-1', ...c });
  const settled = () => new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setImmediate(r)));
  return { hook, ctx, send, subscribes, events, reports, releaseDecision, settled };
}

describe('SiprecRecordingHook control commands', () => {
  it('manual mode: nothing until `start`; `start` for the answered call starts the session', async () => {
    const t = tenant('manual');
    const s = setup(t);
    await s.hook.onAnswer(s.ctx);
    await s.settled();
    expect(s.subscribes).toHaveLength(0);
    expect(s.hook.sessionOf('call-1')).toMatchObject({ phase: 'idle' });
    s.send({ action: 'start', tenantId: t.id });
    await s.settled();
    expect(s.subscribes).toEqual([expect.objectContaining({ callId: 'sip-1@host', fromTag: 'ta' })]);
    expect(s.events.map((e) => [e.type, e.callId, e.tenantId])).toEqual([['recording.failed', 'call-1', t.id]]);
  });

  it('automatic mode starts on answer without a command', async () => {
    const s = setup(tenant('automatic'));
    await s.hook.onAnswer(s.ctx);
    await s.settled();
    expect(s.subscribes).toHaveLength(1);
  });

  it('ignores a command naming another tenant, or a call not held here', async () => {
    const t = tenant('manual');
    const s = setup(t);
    await s.hook.onAnswer(s.ctx);
    s.send({ action: 'start', tenantId: randomUUID() });
    s.send({ action: 'start', callId: 'someone-else' });
    await s.settled();
    expect(s.subscribes).toHaveLength(0);
    expect(s.events).toEqual([]);
  });

  it('a start that comes while the decision is being made applies once it is made', async () => {
    const t = tenant('manual');
    const s = setup(t, { slowDecision: true });
    const answering = s.hook.onAnswer(s.ctx);
    s.send({ action: 'start' });
    expect(s.subscribes).toHaveLength(0);
    s.releaseDecision();
    await answering;
    await s.settled();
    expect(s.subscribes).toHaveLength(1);
  });

  it('no command after the call ended', async () => {
    const s = setup(tenant('manual'));
    await s.hook.onAnswer(s.ctx);
    await s.hook.onEnd(s.ctx, { by: 'caller' } as never);
    s.send({ action: 'start' });
    await s.settled();
    expect(s.subscribes).toHaveLength(0);
  });
});

describe('SiprecRecordingHook recorder outcomes', () => {
  // rtpengine's real `subscribe request` reply, and a recorder that answers 2xx with plain RTP.

  it('a 2xx whose SDP is refused (RTP/AVP) is reported to the pool as a failure (bad-answer), not a success, and BYEd', async () => {
    const t = tenant('automatic');
    const reports: RecorderOutcome[] = [];
    const byes: unknown[] = [];
    const warnings: string[] = [];
    const srs = {
      invite: (req: { sdp: string }) => ({
        result: Promise.resolve({ ok: true, dialog: { on: () => undefined, state: 'confirmed' }, sdp: req.sdp.replace(/RTP\/SAVP/g, 'RTP/AVP').replace(/a=sendonly/g, 'a=recvonly').replace(/^a=crypto.*\r?\n/gm, '') }),
        cancel: () => undefined,
      }),
      bye: async (d: unknown) => void byes.push(d),
    } as unknown as SrsClient;
    const hook = new SiprecRecordingHook({
      policy: { isRecorded: async () => true },
      tenants: { get: async () => t },
      pool: { targetsFor: () => [{ uri: 'sip:SRS@127.0.0.1:15061;transport=tls', host: '127.0.0.1', port: 15061, region: 'uksouth' } as never], report: (_t, r) => void reports.push(r) },
      session: {
        rtpengine: { subscribeRequest: async () => ({ sdp: fixture.narrowed.sdp, mediaLabels: fixture.narrowed['media-labels'] }), subscribeAnswer: async () => ({}), unsubscribe: async () => ({}) } as never,
        srs,
        events: { publish: () => undefined },
        rtpengineTimeoutMs: 100,
      },
      logger: { info: () => undefined, debug: () => undefined, warn: (o: object, m: string) => void warnings.push(`${m} ${JSON.stringify(o)}`) },
      decisionTimeoutMs: 1000,
      whenPolicyUnavailable: 'skip',
      failover: { attemptTimeoutMs: 1000, totalBudgetMs: 5000, noFailoverStatuses: [] },
    });
    const ctx = recordableContext(t);
    await hook.onAnswer(ctx);
    for (let i = 0; i < 100 && byes.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect({ warnings, reports }).toEqual({ warnings: expect.any(Array), reports: [{ ok: false, failure: { kind: 'bad-answer', error: expect.objectContaining({ code: expect.any(String) }) } }] });
    expect(byes).toHaveLength(1);
    expect(hook.sessionOf('call-1')).toMatchObject({ phase: 'failed' });
  });
});


describe('SiprecRecordingHook: rtpengine subscription at the end', () => {

  // A recorder that accepts: its answer keeps RTP/SAVP and the crypto lines, and only receives.
  function recorded(t: Tenant) {
    let handler: ((c: RecordingControlCommand) => void) | undefined;
    const ng: string[] = [];
    const byes: unknown[] = [];
    const events: string[] = [];
    const hook = new SiprecRecordingHook({
      policy: { isRecorded: async () => true },
      tenants: { get: async () => t },
      pool: { targetsFor: () => [{ uri: 'sip:SRS@127.0.0.1:15061;transport=tls', host: '127.0.0.1', port: 15061, region: 'uksouth' } as never], report: () => undefined },
      control: { onCommand: (h) => (handler = h) },
      session: {
        rtpengine: {
          subscribeRequest: async () => (ng.push('subscribe request'), { sdp: fixture.narrowed.sdp, mediaLabels: fixture.narrowed['media-labels'] }),
          subscribeAnswer: async () => (ng.push('subscribe answer'), {}),
          unsubscribe: async () => (ng.push('unsubscribe'), {}),
        } as never,
        srs: {
          invite: (req: { sdp: string }) => ({ result: Promise.resolve({ ok: true, dialog: { on: () => undefined, state: 'confirmed' }, sdp: req.sdp.replace(/a=sendonly/g, 'a=recvonly') }), cancel: () => undefined }),
          bye: async (d: unknown) => void byes.push(d),
        } as unknown as SrsClient,
        events: { publish: (e) => void events.push(e.type) },
        rtpengineTimeoutMs: 100,
      },
      logger: { info: () => undefined, warn: () => undefined, debug: () => undefined },
      decisionTimeoutMs: 1000,
      whenPolicyUnavailable: 'skip',
      failover: { attemptTimeoutMs: 1000, totalBudgetMs: 5000, noFailoverStatuses: [] },
    });
    const ctx = recordableContext(t);
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    };
    return { hook, ctx, ng, byes, events, until, send: (action: 'stop') => handler?.({ callId: 'call-1', action, tenantId: t.id }) };
  }

  it('when the call ends, the recorder gets its BYE and rtpengine no unsubscribe (the call\'s delete takes the subscription with it)', async () => {
    const r = recorded(tenant('automatic'));
    await r.hook.onAnswer(r.ctx);
    await r.until(() => r.events.includes('recording.started'));
    expect(r.ng).toEqual(['subscribe request', 'subscribe answer']);
    await r.hook.onEnd(r.ctx, { answered: true, by: 'caller' } as never);
    expect(r.byes).toHaveLength(1);
    expect(r.ng).toEqual(['subscribe request', 'subscribe answer']);
    expect(r.events).toEqual(['recording.started', 'recording.stopped']);
  });

  it('a stop command while the call goes on unsubscribes, so rtpengine stops forking the media', async () => {
    const r = recorded(tenant('automatic'));
    await r.hook.onAnswer(r.ctx);
    await r.until(() => r.events.includes('recording.started'));
    r.send('stop');
    await r.until(() => r.ng.includes('unsubscribe'));
    expect(r.ng).toEqual(['subscribe request', 'subscribe answer', 'unsubscribe']);
    expect(r.byes).toHaveLength(1);
  });
});
