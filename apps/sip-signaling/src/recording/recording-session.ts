import { pooledRandomBytes, type Dialog } from '@ci-connector/sip';
import {
  buildRecordingMetadata,
  checkSrsAnswer,
  initialRecordingState,
  reduceRecording,
  toRtpengineAnswer,
  toSiprecOffer,
  type FailoverPolicy,
  type RecorderTarget,
  type RecordingCommand,
  type RecordingEvent,
  type RecordingMetadataIds,
  type RecordingState,
} from '@ci-connector/siprec';
import type { Rtpengine } from '@ci-connector/rtpengine';
import type { RecordingCallContext } from './recording-hook';
import type { RecorderPool, RecordingEventPublisher } from './ports';
import type { SrsClient } from './srs-client';

export interface SessionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RecordingSessionDeps {
  rtpengine: Pick<Rtpengine, 'subscribeRequest' | 'subscribeAnswer' | 'unsubscribe'>;
  srs: SrsClient;
  events: RecordingEventPublisher;
  pool: RecorderPool;
  logger: SessionLogger;
  now?: () => number;
  extensionNamespace?: string;
  rtpengineTimeoutMs: number;
}

export interface RecordingSessionInit {
  ctx: RecordingCallContext;
  tenantId: string;
  seller: string;
  accountId: string;
  mode: 'automatic' | 'manual';
  targets: readonly RecorderTarget[];
  failover: FailoverPolicy;
}

export interface RecordingSnapshot {
  phase: RecordingState['phase'];
  recorder?: string;
  reason?: string;
  attempts: number;
  busy: boolean;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err));

/**
 * One call's recording: feeds events into the libs/siprec reducer and runs its
 * commands (rtpengine subscriptions, the SIPREC dialog, events). Every failure
 * becomes an event for the reducer or a log line: nothing here touches the call.
 */
export class RecordingSession {
  private state: RecordingState;
  private readonly now: () => number;
  /** rtpengine commands run one after the other (a subscribe answer must follow its request). */
  private media: Promise<void> = Promise.resolve();
  private readonly dialogs = new Map<string, Dialog>();
  private pendingInvite: { uri: string; cancel(): void } | undefined;
  private metadataIds: RecordingMetadataIds | undefined;
  /** rtpengine's to-tag of the current subscription: `<A tag>-srs`, then `-srs-<n>` for each new one (resume, restart). */
  private recorderTag: string;
  private subscriptions = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private inflight = 0;
  private probing = false;

  constructor(
    private readonly init: RecordingSessionInit,
    private readonly deps: RecordingSessionDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.state = initialRecordingState({ mode: init.mode, targets: init.targets, failover: init.failover, accountId: init.accountId });
    this.recorderTag = `${init.ctx.media.tags.a}-srs`;
  }

  get phase(): RecordingState['phase'] {
    return this.state.phase;
  }

  /** Where the recording stands; `busy` while a request or an rtpengine command is in flight (media may not be forked yet). */
  get snapshot(): RecordingSnapshot {
    return {
      phase: this.state.phase,
      ...(this.state.recorder ? { recorder: this.state.recorder.uri } : {}),
      ...(this.state.reason ? { reason: this.state.reason } : {}),
      attempts: this.state.attempts,
      busy: this.inflight > 0 || this.state.pending !== undefined,
    };
  }

  /** Nothing left to do: ended (stopped/failed) and no request in flight. */
  get settled(): boolean {
    return (this.state.phase === 'stopped' || this.state.phase === 'failed' || this.state.phase === 'idle') && this.inflight === 0;
  }

  /** Resolves once settled (or after `ms`). */
  whenSettled(ms: number): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** The recorder it is recording at (host, port), while the SIPREC dialog is up. */
  get recorderInUse(): RecorderTarget | undefined {
    return this.state.dialog ? this.state.recorder : undefined;
  }

  /**
   * The recorder's connection dropped: ask the recorder (in-dialog OPTIONS)
   * whether the session is still there. Yes → nothing changes (the media never
   * used that connection). No → the recorder is lost: the next one takes over,
   * or recording.failed.
   */
  probe(why: string, timeoutMs: number): void {
    const target = this.recorderInUse;
    const dialog = target ? this.dialogs.get(target.uri) : undefined;
    if (!target || !dialog || this.probing) return;
    this.probing = true;
    const log = { callId: this.init.ctx.callId, recorder: target.uri, why };
    void this.track(
      this.deps.srs.probe(dialog, this.init.accountId, timeoutMs).then((r) => {
        this.probing = false;
        if (r.alive) {
          this.deps.logger.info({ ...log, status: r.status }, 'recorder connection dropped; the SIPREC session is still there');
          return;
        }
        this.deps.logger.warn({ ...log, failure: r.failure }, 'recorder lost: the SIPREC session is gone');
        this.deps.pool.report(target, { ok: false, failure: r.failure });
        if (this.dialogs.get(target.uri) === dialog) this.dialogs.delete(target.uri);
        this.dispatch({ type: 'srs-lost', recorder: target.uri, failure: r.failure });
      }),
    );
  }

