import type { RecordingPolicy } from '@ci-connector/recording-policy';
import type { CallIdentity, Party, Role } from '../tenants/call-identity';
import type { MediaSessionInfo } from '../media/media-anchor';

/**
 * The seam the recording session plugs into. sip-signaling calls the hook on
 * answer, on every media change (re-INVITE/UPDATE offer/answer) and at the end
 * of every call, with the call's context. The hook runs detached from the call
 * (`SafeRecordingHook`): its failure or slowness never affects the call.
 */
export interface RecordingCallContext {
  /** The one call id (ARCHITECTURE.md): the dialer's id from the configured header, else minted here. */
  callId: string;
  callIdSource: 'dialer' | 'minted';
  /** The A leg's SIP Call-ID (also the rtpengine call id). */
  sipCallId: string;
  tenantId?: string;
  seller?: CallIdentity['seller'];
  role?: Role;
  caller: Party;
  callee: Party;
  callerDisplayName: string;
  calleeDisplayName: string;
  /** Where and whether the media is anchored (rtpengine call id and the tag of each side). */
  media: MediaSessionInfo;
  startedAt: string;
  answeredAt?: string;
}

export interface MediaChange {
  /** The side whose offer was answered. */
  offeredBy: 'a' | 'b';
  method: string;
  /** The offer put the call on hold (sendonly/inactive/c=0.0.0.0). */
  hold: boolean;
}

export interface CallEnd {
  answered: boolean;
  /** Which leg ended it, `local` (drain, hangup) or `failed` before an answer. */
  by: 'a' | 'b' | 'local' | 'failed';
  /** The final status to A when the call did not come up. */
  status?: number;
  reason?: string;
}

export interface RecordingHook {
  onAnswer(ctx: RecordingCallContext): Promise<void> | void;
  onMediaChange(ctx: RecordingCallContext, change: MediaChange): Promise<void> | void;
  onEnd(ctx: RecordingCallContext, end: CallEnd): Promise<void> | void;
}

interface HookLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export type RecordingDecision = { record: true; reason: 'seller-recorded' } | { record: false; reason: 'unknown-tenant' | 'no-seller' | 'not-anchored' | 'seller-not-recorded' | 'policy-unavailable' | 'no-policy-store' };

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Decides whether the call is recorded (the seller on the tenant's list, via
 * `isRecorded` in Redis). Redis unavailable or slow → not recorded; the call goes on.
 */
export async function decideRecording(policy: Pick<RecordingPolicy, 'isRecorded'> | undefined, ctx: RecordingCallContext, timeoutMs: number): Promise<RecordingDecision & { error?: string }> {
  if (!ctx.tenantId) return { record: false, reason: 'unknown-tenant' };
  if (!ctx.seller) return { record: false, reason: 'no-seller' };
  if (!ctx.media.anchored) return { record: false, reason: 'not-anchored' };
  if (!policy) return { record: false, reason: 'no-policy-store' };
  try {
    const yes = await withTimeout(policy.isRecorded(ctx.tenantId, ctx.seller.identity), timeoutMs, 'the recording policy lookup');
    return yes ? { record: true, reason: 'seller-recorded' } : { record: false, reason: 'seller-not-recorded' };
  } catch (err) {
    return { record: false, reason: 'policy-unavailable', error: err instanceof Error ? err.message : String(err) };
  }
}

/** The default hook until the recording session exists: decides with `isRecorded` and logs the decision only. */
export class DecisionLoggingHook implements RecordingHook {
  constructor(
    private readonly deps: { policy?: Pick<RecordingPolicy, 'isRecorded'>; logger: HookLogger; timeoutMs: number; onDecision?: (ctx: RecordingCallContext, d: RecordingDecision) => void },
  ) {}

  async onAnswer(ctx: RecordingCallContext): Promise<void> {
    const d = await decideRecording(this.deps.policy, ctx, this.deps.timeoutMs);
    this.deps.onDecision?.(ctx, d);
    const fields = { callId: ctx.callId, tenantId: ctx.tenantId, seller: ctx.seller?.identity, role: ctx.role, ...d };
    if (d.reason === 'policy-unavailable') this.deps.logger.warn(fields, 'recording decision: policy unavailable, not recording (the call goes on)');
    else this.deps.logger.info(fields, `recording decision: ${d.record ? 'record' : 'do not record'}`);
  }

  onMediaChange(ctx: RecordingCallContext, change: MediaChange): void {
    this.deps.logger.debug({ callId: ctx.callId, ...change, anchored: ctx.media.anchored }, 'media changed');
  }

  onEnd(ctx: RecordingCallContext, end: CallEnd): void {
    this.deps.logger.debug({ callId: ctx.callId, ...end }, 'call ended (recording hook)');
  }
}

export interface SafeHookStats {
  pending: number;
  failed: number;
  timedOut: number;
  dropped: number;
}

/**
 * Runs a RecordingHook detached from the call: fire-and-forget, every error
 * caught and logged, each invocation bounded in time (the call stops waiting;
 * it never waited) and the number in flight bounded (beyond it, invocations
 * are dropped and counted rather than piling up).
 */
export class SafeRecordingHook {
  private readonly counts: SafeHookStats = { pending: 0, failed: 0, timedOut: 0, dropped: 0 };

  constructor(
    private readonly hook: RecordingHook,
    private readonly opts: { logger: HookLogger; timeoutMs: number; maxPending: number },
  ) {}

  get stats(): SafeHookStats {
    return { ...this.counts };
  }

  onAnswer(ctx: RecordingCallContext): void {
    this.fire('onAnswer', ctx, () => this.hook.onAnswer(ctx));
  }

  onMediaChange(ctx: RecordingCallContext, change: MediaChange): void {
    this.fire('onMediaChange', ctx, () => this.hook.onMediaChange(ctx, change));
  }

  onEnd(ctx: RecordingCallContext, end: CallEnd): void {
    this.fire('onEnd', ctx, () => this.hook.onEnd(ctx, end));
  }

  private fire(name: string, ctx: RecordingCallContext, fn: () => Promise<void> | void): void {
    if (this.counts.pending >= this.opts.maxPending) {
      this.counts.dropped++;
      this.opts.logger.warn({ callId: ctx.callId, hook: name, pending: this.counts.pending }, 'recording hook dropped: too many in flight');
      return;
    }
    this.counts.pending++;
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      this.counts.timedOut++;
      this.opts.logger.warn({ callId: ctx.callId, hook: name, timeoutMs: this.opts.timeoutMs }, 'recording hook is slow; the call did not wait for it');
    }, this.opts.timeoutMs);
    timer.unref();
    const done = (err?: unknown) => {
      settled = true;
      clearTimeout(timer);
      this.counts.pending--;
      if (err !== undefined) {
        this.counts.failed++;
        this.opts.logger.warn({ callId: ctx.callId, hook: name, err: err instanceof Error ? err.message : String(err) }, 'recording hook failed; the call goes on');
      }
    };
    let result: Promise<void> | void;
    try {
      result = fn();
    } catch (err) {
      done(err ?? new Error('hook threw'));
      return;
    }
    Promise.resolve(result).then(
      () => done(),
      (err: unknown) => done(err ?? new Error('hook rejected')),
    );
  }
}
