import { MetricsRegistry } from '@ci-connector/platform-observability';
import { FailoverPolicy, initialRecordingState, recorderTargets, reduceRecording, type RecorderTarget, type RecordingCommand, type RecordingEvent, type RecordingSessionConfig } from '@ci-connector/siprec';
import { attemptResult, failedReason, lastRecorderIn, recorderLabel, SipSignalingMetrics, stoppedReason } from './metrics';
import type { RecordingCallContext } from './recording/recording-hook';
import type { RecordingEventMessage } from './recording/ports';

const [REGIONAL, GLOBAL] = recorderTargets({ region: 'westeurope' }) as [RecorderTarget, RecorderTarget];

/** The reason texts the real session reducer (libs/siprec) publishes, so the classes follow its wording. */
function published(config: Partial<RecordingSessionConfig>, ...events: RecordingEvent[]): Extract<RecordingCommand, { type: 'publish' }>[] {
  let state = initialRecordingState({ mode: 'automatic', targets: [REGIONAL, GLOBAL], failover: new FailoverPolicy(), accountId: 'AC1', ...config });
  const out: Extract<RecordingCommand, { type: 'publish' }>[] = [];
  events.forEach((e, i) => {
    const t = reduceRecording(state, e, i * 100);
    state = t.state;
    for (const c of t.commands) if (c.type === 'publish') out.push(c);
  });
  return out;
}

const offer = { sdp: 'v=0\r\n', streams: [] };

describe('recording reasons as bounded labels (from the session reducer\'s own texts)', () => {
  it('every recorder refused or failed: the last failure, at the last recorder tried', () => {
    const [failed] = published(
      {},
      { type: 'call-answered' },
      { type: 'media-subscribed', offer },
      { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'transport', message: 'connect ECONNREFUSED' } },
      { type: 'srs-failure', recorder: GLOBAL.uri, failure: { kind: 'status', status: 503, reason: 'Service Unavailable' } },
    );
    expect(failed?.event).toBe('recording.failed');
    expect(failedReason(failed?.reason)).toBe('status_503');
    expect(recorderLabel(lastRecorderIn(failed?.reason))).toBe(recorderLabel(GLOBAL.uri));
  });

  it('no answer in time, and a refusal with no failover (403)', () => {
    const timeout = published({ targets: [REGIONAL] }, { type: 'call-answered' }, { type: 'media-subscribed', offer }, { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'timeout' } });
    expect(failedReason(timeout[0]?.reason)).toBe('timeout');
    const refused = published({}, { type: 'call-answered' }, { type: 'media-subscribed', offer }, { type: 'srs-failure', recorder: REGIONAL.uri, failure: { kind: 'status', status: 403 } });
    expect(failedReason(refused[0]?.reason)).toBe('status_403');
    expect(recorderLabel(lastRecorderIn(refused[0]?.reason))).toBe(recorderLabel(REGIONAL.uri));
  });

  it('rtpengine, no recorder configured', () => {
    expect(failedReason(published({}, { type: 'call-answered' }, { type: 'media-failed', reason: 'subscribe request timed out' })[0]?.reason)).toBe('rtpengine');
    expect(failedReason(published({ targets: [] }, { type: 'call-answered' })[0]?.reason)).toBe('no_recorder');
  });

  it('a call that ends while the recording starts: stopped, call_ended', () => {
    const [stopped] = published({}, { type: 'call-answered' }, { type: 'media-subscribed', offer }, { type: 'call-ended' });
    expect(stopped?.event).toBe('recording.stopped');
    expect(stoppedReason(stopped?.reason)).toBe('call_ended');
  });

  it('classifies the other texts the session and the hook write', () => {
    expect(failedReason('sip:SRS@h:5061;transport=tls lost: no answer in time (no answer in time: no other recorder to try)')).toBe('recorder_lost');
    expect(failedReason('the recorder refused the pause re-INVITE: 488 Not Acceptable Here')).toBe('reinvite');
    expect(failedReason('sip:SRS@h:5061;transport=tls: unusable answer (not-savp): RTP/AVP (unusable answer (not-savp): RTP/AVP: no other recorder to try)')).toBe('bad_answer');
    expect(failedReason('something new')).toBe('other');
    expect(stoppedReason('stop command from partner:acme seller:s1')).toBe('command');
    expect(stoppedReason('the recorder ended the session (BYE)')).toBe('recorder_bye');
    expect(stoppedReason('rtpengine subscribe answer failed: timeout')).toBe('rtpengine');
    expect(stoppedReason(undefined)).toBe('other');
  });

  it('recorder labels and INVITE results', () => {
    expect(recorderLabel('sip:SRS@127.0.0.1:15061;transport=tls')).toBe('127.0.0.1:15061');
    expect(recorderLabel('sips:srs.example:5061')).toBe('srs.example:5061');
    expect(recorderLabel(undefined)).toBe('none');
    expect(attemptResult('ok')).toBe('ok');
    expect(attemptResult({ ok: false, failure: { kind: 'status', status: 503 } })).toBe('status_503');
    expect(attemptResult({ ok: false, failure: { kind: 'bad-answer', error: { code: 'x', message: 'y' } as never } })).toBe('bad_answer');
    expect(attemptResult({ ok: false, failure: { kind: 'circuit-open' } })).toBe('circuit_open');
    expect(attemptResult({ error: 'timeout' })).toBe('timeout');
    expect(attemptResult({ error: 'ECONNRESET' })).toBe('transport');
  });
});