  dispatch(event: RecordingEvent): void {
    let t;
    try {
      t = reduceRecording(this.state, event, this.now());
    } catch (err) {
      this.deps.logger.warn({ callId: this.init.ctx.callId, event: event.type, err: describe(err) }, 'recording reducer failed; event ignored');
      return;
    }
    const before = this.state.phase;
    this.state = t.state;
    if (before !== t.state.phase) this.deps.logger.debug({ callId: this.init.ctx.callId, event: event.type, from: before, to: t.state.phase }, 'recording state');
    for (const c of t.commands) this.run(c);
    this.checkSettled();
  }

  private checkSettled() {
    if (!this.settled) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight++;
    return p.finally(() => {
      this.inflight--;
      this.checkSettled();
    });
  }

  private get rtpIds() {
    return { callId: this.init.ctx.media.rtpengineCallId, toTag: this.recorderTag };
  }

  private sellerLegTag(): string {
    const side = this.init.ctx.seller?.side === 'callee' ? 'b' : 'a';
    return this.init.ctx.media.tags[side];
  }

  private onMedia(work: () => Promise<void>): void {
    const next = this.media.then(work, work);
    this.media = this.track(next.catch(() => undefined));
  }

  private run(c: RecordingCommand): void {
    const log = { callId: this.init.ctx.callId, command: c.type };
    switch (c.type) {
      case 'subscribe-request':
        this.onMedia(async () => {
          try {
            // rtpengine 10.5 hands an unsubscribed to-tag its old ports and keys back: a new subscription (resume, a restart) gets a to-tag of its own.
            if (c.purpose !== 'media' && this.subscriptions++ > 0) this.recorderTag = `${this.init.ctx.media.tags.a}-srs-${this.subscriptions - 1}`;
            const reply = await this.deps.rtpengine.subscribeRequest({ callId: this.rtpIds.callId, fromTag: this.init.ctx.media.tags.a, toTag: this.recorderTag });
            const offer = toSiprecOffer({ rtpengineSdp: reply.sdp, mediaLabels: reply.mediaLabels, sellerLegTag: this.sellerLegTag() });
            this.dispatch({ type: 'media-subscribed', offer });
          } catch (err) {
            this.deps.logger.warn({ ...log, err: describe(err) }, 'rtpengine subscribe request failed; not recording');
            this.dispatch({ type: 'media-failed', reason: describe(err) });
          }
        });
        return;
      case 'subscribe-answer':
        this.onMedia(async () => {
          try {
            await this.deps.rtpengine.subscribeAnswer({ ...this.rtpIds, sdp: toRtpengineAnswer(c.offer, c.sdp) });
          } catch (err) {
            // The recorder dialog is up but rtpengine sends it nothing: end the recording (the call goes on).
            this.deps.logger.warn({ ...log, err: describe(err) }, 'rtpengine subscribe answer failed; ending the recording');
            this.dispatch({ type: 'stop', reason: `rtpengine subscribe answer failed: ${describe(err)}` });
          }
        });
        return;
      case 'unsubscribe':
        // When the call itself has ended, its rtpengine `delete` (the media anchor's close, sent
        // before the hook hears of the end) removes the subscription with the call: an unsubscribe
        // then only cost an ng round trip and left an "Unknown call-ID" warning in rtpengine's log.
        if (this.state.callEnded) return;
        this.onMedia(async () => {
          await this.deps.rtpengine.unsubscribe(this.rtpIds).catch((err: unknown) => this.deps.logger.debug({ ...log, err: describe(err) }, 'rtpengine unsubscribe failed'));
        });
        return;
      case 'send-invite':
        this.sendInvite(c.target, c.sdp, c.accountId);
        return;
      case 'cancel-invite':
        if (this.pendingInvite?.uri === c.target.uri) this.pendingInvite.cancel();
        return;
      case 'send-reinvite': {
        const dialog = this.dialogs.get(c.target.uri);
        if (!dialog) {
          this.dispatch({ type: 'srs-failure', recorder: c.target.uri, failure: { kind: 'status', status: 481, reason: 'no dialog' } });
          return;
        }
        void this.track(
          this.deps.srs.reinvite(dialog, c.sdp, c.accountId).then((r) => {
            if (r.ok) this.dispatch({ type: 'srs-answered', recorder: c.target.uri, sdp: r.sdp });
            else {
              this.deps.logger.warn({ ...log, purpose: c.purpose, recorder: c.target.uri, failure: r.failure }, 'the recorder refused a re-INVITE');
              this.dispatch({ type: 'srs-failure', recorder: c.target.uri, failure: r.failure });
            }
          }),
        );
        return;
      }
      case 'send-bye': {
        const dialog = this.dialogs.get(c.target.uri);
        this.dialogs.delete(c.target.uri);
        if (!dialog) {
          this.dispatch({ type: 'bye-completed' });
          return;
        }
        void this.track(
          this.deps.srs.bye(dialog, c.accountId).then((status) => {
            this.deps.logger.debug({ ...log, recorder: c.target.uri, status }, 'SIPREC BYE done');
            this.dispatch({ type: 'bye-completed' });
          }),
        );
        return;
      }
      case 'publish':
        this.deps.logger.info({ callId: this.init.ctx.callId, tenantId: this.init.tenantId, event: c.event, recorder: c.recorder, reason: c.reason }, c.event);
        this.deps.events.publish({
          type: c.event,
          callId: this.init.ctx.callId,
          sipCallId: this.init.ctx.sipCallId,
          tenantId: this.init.tenantId,
          seller: this.init.seller,
          ...(c.recorder !== undefined ? { recorder: c.recorder } : {}),
          ...(c.reason !== undefined ? { reason: c.reason } : {}),
          at: new Date(this.now()).toISOString(),
        });
        return;
    }
  }

