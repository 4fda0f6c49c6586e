import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { FailoverPolicy } from '../recorders/failover';
import { recorderTargets, type RecorderTarget } from '../recorders/targets';
import { attributes, directionOf, parseSdp } from '../sdp/sdp';
import { inactiveOffer, toSiprecOffer, type SiprecOffer } from '../sdp/siprec-sdp';
import { initialRecordingState, RECORDING_COMMAND_TYPES, reduceRecording, type RecordingCommand, type RecordingEvent, type RecordingSessionConfig, type RecordingState } from './session';

const fixture = JSON.parse(readFileSync(join(__dirname, '../__fixtures__/rtpengine-subscribe-request.json'), 'utf8')) as Record<'narrowed' | 'default', { sdp: string; 'media-labels': Record<string, { tag: string }> }>;
const offerA: SiprecOffer = toSiprecOffer({ rtpengineSdp: fixture.narrowed.sdp, mediaLabels: fixture.narrowed['media-labels'], sellerLegTag: 'caller-tag' });
const offerB: SiprecOffer = toSiprecOffer({ rtpengineSdp: fixture.default.sdp, mediaLabels: fixture.default['media-labels'], sellerLegTag: 'caller-tag' });

const [REGIONAL, GLOBAL] = recorderTargets({ region: 'westeurope' }) as [RecorderTarget, RecorderTarget];
const ACCOUNT = 'AC0123456789';

/** A recorder's answer to `offer`: per stream its first format, the offered crypto tag with a fresh key, recvonly (inactive to inactive). */
function answerTo(offer: string, over: { proto?: string } = {}): string {
  const sdp = parseSdp(offer);
  const lines = ['v=0', 'o=srs 1 1 IN IP4 127.0.0.1', 's=srs', 'c=IN IP4 127.0.0.1', 't=0 0'];
  sdp.media.forEach((m, i) => {
    const tag = (attributes(m.lines, 'crypto')[0] ?? '1').split(' ')[0];
    lines.push(`m=audio ${31000 + 2 * i} ${over.proto ?? 'RTP/SAVP'} ${m.formats[0]}`, `a=crypto:${tag} AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, i + 1).toString('base64')}`, `a=${directionOf(sdp, m) === 'inactive' ? 'inactive' : 'recvonly'}`, `a=label:${attributes(m.lines, 'label')[0]}`);
  });
  return `${lines.join('\r\n')}\r\n`;
}

const config = (over: Partial<RecordingSessionConfig> = {}): RecordingSessionConfig => ({ mode: 'automatic', targets: [REGIONAL, GLOBAL], failover: new FailoverPolicy(), accountId: ACCOUNT, ...over });

/** Applies events in order at 1 s intervals from t=0; returns the last state and every transition's commands. */
function run(state: RecordingState, ...events: RecordingEvent[]): { state: RecordingState; steps: RecordingCommand[][] } {
  const steps: RecordingCommand[][] = [];
  let s = state;
  events.forEach((e, i) => {
    const t = reduceRecording(s, e, i * 1000);
    s = t.state;
    steps.push(t.commands);
  });
  return { state: s, steps };
}

/** The last sent SDP, from a state. */
const sent = (s: RecordingState) => s.sentSdp ?? '';

function active(over: Partial<RecordingSessionConfig> = {}): RecordingState {
  const r = run(initialRecordingState(config(over)), { type: 'call-answered' }, { type: 'media-subscribed', offer: offerA });
  const s = reduceRecording(r.state, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(sent(r.state)) }, 3000).state;
  expect(s.phase).toBe('active');
  return s;
}

