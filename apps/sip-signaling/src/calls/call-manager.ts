import { randomBytes } from 'node:crypto';
import { bridge, parseNameAddr, warningValue, type B2buaCall, type BodyRewriteContext, type BoundListener, type Destination, type DialogLayer, type IncomingInvite } from '@ci-connector/sip';
import type { UnknownTenantAction } from '../config/config';
import { isHoldSdp, isSdp, type MediaAnchor, type MediaSession } from '../media/media-anchor';
import type { RecordingCallContext, SafeRecordingHook } from '../recording/recording-hook';
import { chooseRoute, isOwnListener, RouteError } from '../routing/route';
import { checkInviteBody } from './offer-check';
import { resolveCallIdentity, type InviteView } from '../tenants/call-identity';
import type { TenantRules } from '../tenants/tenant-rules';

interface CallLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  child(bindings: Record<string, unknown>): CallLogger;
}

export interface CallManagerOptions {
  ua: DialogLayer;
  /** RFC 3263 resolution of a URI into next hops (the stack's `resolve`). */
  resolve: (uri: string) => Promise<Destination[]>;
  listeners: () => BoundListener[];
  advertisedHost?: string;
  rules: () => TenantRules;
  anchor: MediaAnchor;
  hook: Pick<SafeRecordingHook, 'onAnswer' | 'onMediaChange' | 'onEnd'>;
  logger: CallLogger;
  outboundProxy?: string;
  unknownTenant: UnknownTenantAction;
  dialerCallIdHeader?: string;
  copyHeaders: string[];
  maxCalls: number;
  retryAfterSeconds: number;
  /** A new call id when the dialer sent none (default: 32 hex digits, like the seed's Call-ID). */
  mintCallId?: () => string;
  /** Told of each INVITE refused before routing (metrics). */
  onRefused?: (reason: 'draining' | 'busy' | 'max_forwards' | 'bad_body' | 'unknown_tenant') => void;
}

export type CallState = 'routing' | 'calling' | 'early' | 'answered';

export interface CallSummary {
  callId: string;
  callIdSource: 'dialer' | 'minted';
  sipCallId: string;
  state: CallState;
  tenantId?: string;
  seller?: string;
  role?: string;
  anchored: boolean;
  startedAt: string;
  answeredAt?: string;
}

interface ActiveCall {
  ctx: RecordingCallContext;
  state: CallState;
  b2bua?: B2buaCall;
  media?: MediaSession;
  ended: Promise<void>;
  finish: () => void;
}

const defaultMint = () => randomBytes(16).toString('hex');

const ROUTE_WARNINGS: Record<number, string> = {
  404: 'not routed: no next hop for this call',
  416: 'not routed: the Request-URI scheme is not supported',
  482: 'not routed: the next hop is this service (a loop)',
};

/**
 * The B2BUA: takes every INVITE of the trunk, finds tenant and seller, routes
 * it, anchors its media and bridges it (libs/sip `bridge()`); tells the
 * recording hook what happens; refuses new calls while draining.
 */
export class CallManager {
  private readonly calls = new Map<string, ActiveCall>();
  private draining = false;
  private readonly mint: () => string;

  constructor(private readonly opts: CallManagerOptions) {
    this.mint = opts.mintCallId ?? defaultMint;
  }

