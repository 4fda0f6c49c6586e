import { SIP_SIGNALING_METRICS as M, type Counter, type MetricsRegistry } from '@ci-connector/platform-observability';
import type { RecorderTarget } from '@ci-connector/siprec';
import type { CallManagerOptions } from './calls/call-manager';
import type { CallEnd, RecordingCallContext, SafeRecordingHook } from './recording/recording-hook';
import type { RecorderOutcome, RecorderPool, RecordingEventMessage, RecordingEventPublisher } from './recording/ports';

// sip-signaling's metrics (names and help in libs/platform/observability's
// catalogue). Counted where the events already exist, by wrapping what main.ts
// wires: the hook the CallManager calls, the recording event publisher, the
// recorder pool's outcome reports. Nothing here is on the SIP parser's path.

/** Why an INVITE was refused before routing (CallManager's early answers). */
export type CallRefusal = Parameters<NonNullable<CallManagerOptions['onRefused']>>[0];

type CallHook = Pick<SafeRecordingHook, 'onAnswer' | 'onMediaChange' | 'onEnd'>;

/** The recorder label: the host:port of `sip:SRS@host:port;transport=tls` (one per region's SRS); `none` when no recorder was reached. */
export function recorderLabel(uri: string | undefined): string {
  if (!uri) return 'none';
  const at = uri.indexOf('@');
  const rest = at >= 0 ? uri.slice(at + 1) : uri.replace(/^sips?:/i, '');
  const end = rest.search(/[;>?]/);
  return (end >= 0 ? rest.slice(0, end) : rest) || 'none';
}

/** What a SIPREC failure (`describeFailure` of libs/siprec) was, as a bounded label. */
function failureClass(what: string): string {
  const status = /^([3-6]\d\d)\b/.exec(what);
  if (status) return `status_${status[1]}`;
  if (what.startsWith('no answer in time')) return 'timeout';
  if (what.startsWith('transport error')) return 'transport';
  if (what.startsWith('unusable answer')) return 'bad_answer';
  if (what.startsWith('circuit open')) return 'circuit_open';
  return 'other';
}

/**
 * The reason class of a recording.failed (libs/siprec session texts): no_recorder,
 * rtpengine, recorder_lost, reinvite, or — when every recorder was tried — the last
 * recorder's failure: status_<code>, timeout, transport, bad_answer, circuit_open.
 */
export function failedReason(reason: string | undefined): string {
  if (!reason) return 'other';
  if (reason.startsWith('no recorder configured')) return 'no_recorder';
  if (reason.startsWith('rtpengine')) return 'rtpengine';
  if (/^\S+ lost: /.test(reason)) return 'recorder_lost';
  if (reason.includes('re-INVITE')) return 'reinvite';
  // "<recorder>: <failure>; … (<last failure>: <why no failover>)": the decision names the last failure first.
  const decision = trailingParenthesis(reason);
  const cls = failureClass(decision ?? '');
  if (cls !== 'other') return cls;
  const first = /^sips?:\S+?: (.*)$/.exec(reason);
  return first ? failureClass(first[1] ?? '') : 'other';
}

/** The text inside the parentheses that close `s` (nested ones kept), if it ends with one. */
function trailingParenthesis(s: string): string | undefined {
  if (!s.endsWith(')')) return undefined;
  let depth = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    if (s[i] === ')') depth++;
    else if (s[i] === '(' && --depth === 0) return s.slice(i + 1, -1);
  }
  return undefined;
}

/** The last recorder a recording.failed names in its reason (`<uri>: <failure>; …` or `<uri> lost: …`), when the event carries none. */
export function lastRecorderIn(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  let last: string | undefined;
  for (const m of reason.matchAll(/(sips?:\S+?)(?:: | lost: )/g)) last = m[1];
  return last;
}

/** The reason class of a recording.stopped: call_ended, command, recorder_bye, rtpengine, other. */
export function stoppedReason(reason: string | undefined): string {
  if (!reason) return 'other';
  if (reason === 'call ended') return 'call_ended';
  if (reason.startsWith('stop command')) return 'command';
  if (reason.startsWith('the recorder ended the session')) return 'recorder_bye';
  if (reason.startsWith('rtpengine')) return 'rtpengine';
  return 'other';
}

/** One SIPREC INVITE's result at a recorder: ok, status_<code>, timeout, transport, bad_answer, circuit_open. */
export function attemptResult(o: RecorderOutcome): string {
  if (o === 'ok') return 'ok';
  if ('ok' in o) {
    if (o.ok) return 'ok';
    const f = o.failure;
    return f.kind === 'status' ? `status_${f.status}` : f.kind === 'bad-answer' ? 'bad_answer' : f.kind === 'circuit-open' ? 'circuit_open' : f.kind;
  }
  if (o.status !== undefined) return `status_${o.status}`;
  if (o.error === 'timeout') return 'timeout';
  if (o.error === 'circuit-open') return 'circuit_open';
  return 'transport';
}

/** The call's outcome label from the CallManager's end: answered, cancelled, failed. */
export function callOutcome(end: CallEnd): 'answered' | 'cancelled' | 'failed' {
  if (end.answered) return 'answered';
  return end.status === 487 ? 'cancelled' : 'failed';
}