describe('starting a recording', () => {
  it('automatic: answer → subscribe request → SIPREC INVITE to the regional recorder → 2xx checked → subscribe answer, recording.started', () => {
    const s0 = initialRecordingState(config());
    const a = reduceRecording(s0, { type: 'call-answered' }, 0);
    expect(a.state.phase).toBe('starting');
    expect(a.commands).toEqual([{ type: 'subscribe-request', purpose: 'start' }]);
    const b = reduceRecording(a.state, { type: 'media-subscribed', offer: offerA }, 10);
    expect(b.commands).toEqual([{ type: 'send-invite', target: REGIONAL, sdp: offerA.sdp, attempt: 1, accountId: ACCOUNT }]);
    const answer = answerTo(offerA.sdp);
    const c = reduceRecording(b.state, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answer }, 20);
    expect(c.state).toMatchObject({ phase: 'active', recorder: REGIONAL, dialog: true, subscribed: true });
    expect(c.commands).toEqual([
      { type: 'subscribe-answer', sdp: answer, offer: offerA },
      { type: 'publish', event: 'recording.started', recorder: REGIONAL.uri },
    ]);
  });

  it('manual: the answer alone starts nothing; a start command does', () => {
    const r = run(initialRecordingState(config({ mode: 'manual' })), { type: 'call-answered' }, { type: 'start' });
    expect(r.steps).toEqual([[], [{ type: 'subscribe-request', purpose: 'start' }]]);
    expect(r.state.phase).toBe('starting');
  });

  it('manual: a start command before the answer starts on the answer', () => {
    const r = run(initialRecordingState(config({ mode: 'manual' })), { type: 'start' }, { type: 'call-answered' });
    expect(r.steps).toEqual([[], [{ type: 'subscribe-request', purpose: 'start' }]]);
  });

  it('no recorder configured → failed at once, recording.failed', () => {
    const r = run(initialRecordingState(config({ targets: [] })), { type: 'call-answered' });
    expect(r.state.phase).toBe('failed');
    expect(r.steps[0]).toEqual([{ type: 'publish', event: 'recording.failed', reason: 'no recorder configured for the tenant' }]);
  });

  it('rtpengine fails (or its SDP is refused) → unsubscribe, failed, recording.failed naming it', () => {
    const r = run(initialRecordingState(config()), { type: 'call-answered' }, { type: 'media-failed', reason: 'offer-not-savp: m=audio #1 uses RTP/AVP' });
    expect(r.state).toMatchObject({ phase: 'failed', reason: 'rtpengine: offer-not-savp: m=audio #1 uses RTP/AVP' });
    expect(r.steps[1]).toEqual([{ type: 'unsubscribe' }, { type: 'publish', event: 'recording.failed', reason: 'rtpengine: offer-not-savp: m=audio #1 uses RTP/AVP' }]);
  });
});

