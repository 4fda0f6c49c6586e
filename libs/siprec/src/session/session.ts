import { describeFailure, type FailoverPolicy, type RecorderFailure } from '../recorders/failover';
import type { RecorderTarget } from '../recorders/targets';
import { checkSrsAnswer, continueSdpSession, inactiveOffer, type SiprecOffer, type SrsAnswerCheck } from '../sdp/siprec-sdp';

/**
 * The recording session of one call, as a pure reducer:
 * `reduceRecording(state, event, now) → { state, commands }`. The adapter
 * runs the commands (rtpengine, the SIPREC dialog, Kafka) and feeds their
 * outcomes back as events. No command ever touches the call itself: a
 * recording failure never fails the call.
 */
export type RecordingPhase = 'idle' | 'starting' | 'active' | 'paused' | 'stopping' | 'stopped' | 'failed';

export type RecordingEventType = 'recording.started' | 'recording.failed' | 'recording.stopped' | 'recording.paused' | 'recording.resumed';

export interface RecordingSessionConfig {
  /** automatic: start when the call is answered; manual: wait for a start command. */
  mode: 'automatic' | 'manual';
  /** Recorders in the order to try them (recorderTargets, filtered by RecorderHealth.usable). */
  targets: readonly RecorderTarget[];
  failover: FailoverPolicy;
  /** X-AccountId of every INVITE and BYE. */
  accountId: string;
}

export type Purpose = 'start' | 'pause' | 'resume' | 'media';

export interface RecordingState {
  readonly phase: RecordingPhase;
  readonly config: RecordingSessionConfig;
  /** The call is answered and not ended. */
  readonly callUp: boolean;
  readonly callEnded: boolean;
  /** A start command came before the answer (manual mode): start on answer. */
  readonly startOnAnswer: boolean;
  /** Index in config.targets of the recorder being tried or in use. */
  readonly targetIndex: number;
  readonly attempts: number;
  readonly startedAt: number;
  /** The recorder the SIPREC dialog is with (set on its 2xx). */
  readonly recorder?: RecorderTarget;
  /** rtpengine's latest subscription offer (labels mapped). */
  readonly offer?: SiprecOffer;
  /** The SDP last sent to the recorder (INVITE or re-INVITE). */
  readonly sentSdp?: string;
  /** The request or rtpengine operation awaited. */
  readonly pending?: 'subscribe' | 'invite' | 'reinvite' | 'bye';
  readonly purpose?: Purpose;
  readonly subscribed: boolean;
  readonly dialog: boolean;
  readonly wantPaused: boolean;
  readonly mediaDirty: boolean;
  readonly stopReason?: string;
  /** Every failed attempt of the current start, in order. */
  readonly failures: readonly { recorder: string; failure: string }[];
  /** Why the session ended (stopped or failed). */
  readonly reason?: string;
}