export class SipSignalingMetrics {
  private readonly calls: Counter<'outcome'>;
  private readonly refused: Counter<'reason'>;
  private readonly started: Counter<'recorder'>;
  private readonly failed: Counter<'reason' | 'recorder'>;
  private readonly stopped: Counter<'reason' | 'recorder'>;
  private readonly attempts: Counter<'recorder' | 'result'>;

  constructor(readonly registry: MetricsRegistry) {
    this.calls = registry.counter(M.calls);
    this.refused = registry.counter(M.callsRefused);
    this.started = registry.counter(M.recordingsStarted);
    this.failed = registry.counter(M.recordingsFailed);
    this.stopped = registry.counter(M.recordingsStopped);
    this.attempts = registry.counter(M.recorderAttempts);
    // The usual series exist from the start (rate() and alerts need no first event).
    for (const outcome of ['answered', 'cancelled', 'failed']) this.calls.inc({ outcome }, 0);
    for (const reason of ['draining', 'busy']) this.refused.inc({ reason }, 0);
  }

  /** Calls in progress and the drain state, read at scrape time. */
  observeCalls(calls: { readonly size: number; readonly isDraining: boolean }, shuttingDown: () => boolean): void {
    this.registry.observe(M.activeCalls, () => calls.size);
    this.registry.observe(M.draining, () => (calls.isDraining || shuttingDown() ? 1 : 0));
  }

  /** The safe hook's drops, failures and timeouts. */
  observeHook(hook: Pick<SafeRecordingHook, 'stats'>): void {
    this.registry.observe(M.recordingHookDropped, () => {
      const s = hook.stats;
      return [
        [{ kind: 'dropped' }, s.dropped],
        [{ kind: 'failed' }, s.failed],
        [{ kind: 'timed_out' }, s.timedOut],
      ] as const;
    });
  }

  /** Recording sessions, the recorders' health, and the event publisher's totals (when Kafka publishes them). */
  observeRecording(d: {
    sessions: { readonly activeSessions: number };
    pool: { snapshot(): { uri: string; status: 'up' | 'down' | 'unknown'; state: string; region?: string }[] };
    publisher?: { readonly stats: { published: number; dropped: Record<string, number> } };
  }): void {
    this.registry.observe(M.recordingSessions, () => d.sessions.activeSessions);
    this.registry.observe(M.recorderUp, () =>
      d.pool
        .snapshot()
        .filter((r) => r.status !== 'unknown')
        .map((r) => [{ recorder: recorderLabel(r.uri), region: r.region ?? '' }, r.status === 'up' ? 1 : 0] as const),
    );
    this.registry.observe(M.recorderCircuitOpen, () => d.pool.snapshot().map((r) => [{ recorder: recorderLabel(r.uri), region: r.region ?? '' }, r.state === 'closed' ? 0 : 1] as const));
    const publisher = d.publisher;
    if (publisher) {
      this.registry.observe(M.recordingEventsPublished, () => publisher.stats.published);
      this.registry.observe(M.recordingEventsDropped, () => Object.entries(publisher.stats.dropped).map(([reason, n]) => [{ reason }, n] as const));
    }
  }

  callRefused(reason: CallRefusal): void {
    this.refused.inc({ reason });
  }

  recordingEvent(e: Pick<RecordingEventMessage, 'type' | 'recorder' | 'reason'>): void {
    const recorder = recorderLabel(e.recorder);
    if (e.type === 'recording.started') this.started.inc({ recorder });
    else if (e.type === 'recording.failed') this.failed.inc({ reason: failedReason(e.reason), recorder: e.recorder ? recorder : recorderLabel(lastRecorderIn(e.reason)) });
    else if (e.type === 'recording.stopped') this.stopped.inc({ reason: stoppedReason(e.reason), recorder });
  }

  /** The hook the CallManager calls, counting each call's end. */
  meteredHook(hook: CallHook): CallHook {
    return {
      onAnswer: (ctx: RecordingCallContext) => hook.onAnswer(ctx),
      onMediaChange: (ctx, change) => hook.onMediaChange(ctx, change),
      onEnd: (ctx, end) => {
        this.calls.inc({ outcome: callOutcome(end) });
        hook.onEnd(ctx, end);
      },
    };
  }

  /** The publisher the recording sessions use, counting each event. */
  meteredPublisher(publisher: RecordingEventPublisher): RecordingEventPublisher {
    return {
      publish: (e) => {
        this.recordingEvent(e);
        publisher.publish(e);
      },
    };
  }

  /** The pool as the sessions see it, counting each SIPREC INVITE's outcome per recorder. */
  meteredPool(pool: RecorderPool): RecorderPool {
    return {
      targetsFor: (tenant) => pool.targetsFor(tenant),
      report: (target: RecorderTarget, outcome: RecorderOutcome) => {
        this.attempts.inc({ recorder: recorderLabel(target.uri), result: attemptResult(outcome) });
        pool.report(target, outcome);
      },
    };
  }
}