describe('failover', () => {
  const starting = () => run(initialRecordingState(config()), { type: 'call-answered' }, { type: 'media-subscribed', offer: offerA }).state;

  it('503 from the regional recorder → the same offer to global at once (attempt 2)', () => {
    const t = reduceRecording(starting(), { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'status', status: 503, retryAfter: 30 } }, 1500);
    expect(t.commands).toEqual([{ type: 'send-invite', target: GLOBAL, sdp: offerA.sdp, attempt: 2, accountId: ACCOUNT }]);
    expect(t.state).toMatchObject({ phase: 'starting', targetIndex: 1, failures: [{ recorder: REGIONAL.uri, failure: '503' }] });
    const ok = reduceRecording(t.state, { type: 'srs-answered', recorder: GLOBAL.uri, sdp: answerTo(offerA.sdp) }, 1600);
    expect(ok.commands.at(-1)).toEqual({ type: 'publish', event: 'recording.started', recorder: GLOBAL.uri });
  });

  it('an unusable 2xx (RTP/AVP: rtpengine would send plain RTP) → BYE it, try the next; twice → failed with both reasons', () => {
    const plain = answerTo(offerA.sdp, { proto: 'RTP/AVP' });
    const a = reduceRecording(starting(), { type: 'srs-answered', recorder: REGIONAL.uri, sdp: plain }, 1000);
    expect(a.commands).toEqual([
      { type: 'send-bye', target: REGIONAL, accountId: ACCOUNT },
      { type: 'send-invite', target: GLOBAL, sdp: offerA.sdp, attempt: 2, accountId: ACCOUNT },
    ]);
    const b = reduceRecording(a.state, { type: 'srs-answered', recorder: GLOBAL.uri, sdp: plain }, 1100);
    expect(b.state.phase).toBe('failed');
    expect(b.commands.slice(0, 2)).toEqual([{ type: 'send-bye', target: GLOBAL, accountId: ACCOUNT }, { type: 'unsubscribe' }]);
    expect(b.commands[2]).toMatchObject({ type: 'publish', event: 'recording.failed', reason: expect.stringMatching(/westeurope.*answer-not-savp.*; sip:SRS@media.recording.dynamics.com.*answer-not-savp.*no other recorder to try/) });
  });

  it('403 → no failover (every recorder would refuse it): unsubscribe, recording.failed', () => {
    const t = reduceRecording(starting(), { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'status', status: 403, reason: 'Forbidden' } }, 1000);
    expect(t.state.phase).toBe('failed');
    expect(t.commands).toEqual([{ type: 'unsubscribe' }, { type: 'publish', event: 'recording.failed', reason: expect.stringMatching(/403 Forbidden: every recorder would refuse it the same way/) }]);
  });

  it('timeouts on both → failed; the call is never touched', () => {
    const r = run(starting(), { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'timeout' } }, { type: 'srs-failure', recorder: GLOBAL.uri, failure: { kind: 'transport', message: 'TLS closed' } });
    expect(r.steps[0]?.[0]).toMatchObject({ type: 'send-invite', target: GLOBAL });
    expect(r.state).toMatchObject({ phase: 'failed', reason: expect.stringMatching(/no answer in time; .*transport error: TLS closed/) });
  });

  it('the start budget spent → no further attempt', () => {
    const t = reduceRecording(starting(), { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'timeout' } }, 60_000);
    expect(t.state.phase).toBe('failed');
    expect(t.commands.some((c) => c.type === 'send-invite')).toBe(false);
  });

  it("a failure or 2xx from a recorder that is not the one being tried changes nothing (a stray 2xx is BYE'd)", () => {
    const s = starting();
    expect(reduceRecording(s, { type: 'srs-failure', recorder: GLOBAL.uri, failure: { kind: 'timeout' } }, 1).commands).toEqual([]);
    expect(reduceRecording(s, { type: 'srs-answered', recorder: GLOBAL.uri, sdp: answerTo(offerA.sdp) }, 1).commands).toEqual([{ type: 'send-bye', target: GLOBAL, accountId: ACCOUNT }]);
  });
});

