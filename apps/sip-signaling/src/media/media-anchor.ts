import type { BodyRewriteContext, BodyRewrite } from '@ci-connector/sip';
import type { Rtpengine } from '@ci-connector/rtpengine';

/**
 * Media anchoring: every SDP of a call passes through rtpengine, so the media
 * flows through it and can later be forked to the recorder.
 *
 * Failure policy (documented in the README): rtpengine must never fail a call.
 * When an offer or answer cannot be anchored (rtpengine down, timeout, error
 * reply), that SDP passes through unchanged, the session turns `passthrough`
 * for the rest of the call (every later SDP passes unchanged too, so both
 * sides end up with each other's real addresses at the next offer/answer) and
 * the call is marked not recordable. The call itself goes on.
 */
export type Side = 'a' | 'b';

export const otherSide = (s: Side): Side => (s === 'a' ? 'b' : 'a');

export interface MediaSessionInfo {
  /** The rtpengine call id (the A leg's Call-ID). */
  rtpengineCallId: string;
  /** The rtpengine tag of each side: `a` the caller's, `b` the callee's (for `subscribe request` and `media-labels`). */
  tags: Record<Side, string>;
  /** True while every SDP so far went through rtpengine. */
  anchored: boolean;
  /** Why the session stopped anchoring. */
  unanchoredReason?: string;
}

export interface MediaSession {
  info(): MediaSessionInfo;
  /** The `rewriteBody` hook of `bridge()`: never throws. */
  rewrite(ctx: BodyRewriteContext): Promise<BodyRewrite>;
  /** Frees the call in rtpengine (idempotent, never throws). */
  close(): Promise<void>;
}

export interface MediaAnchorHealth {
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

export interface MediaAnchor {
  open(call: { rtpengineCallId: string; aTag: string; onUnanchored?: (reason: string) => void }): MediaSession;
  health(): Promise<MediaAnchorHealth>;
  close(): Promise<void>;
}

/** What this app needs of the rtpengine library (`createRtpengine` of `@ci-connector/rtpengine`). */
export type RtpengineControl = Pick<Rtpengine, 'offer' | 'answer' | 'delete' | 'ping' | 'close'>;

export function isSdp(contentType: string): boolean {
  return /^\s*application\/sdp\s*(;|$)/i.test(contentType);
}

/** The SDP puts the call on hold: sendonly/inactive (RFC 3264 §8.4), or the RFC 2543 c=0.0.0.0. */
export function isHoldSdp(sdp: string): boolean {
  return /^a=(sendonly|inactive)\s*$/im.test(sdp) || /^c=IN IP4 0\.0\.0\.0\s*$/im.test(sdp);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
}

/** Bounds a promise: the rtpengine library has its own timeout; this one guards against a library that never settles. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface RtpengineAnchorOptions {
  /** How long one ng command may take before the SDP passes through un-anchored. */
  timeoutMs: number;
  onError?: (err: unknown, context: { rtpengineCallId: string; command: string }) => void;
}

/** The MediaAnchor on rtpengine's ng protocol. */
export function createRtpengineAnchor(control: RtpengineControl, opts: RtpengineAnchorOptions): MediaAnchor {
  const guard = opts.timeoutMs + 500;
  return {
    open({ rtpengineCallId, aTag, onUnanchored }) {
      const tags: Record<Side, string> = { a: aTag, b: `${aTag}-b2b` };
      let anchored = true;
      let reason: string | undefined;
      let closed = false;
      const unanchor = (why: string) => {
        if (!anchored) return;
        anchored = false;
        reason = why;
        onUnanchored?.(why);
      };
      return {
        info: () => ({ rtpengineCallId, tags: { ...tags }, anchored, ...(reason ? { unanchoredReason: reason } : {}) }),
        async rewrite(ctx) {
          if (!anchored || closed || ctx.sdpRole === 'none' || !isSdp(ctx.contentType)) return undefined;
          const sdp = ctx.body.toString('utf8');
          const command = ctx.sdpRole;
          try {
            // An offer from side X: from-tag X (to-tag the other side, for re-offers). An answer from side X
            // answers the other side's offer: from-tag is the offerer's, to-tag X's (rtpengine ng semantics).
            const res =
              command === 'offer'
                ? await bounded(control.offer({ callId: rtpengineCallId, fromTag: tags[ctx.from], sdp, iceRemove: true, ...(isReOffer(ctx) ? { extra: { 'to-tag': tags[otherSide(ctx.from)] } } : {}) }), guard, 'rtpengine offer')
                : await bounded(control.answer({ callId: rtpengineCallId, fromTag: tags[otherSide(ctx.from)], toTag: tags[ctx.from], sdp, iceRemove: true }), guard, 'rtpengine answer');
            if (typeof res?.sdp !== 'string' || res.sdp.length === 0) throw new Error(`rtpengine ${command} returned no SDP`);
            return { body: res.sdp };
          } catch (err) {
            opts.onError?.(err, { rtpengineCallId, command });
            unanchor(`rtpengine ${command} failed: ${describe(err)}`);
            return undefined;
          }
        },
        async close() {
          if (closed) return;
          closed = true;
          try {
            // `delete delay` 0: rtpengine otherwise keeps a deleted call, and its 8 ports per recorded call,
            // for its delete-delay (30 s by default): at 150 calls/s that held every port of the range and
            // new calls could no longer be anchored. Nothing here asks about a call after deleting it.
            await bounded(control.delete({ callId: rtpengineCallId, extra: { 'delete delay': 0 } }), guard, 'rtpengine delete');
          } catch (err) {
            opts.onError?.(err, { rtpengineCallId, command: 'delete' });
          }
        },
      };
    },
    async health() {
      try {
        await bounded(control.ping(), guard, 'rtpengine ping');
        return { ok: true };
      } catch (err) {
        return { ok: false, error: describe(err) };
      }
    },
    async close() {
      await control.close();
    },
  };
}

/** Every offer but A's initial INVITE is a re-offer within an existing rtpengine call (both tags known). */
function isReOffer(ctx: BodyRewriteContext): boolean {
  return !(ctx.from === 'a' && ctx.kind === 'request' && ctx.method === 'INVITE' && !ctx.message.headers.get('To')?.match(/;\s*tag=/i));
}

/** No anchoring at all (RTPENGINE_ENABLED=false): SDP passes unchanged, calls are not recordable. */
export function createPassthroughAnchor(): MediaAnchor {
  return {
    open({ rtpengineCallId, aTag, onUnanchored }) {
      onUnanchored?.('rtpengine disabled');
      return {
        info: () => ({ rtpengineCallId, tags: { a: aTag, b: `${aTag}-b2b` }, anchored: false, unanchoredReason: 'rtpengine disabled' }),
        rewrite: async () => undefined,
        close: async () => undefined,
      };
    },
    health: async () => ({ ok: true, note: 'rtpengine disabled' }),
    close: async () => undefined,
  };
}