describe('SipSignalingMetrics', () => {
  const registries: MetricsRegistry[] = [];
  afterAll(() => Promise.all(registries.map((r) => r.shutdown())));
  const make = () => {
    const r = new MetricsRegistry({ serviceName: 'sip-signaling', host: '127.0.0.1', port: 0, processMetrics: false });
    registries.push(r);
    return new SipSignalingMetrics(r);
  };

  it('counts calls by outcome and refusals, reads active calls and the drain state at scrape time', async () => {
    const m = make();
    const ended: string[] = [];
    const hook = m.meteredHook({ onAnswer: () => undefined, onMediaChange: () => undefined, onEnd: (ctx) => ended.push(ctx.callId) });
    const ctx = { callId: 'c1' } as RecordingCallContext;
    hook.onEnd(ctx, { answered: true, by: 'a' });
    hook.onEnd(ctx, { answered: false, by: 'failed', status: 487, reason: 'cancelled' });
    hook.onEnd(ctx, { answered: false, by: 'failed', status: 404, reason: 'no route' });
    hook.onEnd(ctx, { answered: true, by: 'b' });
    m.callRefused('draining');
    const calls = { size: 7, isDraining: true };
    m.observeCalls(calls, () => false);
    const text = await m.registry.text();
    expect(ended).toEqual(['c1', 'c1', 'c1', 'c1']);
    expect(text).toContain('cic_sip_calls_total{outcome="answered"} 2\n');
    expect(text).toContain('cic_sip_calls_total{outcome="cancelled"} 1\n');
    expect(text).toContain('cic_sip_calls_total{outcome="failed"} 1\n');
    expect(text).toContain('cic_sip_calls_refused_total{reason="draining"} 1\n');
    expect(text).toContain('cic_sip_calls_refused_total{reason="busy"} 0\n');
    expect(text).toContain('cic_sip_active_calls 7\n');
    expect(text).toContain('cic_sip_draining 1\n');
  });

  it('counts recording events per recorder and reason, and INVITE outcomes per recorder, passing everything on', async () => {
    const m = make();
    const passed: RecordingEventMessage[] = [];
    const reports: string[] = [];
    const publisher = m.meteredPublisher({ publish: (e) => passed.push(e) });
    const pool = m.meteredPool({ targetsFor: () => [REGIONAL], report: (t, o) => reports.push(`${t.uri} ${JSON.stringify(o)}`) });
    const base = { callId: 'c', sipCallId: 's', tenantId: 't', seller: 'x', at: new Date(0).toISOString() };
    publisher.publish({ ...base, type: 'recording.started', recorder: 'sip:SRS@10.0.0.1:5061;transport=tls' });
    publisher.publish({ ...base, type: 'recording.stopped', recorder: 'sip:SRS@10.0.0.1:5061;transport=tls', reason: 'call ended' });
    publisher.publish({ ...base, type: 'recording.failed', reason: 'sip:SRS@10.0.0.1:5061;transport=tls: 503 Service Unavailable (503 Service Unavailable: no other recorder to try)' });
    publisher.publish({ ...base, type: 'recording.paused', recorder: 'sip:SRS@10.0.0.1:5061;transport=tls' });
    pool.report(REGIONAL, { ok: true });
    pool.report(REGIONAL, { ok: false, failure: { kind: 'timeout' } });
    expect(pool.targetsFor({} as never)).toEqual([REGIONAL]);
    m.observeRecording({
      sessions: { activeSessions: 2 },
      pool: { snapshot: () => [{ uri: REGIONAL.uri, status: 'down', state: 'open', region: 'westeurope' }, { uri: GLOBAL.uri, status: 'unknown', state: 'closed', region: 'global' }] },
      publisher: { stats: { published: 4, dropped: { overflow: 1, invalid: 0 } } },
    });
    const text = await m.registry.text();
    expect(passed.map((e) => e.type)).toEqual(['recording.started', 'recording.stopped', 'recording.failed', 'recording.paused']);
    expect(reports).toHaveLength(2);
    const regional = recorderLabel(REGIONAL.uri);
    expect(text).toContain('cic_sip_recordings_started_total{recorder="10.0.0.1:5061"} 1\n');
    expect(text).toContain('cic_sip_recordings_stopped_total{reason="call_ended",recorder="10.0.0.1:5061"} 1\n');
    expect(text).toContain('cic_sip_recordings_failed_total{reason="status_503",recorder="10.0.0.1:5061"} 1\n');
    expect(text).toContain(`cic_sip_recorder_attempts_total{recorder="${regional}",result="ok"} 1\n`);
    expect(text).toContain(`cic_sip_recorder_attempts_total{recorder="${regional}",result="timeout"} 1\n`);
    expect(text).toContain(`cic_sip_recorder_up{recorder="${regional}",region="westeurope"} 0\n`);
    expect(text).not.toContain(`cic_sip_recorder_up{recorder="${recorderLabel(GLOBAL.uri)}"`);
    expect(text).toContain(`cic_sip_recorder_circuit_open{recorder="${regional}",region="westeurope"} 1\n`);
    expect(text).toContain('cic_sip_recording_sessions_active 2\n');
    expect(text).toContain('cic_sip_recording_events_published_total 4\n');
    expect(text).toContain('cic_sip_recording_events_dropped_total{reason="overflow"} 1\n');
  });
});