describe('pause, resume and media changes (re-INVITEs)', () => {
  it('pause: unsubscribe, re-INVITE with every stream inactive → paused, recording.paused', () => {
    const s = active();
    const p = reduceRecording(s, { type: 'pause' }, 5000);
    expect(p.commands[0]).toEqual({ type: 'unsubscribe' });
    expect(p.commands[1]).toMatchObject({ type: 'send-reinvite', target: REGIONAL, purpose: 'pause', accountId: ACCOUNT });
    const sdp = (p.commands[1] as { sdp: string }).sdp;
    expect(sdp.match(/a=inactive/g)).toHaveLength(2);
    expect(sdp).not.toMatch(/a=sendonly/);
    const done = reduceRecording(p.state, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(sdp) }, 5100);
    expect(done.state.phase).toBe('paused');
    expect(done.commands).toEqual([{ type: 'publish', event: 'recording.paused', recorder: REGIONAL.uri }]);
  });

  it("resume: subscribe again, re-INVITE with rtpengine's new offer in the same SDP session → subscribe answer, active, recording.resumed", () => {
    let s = active();
    s = reduceRecording(s, { type: 'pause' }, 5000).state;
    s = reduceRecording(s, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(sent(s)) }, 5100).state;
    const pausedSdp = sent(s);
    const r = reduceRecording(s, { type: 'resume' }, 6000);
    expect(r.commands).toEqual([{ type: 'subscribe-request', purpose: 'resume' }]);
    const m = reduceRecording(r.state, { type: 'media-subscribed', offer: offerB }, 6100);
    expect(m.commands).toHaveLength(1);
    const reinvite = m.commands[0] as Extract<RecordingCommand, { type: 'send-reinvite' }>;
    expect(reinvite).toMatchObject({ type: 'send-reinvite', purpose: 'resume' });
    const oPrev = /^o=(\S+) (\S+) (\d+)/m.exec(pausedSdp);
    const oNew = /^o=(\S+) (\S+) (\d+)/m.exec(reinvite.sdp);
    expect([oNew?.[1], oNew?.[2], BigInt(oNew?.[3] ?? '0')]).toEqual([oPrev?.[1], oPrev?.[2], BigInt(oPrev?.[3] ?? '0') + 1n]);
    expect(reinvite.sdp.match(/a=sendonly/g)).toHaveLength(2);
    const answer = answerTo(reinvite.sdp);
    const done = reduceRecording(m.state, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answer }, 6200);
    expect(done.state.phase).toBe('active');
    expect(done.commands).toEqual([{ type: 'subscribe-answer', sdp: answer, offer: offerB }, { type: 'publish', event: 'recording.resumed', recorder: REGIONAL.uri }]);
  });

  it('media change (hold, resume, codec): fresh subscription and re-INVITE, no event published', () => {
    const s = active();
    const a = reduceRecording(s, { type: 'media-changed' }, 5000);
    expect(a.commands).toEqual([{ type: 'subscribe-request', purpose: 'media' }]);
    const b = reduceRecording(a.state, { type: 'media-subscribed', offer: offerB }, 5100);
    expect(b.commands[0]).toMatchObject({ type: 'send-reinvite', purpose: 'media' });
    const answer = answerTo(sent(b.state));
    const c = reduceRecording(b.state, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answer }, 5200);
    expect(c.commands).toEqual([{ type: 'subscribe-answer', sdp: answer, offer: offerB }]);
    expect(c.state.phase).toBe('active');
  });

  it('one re-INVITE at a time: what is asked meanwhile is done after (pause during a media re-INVITE; media change while starting)', () => {
    let s = active();
    s = reduceRecording(s, { type: 'media-changed' }, 5000).state;
    const p = reduceRecording(s, { type: 'pause' }, 5001);
    expect(p.commands).toEqual([]);
    s = reduceRecording(p.state, { type: 'media-subscribed', offer: offerB }, 5100).state;
    const done = reduceRecording(s, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(sent(s)) }, 5200);
    expect(done.commands.map((c) => c.type)).toEqual(['subscribe-answer', 'unsubscribe', 'send-reinvite']);
    expect(done.commands[2]).toMatchObject({ purpose: 'pause' });

    const st = run(initialRecordingState(config()), { type: 'call-answered' }, { type: 'media-subscribed', offer: offerA }, { type: 'media-changed' }, { type: 'pause' }).state;
    const up = reduceRecording(st, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(sent(st)) }, 9000);
    expect(up.commands.map((c) => c.type)).toEqual(['subscribe-answer', 'publish', 'unsubscribe', 'send-reinvite']);
  });

  it('pause then resume before the pause is answered: resumes right after', () => {
    let s = active();
    s = run(s, { type: 'pause' }, { type: 'resume' }).state;
    const t = reduceRecording(s, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(sent(s)) }, 9000);
    expect(t.commands).toEqual([{ type: 'publish', event: 'recording.paused', recorder: REGIONAL.uri }, { type: 'subscribe-request', purpose: 'resume' }]);
  });

  it('a refused re-INVITE ends the recording (BYE, unsubscribe, recording.failed); 481 means the dialog is gone (no BYE)', () => {
    const s = reduceRecording(active(), { type: 'media-changed' }, 5000).state;
    const m = reduceRecording(s, { type: 'media-subscribed', offer: offerB }, 5100).state;
    const refused = reduceRecording(m, { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'status', status: 488 } }, 5200);
    expect(refused.state.phase).toBe('failed');
    expect(refused.commands).toEqual([{ type: 'send-bye', target: REGIONAL, accountId: ACCOUNT }, { type: 'unsubscribe' }, { type: 'publish', event: 'recording.failed', recorder: REGIONAL.uri, reason: 'the recorder refused the media re-INVITE: 488' }]);
    const gone = reduceRecording(m, { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'status', status: 481 } }, 5200);
    expect(gone.commands.map((c) => c.type)).toEqual(['unsubscribe', 'publish']);
    const bad = reduceRecording(m, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(sent(m), { proto: 'RTP/AVP' }) }, 5200);
    expect(bad.state).toMatchObject({ phase: 'failed', reason: expect.stringMatching(/answer-not-savp/) });
  });

  it('pause and resume outside a recording do nothing', () => {
    const s = initialRecordingState(config());
    expect(reduceRecording(s, { type: 'pause' }, 0).commands).toEqual([]);
    expect(reduceRecording(s, { type: 'resume' }, 0).commands).toEqual([]);
    expect(reduceRecording(s, { type: 'media-changed' }, 0).commands).toEqual([]);
  });
});