export type RecordingEvent =
  /** The call was answered (200 OK relayed). */
  | { type: 'call-answered' }
  /** recording.control start (manual mode, or to record again after a stop). */
  | { type: 'start' }
  /** rtpengine `subscribe request` succeeded and toSiprecOffer accepted its SDP. */
  | { type: 'media-subscribed'; offer: SiprecOffer }
  /** rtpengine `subscribe request` failed, or its SDP was refused by toSiprecOffer. */
  | { type: 'media-failed'; reason: string }
  /** A 2xx with SDP from `recorder` (URI) to our INVITE or re-INVITE. The reducer checks the SDP itself. */
  /** `check`: checkSrsAnswer(the offer sent, sdp) when the adapter already made it (it is not made twice). */
  | { type: 'srs-answered'; recorder: string; sdp: string; check?: SrsAnswerCheck }
  /** Our INVITE or re-INVITE to `recorder` failed. */
  | { type: 'srs-failure'; recorder: string; failure: RecorderFailure }
  /** The call's media changed (hold, resume, codec): the recorder needs a re-INVITE. */
  | { type: 'media-changed' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop'; reason?: string }
  /** The call ended (BYE either side, CANCEL, failure after answer). */
  | { type: 'call-ended' }
  /** The recorder sent BYE (it stops recording). */
  | { type: 'srs-bye' }
  /**
   * The recorder of the established session is gone: its connection dropped and
   * an in-dialog probe failed (481, no answer, no connection). The next recorder
   * takes over (a new subscription, a new SIPREC INVITE), or the session fails.
   */
  | { type: 'srs-lost'; recorder: string; failure: RecorderFailure }
  /** Our BYE got its final response, or none in time: the dialog is over either way. */
  | { type: 'bye-completed' }
  /** The SIPREC dialog's session timer (RFC 4028) expired without a refresh. */
  | { type: 'session-timer-expired' };

export type RecordingCommand =
  | { type: 'subscribe-request'; purpose: 'start' | 'resume' | 'media' }
  /** Send the SIPREC INVITE (Require: siprec, Contact ;+sip.src, X-AccountId, SDP + metadata) to `target`. */
  | { type: 'send-invite'; target: RecorderTarget; sdp: string; attempt: number; accountId: string }
  /** Give up the pending INVITE to `target` (CANCEL). */
  | { type: 'cancel-invite'; target: RecorderTarget }
  /** rtpengine `subscribe answer` with the recorder's SDP (map labels back with toRtpengineAnswer(offer, sdp)). */
  | { type: 'subscribe-answer'; sdp: string; offer: SiprecOffer }
  | { type: 'send-reinvite'; target: RecorderTarget; sdp: string; purpose: Purpose; accountId: string }
  | { type: 'unsubscribe' }
  | { type: 'send-bye'; target: RecorderTarget; accountId: string }
  | { type: 'publish'; event: RecordingEventType; recorder?: string; reason?: string };

export const RECORDING_COMMAND_TYPES = ['subscribe-request', 'send-invite', 'cancel-invite', 'subscribe-answer', 'send-reinvite', 'unsubscribe', 'send-bye', 'publish'] as const;

export interface Transition {
  state: RecordingState;
  commands: RecordingCommand[];
}

export function initialRecordingState(config: RecordingSessionConfig): RecordingState {
  return { phase: 'idle', config, callUp: false, callEnded: false, startOnAnswer: false, targetIndex: 0, attempts: 0, startedAt: 0, subscribed: false, dialog: false, wantPaused: false, mediaDirty: false, failures: [] };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type S = Mutable<RecordingState>;

const TERMINAL: readonly RecordingPhase[] = ['stopped', 'failed'];

/** Applies one event. Never throws for any event in any state: an event that makes no sense there is ignored. */
export function reduceRecording(state: RecordingState, event: RecordingEvent, now: number): Transition {
  const s: S = { ...state };
  const out: RecordingCommand[] = [];
  const h = new Handlers(s, out, now);
  switch (event.type) {
    case 'call-answered':
      h.callAnswered();
      break;
    case 'start':
      h.startCommand();
      break;
    case 'media-subscribed':
      h.mediaSubscribed(event.offer);
      break;
    case 'media-failed':
      h.mediaFailed(event.reason);
      break;
    case 'srs-answered':
      h.srsAnswered(event.recorder, event.sdp, event.check);
      break;
    case 'srs-failure':
      h.srsFailure(event.recorder, event.failure);
      break;
    case 'media-changed':
      h.mediaChanged();
      break;
    case 'pause':
      h.pause();
      break;
    case 'resume':
      h.resume();
      break;
    case 'stop':
      h.stop(event.reason ?? 'stop command');
      break;
    case 'call-ended':
      s.callUp = false;
      s.callEnded = true;
      s.startOnAnswer = false;
      h.stop('call ended');
      break;
    case 'srs-bye':
      h.srsBye();
      break;
    case 'srs-lost':
      h.srsLost(event.recorder, event.failure);
      break;
    case 'bye-completed':
      h.byeCompleted();
      break;
    case 'session-timer-expired':
      if (s.dialog && (s.phase === 'active' || s.phase === 'paused')) h.fail('the SIPREC session timer expired without a refresh', true);
      break;
  }
  return { state: s, commands: out };
}

class Handlers {
  constructor(
    private readonly s: S,
    private readonly out: RecordingCommand[],
    private readonly now: number,
  ) {}

  private get cfg() {
    return this.s.config;
  }

  private current(): RecorderTarget | undefined {
    return this.cfg.targets[this.s.targetIndex];
  }

  private publish(event: RecordingEventType, extra: { recorder?: string; reason?: string } = {}) {
    this.out.push({ type: 'publish', event, ...extra });
  }

  callAnswered() {
    if (this.s.callEnded || this.s.callUp) return;
    this.s.callUp = true;
    if (this.s.phase === 'idle' && (this.cfg.mode === 'automatic' || this.s.startOnAnswer)) this.begin();
    this.s.startOnAnswer = false;
  }

  startCommand() {
    if (this.s.callEnded) return;
    if (!this.s.callUp) {
      if (this.s.phase === 'idle') this.s.startOnAnswer = true;
      return;
    }
    if (this.s.phase === 'idle' || TERMINAL.includes(this.s.phase)) this.begin();
  }

  /** idle/stopped/failed → starting: ask rtpengine for the recording offer. */
  private begin() {
    const s = this.s;
    Object.assign(s, { phase: 'starting', targetIndex: 0, attempts: 0, startedAt: this.now, failures: [], wantPaused: false, mediaDirty: false, dialog: false });
    delete s.stopReason;
    delete s.reason;
    delete s.recorder;
    delete s.offer;
    delete s.sentSdp;
    if (this.cfg.targets.length === 0) {
      this.toFailed('no recorder configured for the tenant');
      return;
    }
    this.subscribe('start');
  }

  private subscribe(purpose: 'start' | 'resume' | 'media') {
    this.s.pending = 'subscribe';
    this.s.purpose = purpose;
    this.out.push({ type: 'subscribe-request', purpose });
  }

  private sendInvite() {
    const target = this.current();
    const sdp = this.s.offer?.sdp;
    if (!target || sdp === undefined) return;
    this.s.attempts++;
    this.s.pending = 'invite';
    this.s.purpose = 'start';
    this.s.sentSdp = sdp;
    this.out.push({ type: 'send-invite', target, sdp, attempt: this.s.attempts, accountId: this.cfg.accountId });
  }

  private sendReinvite(sdp: string, purpose: Purpose) {
    const target = this.s.recorder;
    if (!target) return;
    this.s.pending = 'reinvite';
    this.s.purpose = purpose;
    this.s.sentSdp = sdp;
    this.out.push({ type: 'send-reinvite', target, sdp, purpose, accountId: this.cfg.accountId });
  }

  mediaSubscribed(offer: SiprecOffer) {
    const s = this.s;
    if (s.pending !== 'subscribe') {
      // A subscription we no longer want (stopped meanwhile): remove it.
      if (TERMINAL.includes(s.phase) || s.phase === 'stopping' || s.phase === 'idle') this.out.push({ type: 'unsubscribe' });
      return;
    }
    delete s.pending;
    s.subscribed = true;
    s.offer = offer;
    if (s.purpose === 'start') {
      this.sendInvite();
      return;
    }
    // resume or media change: the same SIPREC dialog, so continue its SDP session (o= line).
    const sdp = s.sentSdp !== undefined ? continueSdpSession(s.sentSdp, offer.sdp) : offer.sdp;
    this.sendReinvite(sdp, s.purpose ?? 'media');
  }

  mediaFailed(reason: string) {
    const s = this.s;
    if (s.pending !== 'subscribe') return;
    delete s.pending;
    // A subscription may exist even when its SDP was refused: remove it.
    this.out.push({ type: 'unsubscribe' });
    s.subscribed = false;
    if (s.purpose === 'start') this.toFailed(`rtpengine: ${reason}`);
    else this.fail(`rtpengine: ${reason}`, true);
  }

  srsAnswered(recorder: string, sdp: string, checked?: SrsAnswerCheck) {
    const s = this.s;
    const target = s.pending === 'invite' ? this.current() : s.recorder;
    if ((s.pending !== 'invite' && s.pending !== 'reinvite') || !target || target.uri !== recorder) {
      // A 2xx we did not wait for. From the recorder of our dialog: a retransmission, or an answer to a
      // re-INVITE crossing our BYE (nothing to do). From another: a late 2xx to a CANCELled INVITE: BYE it.
      if (s.recorder?.uri !== recorder) {
        const late = this.cfg.targets.find((t) => t.uri === recorder);
        if (late) this.out.push({ type: 'send-bye', target: late, accountId: this.cfg.accountId });
      }
      return;
    }
    const check = checked ?? checkSrsAnswer(s.sentSdp ?? '', sdp);
    if (s.pending === 'invite') {
      delete s.pending;
      if (!check.ok) {
        // rtpengine would send plain RTP or garbage: end this dialog, count a failure, maybe fail over.
        this.out.push({ type: 'send-bye', target, accountId: this.cfg.accountId });
        this.attemptFailed(target, { kind: 'bad-answer', error: check.error });
        return;
      }
      s.dialog = true;
      s.recorder = target;
      s.phase = 'active';
      this.out.push({ type: 'subscribe-answer', sdp, offer: s.offer ?? { sdp: s.sentSdp ?? '', streams: [] } });
      this.publish('recording.started', { recorder: target.uri });
      this.reconcile();
      return;
    }
    // re-INVITE
    delete s.pending;
    const purpose = s.purpose;
    if (!check.ok) {
      this.fail(`the recorder's answer to the ${purpose ?? ''} re-INVITE is unusable (${check.error.code}): ${check.error.message}`, true);
      return;
    }
    if (purpose === 'pause') {
      s.phase = 'paused';
      this.publish('recording.paused', { recorder: target.uri });
    } else {
      this.out.push({ type: 'subscribe-answer', sdp, offer: s.offer ?? { sdp: s.sentSdp ?? '', streams: [] } });
      if (purpose === 'resume') {
        s.phase = 'active';
        this.publish('recording.resumed', { recorder: target.uri });
      }
    }
    this.reconcile();
  }

  srsFailure(recorder: string, failure: RecorderFailure) {
    const s = this.s;
    if (s.pending === 'invite' && this.current()?.uri === recorder) {
      delete s.pending;
      const target = this.current();
      if (target) this.attemptFailed(target, failure);
      return;
    }
    if (s.pending === 'reinvite' && s.recorder?.uri === recorder) {
      delete s.pending;
      const gone = (failure.kind === 'status' && (failure.status === 481 || failure.status === 408)) || failure.kind === 'transport';
      this.fail(`the recorder refused the ${s.purpose ?? ''} re-INVITE: ${describeFailure(failure)}`, !gone);
    }
    // Anything else (a failure of a request no longer pending) changes nothing.
  }

  /** One INVITE failed: fail over to the next recorder, or give up (the call goes on unrecorded). */
  private attemptFailed(target: RecorderTarget, failure: RecorderFailure) {
    const s = this.s;
    s.failures = [...s.failures, { recorder: target.uri, failure: describeFailure(failure) }];
    if (s.stopReason !== undefined) {
      this.toStopped(s.stopReason);
      return;
    }
    const decision = this.cfg.failover.decide(failure, { failedIndex: s.targetIndex, targetCount: this.cfg.targets.length, attempts: s.attempts, startedAt: s.startedAt, now: this.now });
    if (decision.action === 'try-next') {
      s.targetIndex = decision.targetIndex;
      this.sendInvite();
      return;
    }
    this.out.push({ type: 'unsubscribe' });
    s.subscribed = false;
    this.toFailed(`${s.failures.map((f) => `${f.recorder}: ${f.failure}`).join('; ')} (${decision.reason})`);
  }

  mediaChanged() {
    const s = this.s;
    if (s.phase === 'active' && s.pending === undefined) this.subscribe('media');
    else if (s.phase === 'starting' || s.phase === 'active') s.mediaDirty = true;
  }

  pause() {
    const s = this.s;
    if (s.phase !== 'starting' && s.phase !== 'active' && s.phase !== 'paused') return;
    s.wantPaused = true;
    if (s.phase === 'active' && s.pending === undefined) this.doPause();
  }

  resume() {
    const s = this.s;
    if (s.phase !== 'starting' && s.phase !== 'active' && s.phase !== 'paused') return;
    s.wantPaused = false;
    if (s.phase === 'paused' && s.pending === undefined) this.doResume();
  }

  /** Pause = stop forking in rtpengine (unsubscribe) and tell the recorder (re-INVITE, every stream a=inactive). */
  private doPause() {
    const s = this.s;
    if (s.sentSdp === undefined) return;
    this.out.push({ type: 'unsubscribe' });
    s.subscribed = false;
    this.sendReinvite(inactiveOffer(s.sentSdp), 'pause');
  }

  /** Resume = subscribe again (rtpengine gives new ports and keys), then re-INVITE with that offer. */
  private doResume() {
    this.s.mediaDirty = false;
    this.subscribe('resume');
  }

  /** After an operation completes: bring the session to what was asked meanwhile. */
  private reconcile() {
    const s = this.s;
    if (s.pending !== undefined) return;
    if (s.phase === 'active' && s.wantPaused) this.doPause();
    else if (s.phase === 'paused' && !s.wantPaused) this.doResume();
    else if (s.phase === 'active' && s.mediaDirty) {
      s.mediaDirty = false;
      this.subscribe('media');
    }
  }

  stop(reason: string) {
    const s = this.s;
    switch (s.phase) {
      case 'starting': {
        s.stopReason = reason;
        if (s.pending === 'invite') {
          const t = this.current();
          if (t) this.out.push({ type: 'cancel-invite', target: t });
        }
        this.out.push({ type: 'unsubscribe' });
        s.subscribed = false;
        this.toStopped(reason);
        return;
      }
      case 'active':
      case 'paused': {
        s.stopReason = reason;
        if (s.recorder) this.out.push({ type: 'send-bye', target: s.recorder, accountId: this.cfg.accountId });
        if (s.subscribed) this.out.push({ type: 'unsubscribe' });
        s.subscribed = false;
        s.dialog = false;
        s.phase = 'stopping';
        s.pending = 'bye';
        return;
      }
      default:
        return;
    }
  }

  srsBye() {
    const s = this.s;
    if (!s.dialog && s.phase !== 'stopping') return;
    s.dialog = false;
    if (s.phase === 'stopping') {
      this.toStopped(s.stopReason ?? 'stopped');
      return;
    }
    if (s.phase !== 'active' && s.phase !== 'paused') return;
    if (s.subscribed) this.out.push({ type: 'unsubscribe' });
    s.subscribed = false;
    this.toStopped('the recorder ended the session (BYE)');
  }

  srsLost(recorder: string, failure: RecorderFailure) {
    const s = this.s;
    const lost = s.recorder;
    if (!s.dialog || lost?.uri !== recorder || (s.phase !== 'active' && s.phase !== 'paused')) return;
    // Mid-subscription (a media change or resume being prepared): its outcome would be taken for the new start's; let it land first.
    if (s.pending === 'subscribe') return;
    // A re-INVITE in flight to the lost recorder fails on its own: no longer awaited.
    delete s.pending;
    delete s.purpose;
    s.dialog = false;
    if (s.subscribed) this.out.push({ type: 'unsubscribe' });
    s.subscribed = false;
    const what = `${recorder} lost: ${describeFailure(failure)}`;
    const failedIndex = Math.max(0, this.cfg.targets.findIndex((t) => t.uri === recorder));
    const decision = this.cfg.failover.decide(failure, { failedIndex, targetCount: this.cfg.targets.length, attempts: 1, startedAt: this.now, now: this.now });
    if (decision.action === 'give-up') {
      this.toFailed(`${what} (${decision.reason})`);
      return;
    }
    // Start again at the next recorder, with a new subscription (new keys): the pause wanted, if any, is applied once it is up.
    Object.assign(s, { phase: 'starting', targetIndex: decision.targetIndex, attempts: 0, startedAt: this.now, failures: [{ recorder, failure: `lost: ${describeFailure(failure)}` }], mediaDirty: false });
    delete s.recorder;
    delete s.offer;
    delete s.sentSdp;
    this.subscribe('start');
  }

  byeCompleted() {
    if (this.s.phase === 'stopping') this.toStopped(this.s.stopReason ?? 'stopped');
  }

  /** Ends an established session because of a failure: BYE (when the dialog still exists), unsubscribe, recording.failed. */
  fail(reason: string, sendBye: boolean) {
    const s = this.s;
    if (sendBye && s.dialog && s.recorder) this.out.push({ type: 'send-bye', target: s.recorder, accountId: this.cfg.accountId });
    if (s.subscribed) this.out.push({ type: 'unsubscribe' });
    s.subscribed = false;
    s.dialog = false;
    this.toFailed(reason);
  }

  private toFailed(reason: string) {
    const s = this.s;
    s.phase = 'failed';
    s.reason = reason;
    delete s.pending;
    delete s.purpose;
    this.publish('recording.failed', { ...(s.recorder ? { recorder: s.recorder.uri } : {}), reason });
  }

  private toStopped(reason: string) {
    const s = this.s;
    const recorder = s.recorder?.uri;
    s.phase = 'stopped';
    s.reason = reason;
    delete s.pending;
    delete s.purpose;
    this.publish('recording.stopped', { ...(recorder ? { recorder } : {}), reason });
  }
}