  start(): void {
    this.opts.ua.onInvite((inv) => {
      this.handle(inv).catch((err: unknown) => {
        this.opts.logger.error({ err: err instanceof Error ? err.message : String(err), sipCallId: inv.request.headers.get('Call-ID') }, 'INVITE handling failed');
        if (inv.state === 'pending' || inv.state === 'early') inv.reject(500);
      });
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get size(): number {
    return this.calls.size;
  }

  list(): CallSummary[] {
    return [...this.calls.values()].map(({ ctx, state, b2bua }) => ({
      callId: ctx.callId,
      callIdSource: ctx.callIdSource,
      sipCallId: ctx.sipCallId,
      state: state === 'calling' && b2bua?.state === 'early' ? 'early' : state,
      ...(ctx.tenantId ? { tenantId: ctx.tenantId } : {}),
      ...(ctx.seller ? { seller: ctx.seller.identity } : {}),
      ...(ctx.role ? { role: ctx.role } : {}),
      anchored: ctx.media.anchored,
      startedAt: ctx.startedAt,
      ...(ctx.answeredAt ? { answeredAt: ctx.answeredAt } : {}),
    }));
  }

  /**
   * Stops taking calls (new INVITEs get 503 + Retry-After), waits for the calls
   * in progress to end, and after `graceMs` ends the rest (BYE both legs, or
   * CANCEL + 480 before an answer). Resolves once none is left.
   */
  async drain(graceMs: number): Promise<{ ended: number; forced: number }> {
    this.draining = true;
    const started = this.calls.size;
    this.opts.logger.info({ activeCalls: started, graceMs }, 'draining: refusing new calls, waiting for the calls in progress');
    const all = () => Promise.all([...this.calls.values()].map((c) => c.ended));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
    const outcome = await Promise.race([all().then(() => 'done' as const), grace]);
    clearTimeout(timer);
    let forced = 0;
    if (outcome === 'grace') {
      forced = this.calls.size;
      this.opts.logger.warn({ activeCalls: forced }, 'drain grace period over: ending the calls still up');
      for (const call of this.calls.values()) {
        if (call.b2bua) call.b2bua.hangup(480);
        else call.finish();
      }
      // The BYEs/CANCELs are on their way; the legs' answers are not waited for beyond a moment.
      await Promise.race([all(), new Promise((r) => setTimeout(r, 2000).unref())]);
      for (const call of this.calls.values()) call.finish();
    }
    this.opts.logger.info({ ended: started, forced }, 'drained');
    return { ended: started, forced };
  }

  private async handle(inv: IncomingInvite): Promise<void> {
    const req = inv.request;
    const o = this.opts;
    const sipCallId = req.headers.get('Call-ID') ?? '';
    if (this.draining) {
      o.onRefused?.('draining');
      inv.reject(503, { reason: 'Service Unavailable (draining)', headers: [['Retry-After', String(o.retryAfterSeconds)]] });
      return;
    }
    if (this.calls.size >= o.maxCalls) {
      o.logger.warn({ sipCallId, activeCalls: this.calls.size }, 'call refused: SIP_MAX_CALLS reached');
      o.onRefused?.('busy');
      inv.reject(503, { reason: 'Service Unavailable (busy)', headers: [['Retry-After', String(Math.min(o.retryAfterSeconds, 5))]] });
      return;
    }
    const maxForwards = req.headers.get('Max-Forwards');
    if (maxForwards !== undefined && Number(maxForwards.trim()) <= 0) {
      // RFC 3261 §16.3 item 3, RFC 7332: a B2BUA must not forward a request that has no hop left.
      o.logger.info({ sipCallId, source: `${inv.source.protocol}:${inv.source.remote.address}:${inv.source.remote.port}` }, 'call refused: Max-Forwards is 0');
      o.onRefused?.('max_forwards');
      inv.reject(483, { headers: [['Warning', warningValue('Max-Forwards is 0: the call cannot be forwarded')]] });
      return;
    }
    const bodyProblem = checkInviteBody(req.headers.get('Content-Type'), req.headers.get('Content-Encoding'), req.body);
    if (bodyProblem) {
      o.logger.info({ sipCallId, status: bodyProblem.status, problem: bodyProblem.problem, source: `${inv.source.protocol}:${inv.source.remote.address}:${inv.source.remote.port}` }, 'call refused: INVITE body not usable');
      o.onRefused?.('bad_body');
      inv.reject(bodyProblem.status, { headers: bodyProblem.headers });
      return;
    }

    const view: InviteView = {
      requestUri: req.uri,
      from: req.headers.get('From') ?? '',
      to: req.headers.get('To') ?? '',
      ...(req.headers.get('P-Asserted-Identity') !== undefined ? { pAssertedIdentity: req.headers.getAll('P-Asserted-Identity')[0] ?? '' } : {}),
      header: (name) => req.headers.get(name),
      sourceAddress: inv.source.remote.address,
    };
    const rules = o.rules();
    const identity = resolveCallIdentity(rules, view, o.dialerCallIdHeader ? { dialerCallIdHeader: o.dialerCallIdHeader } : {});
    const callId = identity.dialerCallId ?? this.mint();
    const log = o.logger.child({ callId, ...(identity.tenant ? { tenantId: identity.tenant.tenantId } : {}), sipCallId });

    if (!identity.tenant && o.unknownTenant !== 'relay') {
      const status = o.unknownTenant === 'reject-403' ? 403 : 404;
      log.info({ status, from: view.from, to: view.to, source: view.sourceAddress }, 'call refused: unknown tenant');
      o.onRefused?.('unknown_tenant');
      inv.reject(status, {
        reason: status === 403 ? 'Forbidden (unknown tenant)' : 'Not Found (unknown tenant)',
        headers: [['Warning', warningValue(`unknown tenant: no tenant rule matches this call (From ${view.from}, To ${view.to}, source ${view.sourceAddress})`)]],
      });
      return;
    }

    const aTag = fromTag(view.from) ?? sipCallId;
    const ctx: RecordingCallContext = {
      callId,
      callIdSource: identity.dialerCallId ? 'dialer' : 'minted',
      sipCallId,
      ...(identity.tenant ? { tenantId: identity.tenant.tenantId } : {}),
      ...(identity.seller ? { seller: identity.seller } : {}),
      ...(identity.role ? { role: identity.role } : {}),
      caller: identity.caller,
      callee: identity.callee,
      callerDisplayName: identity.callerDisplayName,
      calleeDisplayName: identity.calleeDisplayName,
      media: { rtpengineCallId: sipCallId, tags: { a: aTag, b: `${aTag}-b2b` }, anchored: false },
      startedAt: new Date().toISOString(),
    };
    let finish: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (finish = resolve));
    const call: ActiveCall = { ctx, state: 'routing', ended, finish: () => finish() };
    const key = `${sipCallId}\n${aTag}`;
    if (this.calls.has(key)) {
      inv.reject(482);
      return;
    }
    this.calls.set(key, call);
    let closed = false;
    const close = (end: Parameters<SafeRecordingHook['onEnd']>[1]) => {
      if (closed) return;
      closed = true;
      this.calls.delete(key);
      if (call.media) {
        ctx.media = call.media.info();
        void call.media.close();
      }
      o.hook.onEnd(ctx, end);
      log.info({ ...end, durationMs: Date.now() - Date.parse(ctx.startedAt) }, end.answered ? 'call ended' : 'call not connected');
      finish();
    };
    call.finish = () => close({ answered: call.state === 'answered', by: 'local', reason: 'drain' });
    inv.on('cancel', () => {
      if (!call.b2bua) close({ answered: false, by: 'failed', status: 487, reason: 'cancelled' });
    });

    log.info(
      { tenant: identity.tenant?.matchedBy ?? 'unknown', seller: identity.seller?.identity, role: identity.role, caller: identity.callerDisplayName, callee: identity.calleeDisplayName, source: `${inv.source.protocol}:${view.sourceAddress}:${inv.source.remote.port}`, ...tlsSubject(inv.source.tlsPeer) },
      'call in',
    );

    // Route.
    let dest: Destination;
    let requestUri: string;
    try {
      const route = chooseRoute(req.uri, {
        ...(identity.tenant?.rule?.nextHop ? { tenantNextHop: identity.tenant.rule.nextHop } : {}),
        ...(o.outboundProxy ? { outboundProxy: o.outboundProxy } : {}),
      });
      requestUri = route.requestUri;
      let dests: Destination[];
      try {
        dests = await o.resolve(route.resolve);
      } catch (err) {
        throw new RouteError(404, `cannot resolve ${route.resolve}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const first = dests[0];
      if (!first) throw new RouteError(404, `no next hop for ${route.resolve}`);
      if (isOwnListener(first, o.listeners(), o.advertisedHost)) throw new RouteError(482, `the next hop ${first.host}:${first.port} is this service (${route.via})`);
      dest = first;
      log.debug({ via: route.via, requestUri, dest }, 'routed');
    } catch (err) {
      const status = err instanceof RouteError ? err.status : 500;
      log.warn({ status, err: err instanceof Error ? err.message : String(err) }, 'call not routed');
      // The caller learns what kind of route problem it is; the details (next hops, DNS) stay in the log.
      const said = ROUTE_WARNINGS[status];
      if (inv.state === 'pending') inv.reject(status, err instanceof RouteError && said ? { headers: [['Warning', warningValue(said)]] } : {});
      close({ answered: false, by: 'failed', status, reason: 'no route' });
      return;
    }
    if (inv.state !== 'pending' || closed) {
      close({ answered: false, by: 'failed', status: 487, reason: 'cancelled' });
      return;
    }

    // Media and bridge.
    const media = o.anchor.open({
      rtpengineCallId: sipCallId,
      aTag,
      onUnanchored: (reason) => {
        ctx.media = media.info();
        log.warn({ reason }, 'media not anchored: SDP passes through unchanged, the call is not recordable');
      },
    });
    call.media = media;
    ctx.media = media.info();
    let pendingOffer: { by: 'a' | 'b'; method: string; hold: boolean } | undefined;
    const rewriteBody = async (b: BodyRewriteContext) => {
      const out = await media.rewrite(b);
      ctx.media = media.info();
      if (isSdp(b.contentType) && call.state === 'answered') {
        if (b.sdpRole === 'offer') pendingOffer = { by: b.from, method: b.method, hold: isHoldSdp(b.body.toString('utf8')) };
        else if (b.sdpRole === 'answer' && pendingOffer) {
          o.hook.onMediaChange(ctx, { offeredBy: pendingOffer.by, method: pendingOffer.method, hold: pendingOffer.hold });
          pendingOffer = undefined;
        }
      }
      return out;
    };
    const copy = new Map<string, string>();
    for (const h of [...o.copyHeaders, identity.tenant?.rule?.sellerHeader, identity.tenant?.rule?.dialerCallIdHeader ?? o.dialerCallIdHeader, rules.tenantHeader]) {
      if (h) copy.set(h.toLowerCase(), h);
    }
    const b2bua = bridge(o.ua, inv, { target: { uri: requestUri, dest }, rewriteBody, copyInviteHeaders: [...copy.values()] });
    call.b2bua = b2bua;
    call.state = 'calling';
    b2bua.on('answered', () => {
      call.state = 'answered';
      ctx.answeredAt = new Date().toISOString();
      ctx.media = media.info();
      log.info({ anchored: ctx.media.anchored }, 'call answered');
      o.hook.onAnswer(ctx);
    });
    b2bua.on('failed', (status, res) => close({ answered: false, by: 'failed', status, ...(res ? { reason: `${res.status} ${res.reason}` } : {}) }));
    b2bua.on('ended', (by, reason) => close({ answered: true, by, ...(reason?.cause ? { reason: reason.cause } : {}) }));
    b2bua.on('error', (err, context) => log.warn({ err: err instanceof Error ? err.message : String(err), context }, 'B2BUA error'));
  }
}

function fromTag(from: string): string | undefined {
  try {
    const tag = parseNameAddr(from).params['tag'];
    return typeof tag === 'string' && tag !== '' ? tag : undefined;
  } catch {
    return undefined;
  }
}

/** The TLS client certificate's subject (the transport's TlsPeerInfo, opaque to sip-core), for the log. */
function tlsSubject(peer: unknown): { tlsPeer?: string } {
  const subject = typeof peer === 'object' && peer !== null ? (peer as { subject?: unknown }).subject : undefined;
  return typeof subject === 'string' ? { tlsPeer: subject } : {};
}