describe('stopping', () => {
  it('call ended: BYE with X-AccountId, unsubscribe → stopping → stopped, recording.stopped', () => {
    const t = reduceRecording(active(), { type: 'call-ended' }, 9000);
    expect(t.state.phase).toBe('stopping');
    expect(t.commands).toEqual([{ type: 'send-bye', target: REGIONAL, accountId: ACCOUNT }, { type: 'unsubscribe' }]);
    const done = reduceRecording(t.state, { type: 'bye-completed' }, 9100);
    expect(done.state).toMatchObject({ phase: 'stopped', reason: 'call ended' });
    expect(done.commands).toEqual([{ type: 'publish', event: 'recording.stopped', recorder: REGIONAL.uri, reason: 'call ended' }]);
    expect(reduceRecording(done.state, { type: 'start' }, 9200).commands).toEqual([]);
  });

  it('stop command while paused: BYE only (nothing subscribed); a later start records again', () => {
    let s = active();
    s = reduceRecording(s, { type: 'pause' }, 5000).state;
    s = reduceRecording(s, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(sent(s)) }, 5100).state;
    const t = reduceRecording(s, { type: 'stop' }, 6000);
    expect(t.commands).toEqual([{ type: 'send-bye', target: REGIONAL, accountId: ACCOUNT }]);
    const done = reduceRecording(t.state, { type: 'bye-completed' }, 6100);
    expect(done.commands).toEqual([{ type: 'publish', event: 'recording.stopped', recorder: REGIONAL.uri, reason: 'stop command' }]);
    const again = reduceRecording(done.state, { type: 'start' }, 7000);
    expect(again.state).toMatchObject({ phase: 'starting', failures: [], attempts: 0 });
    expect(again.commands).toEqual([{ type: 'subscribe-request', purpose: 'start' }]);
  });

  it('call ended while the INVITE is pending: CANCEL, unsubscribe, stopped; a late 2xx is BYE-d', () => {
    const s = run(initialRecordingState(config()), { type: 'call-answered' }, { type: 'media-subscribed', offer: offerA }).state;
    const t = reduceRecording(s, { type: 'call-ended' }, 3000);
    expect(t.commands).toEqual([{ type: 'cancel-invite', target: REGIONAL }, { type: 'unsubscribe' }, { type: 'publish', event: 'recording.stopped', reason: 'call ended' }]);
    const late = reduceRecording(t.state, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(offerA.sdp) }, 3100);
    expect(late.commands).toEqual([{ type: 'send-bye', target: REGIONAL, accountId: ACCOUNT }]);
    expect(reduceRecording(t.state, { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'status', status: 487 } }, 3100).commands).toEqual([]);
  });

  it('call ended while subscribing: unsubscribe; a late subscription is removed too', () => {
    const s = run(initialRecordingState(config()), { type: 'call-answered' }).state;
    const t = reduceRecording(s, { type: 'call-ended' }, 1000);
    expect(t.commands.map((c) => c.type)).toEqual(['unsubscribe', 'publish']);
    expect(reduceRecording(t.state, { type: 'media-subscribed', offer: offerA }, 1100).commands).toEqual([{ type: 'unsubscribe' }]);
  });

  it('call ended before anything was recorded: nothing at all', () => {
    const r = run(initialRecordingState(config({ mode: 'manual' })), { type: 'call-answered' }, { type: 'call-ended' });
    expect(r.steps).toEqual([[], []]);
  });

  it('the recorder sends BYE: unsubscribe, stopped, recording.stopped (no failover)', () => {
    const t = reduceRecording(active(), { type: 'srs-bye' }, 9000);
    expect(t.state.phase).toBe('stopped');
    expect(t.commands).toEqual([{ type: 'unsubscribe' }, { type: 'publish', event: 'recording.stopped', recorder: REGIONAL.uri, reason: 'the recorder ended the session (BYE)' }]);
  });

  it("BYEs crossing: the recorder's BYE while we are stopping ends it once", () => {
    const s = reduceRecording(active(), { type: 'call-ended' }, 9000).state;
    const t = reduceRecording(s, { type: 'srs-bye' }, 9001);
    expect(t.commands).toEqual([{ type: 'publish', event: 'recording.stopped', recorder: REGIONAL.uri, reason: 'call ended' }]);
    expect(reduceRecording(t.state, { type: 'bye-completed' }, 9002).commands).toEqual([]);
  });

  it('the recorder is lost (connection dropped, probe failed): no BYE, unsubscribe, a new subscription and INVITE to the next recorder; recording.started names it', () => {
    const lost = reduceRecording(active(), { type: 'srs-lost', recorder: REGIONAL.uri, failure: { kind: 'status', status: 481, reason: 'Call/Transaction Does Not Exist' } }, 9000);
    expect(lost.state).toMatchObject({ phase: 'starting', targetIndex: 1, dialog: false, subscribed: false, pending: 'subscribe' });
    expect(lost.commands).toEqual([{ type: 'unsubscribe' }, { type: 'subscribe-request', purpose: 'start' }]);
    const sub = reduceRecording(lost.state, { type: 'media-subscribed', offer: offerB }, 9010);
    expect(sub.commands).toEqual([{ type: 'send-invite', target: GLOBAL, sdp: offerB.sdp, attempt: 1, accountId: ACCOUNT }]);
    const up = reduceRecording(sub.state, { type: 'srs-answered', recorder: GLOBAL.uri, sdp: answerTo(offerB.sdp) }, 9100);
    expect(up.state).toMatchObject({ phase: 'active', recorder: GLOBAL, dialog: true });
    expect(up.commands).toContainEqual({ type: 'publish', event: 'recording.started', recorder: GLOBAL.uri });
  });

  it('the last recorder is lost: unsubscribe, recording.failed naming it; a paused session taken over is paused again once up', () => {
    const onGlobal = (() => {
      const s = reduceRecording(active(), { type: 'srs-lost', recorder: REGIONAL.uri, failure: { kind: 'timeout' } }, 9000).state;
      const s2 = reduceRecording(s, { type: 'media-subscribed', offer: offerB }, 9010).state;
      return reduceRecording(s2, { type: 'srs-answered', recorder: GLOBAL.uri, sdp: answerTo(offerB.sdp) }, 9100).state;
    })();
    const t = reduceRecording(onGlobal, { type: 'srs-lost', recorder: GLOBAL.uri, failure: { kind: 'transport', message: 'connect ECONNREFUSED' } }, 9500);
    expect(t.state.phase).toBe('failed');
    expect(t.commands).toEqual([{ type: 'unsubscribe' }, { type: 'publish', event: 'recording.failed', recorder: GLOBAL.uri, reason: expect.stringContaining(`${GLOBAL.uri} lost: `) }]);

    const paused = run(active(), { type: 'pause' }).state;
    const p2 = reduceRecording(paused, { type: 'srs-answered', recorder: REGIONAL.uri, sdp: answerTo(inactiveOffer(sent(paused))) }, 5000).state;
    expect(p2.phase).toBe('paused');
    const taken = run(p2, { type: 'srs-lost', recorder: REGIONAL.uri, failure: { kind: 'timeout' } }, { type: 'media-subscribed', offer: offerB });
    const up = reduceRecording(taken.state, { type: 'srs-answered', recorder: GLOBAL.uri, sdp: answerTo(offerB.sdp) }, 9000);
    // Up at the global recorder, then paused there at once (unsubscribe + re-INVITE all inactive).
    expect(up.commands.map((c) => c.type)).toEqual(['subscribe-answer', 'publish', 'unsubscribe', 'send-reinvite']);
  });

  it('a lost event for another recorder, or while not established, changes nothing', () => {
    const s = active();
    expect(reduceRecording(s, { type: 'srs-lost', recorder: GLOBAL.uri, failure: { kind: 'timeout' } }, 9000)).toEqual({ state: s, commands: [] });
    const starting = run(initialRecordingState(config()), { type: 'call-answered' }).state;
    expect(reduceRecording(starting, { type: 'srs-lost', recorder: REGIONAL.uri, failure: { kind: 'timeout' } }, 9000).commands).toEqual([]);
  });

  it('session timer expiry: BYE, unsubscribe, recording.failed', () => {
    const t = reduceRecording(active(), { type: 'session-timer-expired' }, 9000);
    expect(t.state.phase).toBe('failed');
    expect(t.commands).toEqual([{ type: 'send-bye', target: REGIONAL, accountId: ACCOUNT }, { type: 'unsubscribe' }, { type: 'publish', event: 'recording.failed', recorder: REGIONAL.uri, reason: 'the SIPREC session timer expired without a refresh' }]);
  });
});