  private metadataXml(): string {
    const ctx = this.init.ctx;
    const m = buildRecordingMetadata({
      role: ctx.role ?? 'outbound',
      caller: { ...(ctx.caller.aor ? { aor: ctx.caller.aor } : {}), displayName: ctx.callerDisplayName, ...(ctx.caller.user ? { number: ctx.caller.user } : {}) },
      callee: { ...(ctx.callee.aor ? { aor: ctx.callee.aor } : {}), displayName: ctx.calleeDisplayName, ...(ctx.callee.user ? { number: ctx.callee.user } : {}) },
      associateTime: this.now(),
      ...(this.metadataIds ? { ids: this.metadataIds } : { random: pooledRandomBytes }),
      ...(this.deps.extensionNamespace ? { extensionNamespace: this.deps.extensionNamespace } : {}),
    });
    this.metadataIds = m.ids;
    return m.xml;
  }

  private sendInvite(target: RecorderTarget, sdp: string, accountId: string): void {
    const log = { callId: this.init.ctx.callId, recorder: target.uri };
    let xml: string;
    try {
      xml = this.metadataXml();
    } catch (err) {
      this.dispatch({ type: 'srs-failure', recorder: target.uri, failure: { kind: 'transport', message: `metadata: ${describe(err)}` } });
      return;
    }
    const attempt = this.deps.srs.invite({ target, callId: this.init.ctx.callId, accountId, sdp, metadataXml: xml }, (late) => {
      // A 2xx after we gave up: keep the dialog so the reducer's BYE finds it.
      this.dialogs.set(target.uri, late);
      this.watchDialog(target.uri, late);
      this.dispatch({ type: 'srs-answered', recorder: target.uri, sdp: late.remoteBody?.body.toString('utf8') ?? '' });
    });
    this.pendingInvite = { uri: target.uri, cancel: attempt.cancel };
    void this.track(
      attempt.result.then((r) => {
        if (this.pendingInvite?.uri === target.uri) this.pendingInvite = undefined;
        if (r.ok) {
          // A 2xx whose SDP we refuse (the reducer BYEs it and fails over) counts against the recorder too.
          const check = checkSrsAnswer(sdp, r.sdp);
          this.deps.pool.report(target, check.ok ? { ok: true } : { ok: false, failure: { kind: 'bad-answer', error: check.error } });
          this.dialogs.set(target.uri, r.dialog);
          this.watchDialog(target.uri, r.dialog);
          this.dispatch({ type: 'srs-answered', recorder: target.uri, sdp: r.sdp, check });
          return;
        }
        const f = r.failure;
        // The full form: the pool's breaker tells a timeout from a transport failure from a status.
        this.deps.pool.report(target, { ok: false, failure: f });
        this.deps.logger.warn({ ...log, failure: f }, 'SIPREC INVITE failed');
        this.dispatch({ type: 'srs-failure', recorder: target.uri, failure: f });
      }),
    );
  }

  private watchDialog(uri: string, dialog: Dialog): void {
    dialog.on('terminated', ({ cause }) => {
      if (this.dialogs.get(uri) === dialog) this.dialogs.delete(uri);
      if (cause === 'bye-received') this.dispatch({ type: 'srs-bye' });
    });
  }
}