describe('properties over any sequence of events', () => {
  const event: fc.Arbitrary<RecordingEvent> = fc.oneof(
    fc.constantFrom<RecordingEvent>({ type: 'call-answered' }, { type: 'start' }, { type: 'media-changed' }, { type: 'pause' }, { type: 'resume' }, { type: 'stop' }, { type: 'call-ended' }, { type: 'srs-bye' }, { type: 'bye-completed' }, { type: 'session-timer-expired' }, { type: 'media-failed', reason: 'x' }),
    fc.constantFrom(offerA, offerB).map((offer): RecordingEvent => ({ type: 'media-subscribed', offer })),
    fc.constantFrom(REGIONAL.uri, GLOBAL.uri, 'sip:other').chain((recorder) =>
      fc.oneof(
        fc.constantFrom<RecordingEvent>({ type: 'srs-failure', recorder, failure: { kind: 'status', status: 503 } }, { type: 'srs-failure', recorder, failure: { kind: 'status', status: 403 } }, { type: 'srs-failure', recorder, failure: { kind: 'timeout' } }, { type: 'srs-failure', recorder, failure: { kind: 'status', status: 481 } }, { type: 'srs-lost', recorder, failure: { kind: 'transport', message: 'refused' } }),
        fc.constantFrom('good', 'plain', 'garbage').map((kind): RecordingEvent => ({ type: 'srs-answered', recorder, sdp: kind })),
      ),
    ),
  );

  it('never throws; only recording commands (nothing touches the call); X-AccountId on every request; nothing new after the call ended', () => {
    fc.assert(
      fc.property(fc.constantFrom<'automatic' | 'manual'>('automatic', 'manual'), fc.array(event, { maxLength: 40 }), (mode, events) => {
        let s = initialRecordingState(config({ mode }));
        let ended = false;
        let started = 0;
        events.forEach((e, i) => {
          // Answers are built from what was actually sent, so that "good" ones pass the checks.
          const ev: RecordingEvent = e.type === 'srs-answered' ? { ...e, sdp: e.sdp === 'good' ? answerTo(s.sentSdp ?? offerA.sdp) : e.sdp === 'plain' ? answerTo(s.sentSdp ?? offerA.sdp, { proto: 'RTP/AVP' }) : 'garbage' } : e;
          const t = reduceRecording(s, ev, i * 100);
          for (const c of t.commands) {
            expect(RECORDING_COMMAND_TYPES).toContain(c.type);
            if (c.type === 'send-invite' || c.type === 'send-bye' || c.type === 'send-reinvite') expect(c.accountId).toBe(ACCOUNT);
            if (ended) expect(['send-invite', 'subscribe-request', 'send-reinvite', 'subscribe-answer']).not.toContain(c.type);
            if (c.type === 'publish' && c.event === 'recording.started') started++;
          }
          if (ev.type === 'call-ended') ended = true;
          expect(['idle', 'starting', 'active', 'paused', 'stopping', 'stopped', 'failed']).toContain(t.state.phase);
          if (t.state.phase === 'active' || t.state.phase === 'paused') expect(t.state.dialog).toBe(true);
          s = t.state;
        });
        // Each recording.started answers a start (the answer, a command) or takes over from a lost recorder.
        expect(started).toBeLessThanOrEqual(events.filter((e) => e.type === 'start' || e.type === 'call-answered' || e.type === 'srs-lost').length);
      }),
      { numRuns: 300 },
    );
  });
});
