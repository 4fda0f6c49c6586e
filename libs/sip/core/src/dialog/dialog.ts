import { parseUri } from '../message/uri';
import type { SipRequest, SipResponse } from '../message/types';
import { Emitter } from '../transaction/emitter';
import { cseqOf } from '../transaction/message-info';
import type { Destination, TimerHandle } from '../transaction/ports';
import type { ServerTransaction } from '../transaction/server-transaction';
import { syntheticResponse } from '../transaction/synthetic';
import type { DialogContext, DialogTransport } from './context';
import { confirmUacData, dialogKey, type DialogData } from './dialog-data';
import { handleInDialogRequest, type InDialogRequest } from './dialog-inbound';
import { OfferAnswerState, glareBackoffMs } from './glare';
import { applyOptions, bodyOf, respondTo, uriOfNameAddr } from './messages';
import { buildAck2xx, buildInDialogRequest } from './request-builder';
import { TwoXxRetransmitter } from './retransmit-2xx';
import { SessionTimer, decideAsUac, uacHeaders } from './session-timer';
import type { DialogId, DialogRole, DialogState, MessageOptions, RequestOptions, ResponseOptions, TerminationReason } from './types';

export type DialogEvents = {
  /** An early dialog got its 2xx (UAC) or an ACK-awaiting dialog was created (UAS). */
  confirmed: [];
  /** An in-dialog request for the application (re-INVITE, UPDATE, INFO, OPTIONS, NOTIFY, …). BYE is handled by the dialog. */
  request: [req: InDialogRequest];
  /** The ACK for our 2xx (initial or re-INVITE); its body is the answer when our 2xx carried the offer. */
  ack: [ack: SipRequest];
  /** A session refresh succeeded (RFC 4028), in either direction; the interval in seconds. */
  refreshed: [interval: number];
  terminated: [reason: TerminationReason];
};

export interface DialogInit {
  role: DialogRole;
  data: DialogData;
  state: 'early' | 'confirmed';
  transport: DialogTransport;
  /** Allow of the peer (from its INVITE or 2xx), to know whether it takes UPDATE. */
  remoteAllow?: string[];
}

export interface ModifyOptions extends MessageOptions {
  /** re-INVITE (default) or UPDATE (RFC 3311). */
  method?: 'INVITE' | 'UPDATE';
  /** How often to try again after a 491 (§14.1 back-off). Default 3; 0 relays the 491 to the caller. */
  glareRetries?: number;
  manualAck?: boolean;
}

interface Pending2xx {
  tx: ServerTransaction;
  res: SipResponse;
  cseq: number;
  retransmitter: TwoXxRetransmitter;
}

/**
 * A SIP dialog (RFC 3261 §12) with its session: in-dialog requests (§12.2),
 * re-INVITE and UPDATE with glare handling (§14, RFC 3311), the 2xx/ACK
 * exchange (§13.2.2.4, §13.3.1.4), BYE (§15) and session timers (RFC 4028).
 * Created by the DialogLayer (outgoing or incoming INVITE); never directly.
 */
export class Dialog extends Emitter<DialogEvents> {
  readonly role: DialogRole;
  /** The last body we sent in an offer or answer (for a refresh re-INVITE) and the last one received. */
  localBody?: { body: Buffer; contentType: string };
  remoteBody?: { body: Buffer; contentType: string };
  /** @internal offer/answer bookkeeping, used by the inbound handler. */
  readonly oa = new OfferAnswerState();
  /** @internal */
  readonly timer: SessionTimer;
  /** @internal the re-INVITE we received and have not answered finally. */
  pendingInvite?: ServerTransaction;
  private current: DialogState;
  private remoteAllow: string[];
  private pending2xx?: Pending2xx;
  private manualAck?: SipRequest;
  private lastAck?: { cseq: number; ack: SipRequest; dest?: Destination };
  private readonly sleeps = new Map<TimerHandle, () => void>();

  constructor(
    /** @internal */ readonly ctx: DialogContext,
    private readonly init: DialogInit,
  ) {
    super();
    this.role = init.role;
    this.current = init.state;
    this.remoteAllow = init.remoteAllow ?? [];
    this.timer = new SessionTimer(
      ctx.timers,
      () => this.refreshSession(),
      () => void this.endWithBye('session-expired', [['Reason', 'SIP;cause=408;text="Session expired"']]),
    );
  }

  /** @internal */
  /** The transport the dialog was created over: protocol, and for a UAS the source (with its stream connection). */
  get flow(): DialogTransport {
    return this.init.transport;
  }

  get data(): DialogData {
    return this.init.data;
  }

  get id(): DialogId {
    return { callId: this.data.callId, localTag: this.data.localTag, remoteTag: this.data.remoteTag };
  }

  get key(): string {
    return dialogKey(this.id);
  }

  get state(): DialogState {
    return this.current;
  }

  get callId(): string {
    return this.data.callId;
  }

  get remoteTarget(): string {
    return this.data.remoteTarget;
  }

  get routeSet(): readonly string[] {
    return this.data.routeSet;
  }

  get localSeq(): number {
    return this.data.localSeq;
  }

  get remoteSeq(): number | undefined {
    return this.data.remoteSeq;
  }

  get secure(): boolean {
    return this.data.secure;
  }

  /** The running session timer (RFC 4028): interval in seconds and whether we refresh. */
  get sessionTimer(): { interval: number; localRefresher: boolean } | undefined {
    return this.timer.active;
  }

  /**
   * Sends a request in the dialog (RFC 3261 §12.2.1.1) and resolves with its
   * final response — a synthetic 408 on timeout, 503 on transport error, 491
   * when an INVITE or offer is already open in the dialog (§14.1). A 481 or a
   * timeout ends the dialog (§12.2.1.2). For INVITE the ACK is sent (unless
   * `manualAck`), and session timer headers are added to INVITE and UPDATE.
   */
  async request(method: string, opts: RequestOptions = {}): Promise<SipResponse> {
    if (method === 'ACK' || method === 'CANCEL') throw new Error(`${method} is not sent with request()`);
    if (this.current === 'terminated') throw new Error('the dialog has terminated');
    if (method === 'BYE') {
      const res = await this.bye(opts);
      if (!res) throw new Error('the callee must not send BYE in an early dialog (RFC 3261 §15): reject the INVITE');
      return res;
    }
    const hasOffer = opts.body !== undefined && Buffer.byteLength(opts.body) > 0;
    const built = buildInDialogRequest(this.data, method, this.data.localSeq + 1, this.ctx.contact(this.init.transport.protocol, this.data.secure));
    const req = built.request;
    if (method === 'INVITE' && (this.oa.inviteOut || this.oa.inviteIn)) return syntheticResponse(req, 491);
    if ((method === 'INVITE' || method === 'UPDATE') && hasOffer && (this.oa.offerOut || this.oa.offerIn)) return syntheticResponse(req, 491);
    this.data.localSeq++;
    this.ctx.decorate(req);
    if ((method === 'INVITE' || method === 'UPDATE') && this.ctx.sessionTimer) {
      const active = this.timer.active;
      const interval = active?.interval ?? this.ctx.sessionTimer.interval;
      const refresher = active ? (active.localRefresher ? 'uac' : 'uas') : undefined;
      for (const [n, v] of uacHeaders(interval, this.ctx.sessionTimer.minSE, refresher)) req.headers.append(n, v);
    }
    applyOptions(req, opts);
    if (method === 'INVITE') this.oa.inviteOut = true;
    const previousLocal = this.localBody;
    if (hasOffer) {
      this.oa.offerOut = true;
      this.localBody = bodyOf(req);
    } else if (method === 'INVITE') {
      this.oa.offerIn = true; // the offer will come in the 2xx, our answer in the ACK
    }
    let dest: Destination;
    try {
      dest = await this.nextHop(built.nextHop);
    } catch (err) {
      this.ctx.report(err, `resolving ${built.nextHop}`);
      this.settleOffer(method, hasOffer, undefined);
      if (hasOffer) this.localBody = previousLocal;
      return this.afterFinal(req, syntheticResponse(req, 503));
    }
    const tx = this.ctx.transactions.request(req, dest);
    if (method === 'INVITE') tx.on('final', (r) => this.receive2xx(r));
    const res = await tx.result;
    this.settleOffer(method, hasOffer, res);
    if (hasOffer && (res.status < 200 || res.status >= 300)) this.localBody = previousLocal; // §14.1: a failed offer changes nothing
    if (method === 'INVITE' && res.status >= 200 && res.status < 300) {
      if (opts.manualAck) this.manualAck = req;
      else this.sendAck(req, {});
    }
    return this.afterFinal(req, res);
  }

  /**
   * Changes the session (RFC 3261 §14, RFC 3311): sends the offer in a
   * re-INVITE or UPDATE; after a 491 waits the §14.1 back-off and tries again.
   */
  async modify(body: Buffer | string, opts: ModifyOptions = {}): Promise<SipResponse> {
    const method = opts.method ?? 'INVITE';
    const retries = opts.glareRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const res = await this.request(method, { ...opts, body, contentType: opts.contentType ?? 'application/sdp' });
      if (res.status !== 491 || attempt >= retries || this.ended()) return res;
      await this.sleep(glareBackoffMs(this.role === 'uac', this.ctx.random));
      if (this.ended()) return res;
    }
  }

  /**
   * Ends the dialog with BYE (§15.1.1): the session is over as soon as the BYE
   * is sent. The promise gives the BYE's response. A UAS early dialog cannot be
   * ended this way (reject the INVITE instead): undefined.
   */
  async bye(opts: MessageOptions = {}): Promise<SipResponse | undefined> {
    return this.endWithBye('bye-sent', opts.headers ?? [], opts);
  }

  /** Sends the ACK held back by `manualAck`, with the answer when the 2xx carried the offer. */
  ack(opts: MessageOptions = {}): void {
    const invite = this.manualAck;
    if (!invite) throw new Error('no 2xx is waiting for an ACK');
    this.manualAck = undefined;
    this.sendAck(invite, opts);
  }

  /** True while a 2xx we received waits for `ack()`. */
  get awaitingAck(): boolean {
    return this.manualAck !== undefined;
  }

  /** @internal UAC: the INVITE's 2xx confirms this dialog (§13.2.2.4). */
  confirmAsUac(invite: SipRequest, res: SipResponse, manualAck: boolean): void {
    if (this.current === 'early') confirmUacData(this.data, res);
    const wasEarly = this.current === 'early';
    this.current = 'confirmed';
    this.remoteAllow = res.headers.getAll('Allow');
    this.remoteBody = bodyOf(res) ?? this.remoteBody;
    this.localBody = bodyOf(invite) ?? this.localBody;
    if (invite.body.length === 0) this.oa.offerIn = true;
    if (this.ctx.sessionTimer) this.applyUacTimer(res);
    if (manualAck) this.manualAck = invite;
    else this.sendAck(invite, {});
    if (wasEarly) this.emit('confirmed');
  }

  /** @internal UAS: our 2xx to the dialog-creating INVITE went out (§12.1.1: the dialog is confirmed from then on). */
  confirmAsUas(invite: SipRequest, res: SipResponse): void {
    const wasEarly = this.current === 'early';
    this.current = 'confirmed';
    this.oa.inviteIn = true; // until the ACK
    if (invite.body.length > 0) this.remoteBody = bodyOf(invite);
    else if (res.body.length > 0) this.oa.offerOut = true; // our offer, answered in the ACK
    if (res.body.length > 0) this.localBody = bodyOf(res);
    if (wasEarly) this.emit('confirmed');
  }

  /** @internal UAC: a 2xx to an INVITE of ours arrived again (retransmission): ACK it again (§13.2.2.4). */
  receive2xx(res: SipResponse): void {
    if (res.status < 200 || res.status >= 300) return;
    const seq = cseqOf(res)?.seq;
    const last = this.lastAck;
    if (last?.dest && seq === last.cseq) this.ctx.transactions.send(last.ack, last.dest);
  }

  /** @internal UAS: our 2xx to an INVITE goes out again until the ACK (§13.3.1.4); none after 64*T1 → BYE. */
  startUas2xx(tx: ServerTransaction, res: SipResponse): void {
    this.pending2xx?.retransmitter.stop();
    const cfg = this.ctx.transactions.config;
    const retransmitter = new TwoXxRetransmitter(
      this.ctx.timers,
      cfg,
      () => {
        // RFC 6026 §7.1: through the transaction while it is Accepted, then straight to the transport.
        if (!tx.respond(res)) this.ctx.transactions.send(res, tx.responseDestination);
      },
      () => {
        this.pending2xx = undefined;
        void this.endWithBye('ack-timeout', []);
      },
    );
    this.pending2xx = { tx, res, cseq: cseqOf(res)?.seq ?? 0, retransmitter };
    retransmitter.start();
  }

  /** @internal an ACK with our dialog id. */
  receiveAck(ack: SipRequest): void {
    const pending = this.pending2xx;
    if (!pending || cseqOf(ack)?.seq !== pending.cseq) return; // a retransmitted ACK, or a stale one
    pending.retransmitter.stop();
    this.pending2xx = undefined;
    this.oa.inviteIn = false;
    // Our 2xx offered: the ACK answers (without a body it is a protocol error, but the exchange is over either way).
    if (this.oa.offerOut) {
      this.oa.offerOut = false;
      this.remoteBody = bodyOf(ack) ?? this.remoteBody;
    }
    this.emit('ack', ack);
  }

  /** @internal a request that carries this dialog's id (§12.2.2). */
  receiveRequest(tx: ServerTransaction): void {
    handleInDialogRequest(this, tx);
  }

  /** @internal a refresh (INVITE or UPDATE 2xx) succeeded. */
  sessionRefreshed(interval: number, localRefresher: boolean): void {
    this.timer.start(interval, localRefresher);
    this.emit('refreshed', interval);
  }

  /** @internal emits an in-dialog request to listeners; false when there is none. */
  deliver(req: InDialogRequest): boolean {
    return this.emit('request', req);
  }

  /** @internal whether the peer said it takes UPDATE. */
  get peerAllowsUpdate(): boolean {
    return this.remoteAllow.some((v) => v.split(',').some((m) => m.trim().toUpperCase() === 'UPDATE'));
  }

  /**
   * @internal Ends the dialog without sending anything (BYE received, early
   * dialog of a failed INVITE, 481).
   */
  terminate(reason: TerminationReason): void {
    if (this.current === 'terminated') return;
    this.current = 'terminated';
    this.timer.stop();
    this.pending2xx?.retransmitter.stop();
    this.pending2xx = undefined;
    const pendingInvite = this.pendingInvite;
    this.pendingInvite = undefined;
    // §15.1.2: requests still pending in the dialog are answered, 487 recommended.
    if (pendingInvite && pendingInvite.state === 'proceeding') pendingInvite.respond(this.responseFor(pendingInvite.request, 487));
    for (const [handle, wake] of this.sleeps) {
      this.ctx.timers.clearTimer(handle);
      wake();
    }
    this.sleeps.clear();
    this.ctx.unregister(this);
    this.emit('terminated', reason);
    this.removeAllListeners();
  }

  /** @internal a response in this dialog with our tag. */
  responseFor(req: SipRequest, status: number, opts: ResponseOptions = {}): SipResponse {
    return respondTo(req, status, this.data.localTag, opts);
  }

  /** @internal a target refresh (§12.2): the Contact of a request we accepted or of a 2xx we received. */
  refreshTarget(msg: SipRequest | SipResponse): void {
    const target = uriOfNameAddr(msg.headers.getAll('Contact')[0]);
    if (target) this.data.remoteTarget = target;
  }

  private afterFinal(req: SipRequest, res: SipResponse): SipResponse {
    const method = req.method;
    if (method === 'INVITE' || method === 'UPDATE') {
      if (res.status >= 200 && res.status < 300) {
        this.refreshTarget(res);
        if (res.headers.has('Allow')) this.remoteAllow = res.headers.getAll('Allow');
        if (this.ctx.sessionTimer && this.current !== 'terminated') this.applyUacTimer(res);
      }
    }
    // §12.2.1.2: 481 or no response at all ends the dialog.
    if ((res.status === 481 || res.status === 408) && method !== 'BYE' && this.current !== 'terminated') {
      if (res.status === 408) void this.endWithBye('request-failed', [], {}, res);
      else this.terminate({ cause: 'request-failed', response: res });
    }
    return res;
  }

  private applyUacTimer(res: SipResponse): void {
    const decided = decideAsUac(res);
    if (decided) this.sessionRefreshed(decided.interval, decided.localRefresher);
    else this.timer.stop();
  }

  /** Offer/answer bookkeeping once our INVITE or UPDATE has its final response. */
  private settleOffer(method: string, hadOffer: boolean, res: SipResponse | undefined): void {
    const ok = res !== undefined && res.status >= 200 && res.status < 300;
    if (method === 'INVITE') this.oa.inviteOut = false;
    if (hadOffer) this.oa.offerOut = false;
    if (ok && res.body.length > 0) this.remoteBody = bodyOf(res);
    if (method === 'INVITE' && !hadOffer && !ok) this.oa.offerIn = false;
  }

  /** The ACK for a 2xx (§13.2.2.4): built and routed like any request in the dialog, sent outside any transaction. */
  private sendAck(invite: SipRequest, opts: MessageOptions): void {
    const built = buildAck2xx(this.data, invite);
    applyOptions(built.request, opts);
    if (built.request.body.length > 0) this.localBody = bodyOf(built.request);
    this.oa.offerIn = false;
    const record: { cseq: number; ack: SipRequest; dest?: Destination } = { cseq: cseqOf(invite)?.seq ?? 0, ack: built.request };
    this.lastAck = record;
    this.nextHop(built.nextHop).then(
      (dest) => {
        record.dest = dest;
        this.ctx.transactions.send(built.request, dest);
      },
      (err: unknown) => this.ctx.report(err, 'resolving the ACK destination'),
    );
  }

  private async endWithBye(cause: TerminationReason['cause'], headers: [string, string][], opts: MessageOptions = {}, response?: SipResponse): Promise<SipResponse | undefined> {
    if (this.current === 'terminated') return undefined;
    if (this.current === 'early' && this.role === 'uas') return undefined; // §15: the callee must not BYE an early dialog
    const built = buildInDialogRequest(this.data, 'BYE', ++this.data.localSeq);
    this.ctx.decorate(built.request);
    applyOptions(built.request, { ...opts, headers });
    const reason: TerminationReason = { cause };
    if (response) reason.response = response;
    this.terminate(reason);
    try {
      const dest = await this.nextHop(built.nextHop);
      return await this.ctx.transactions.request(built.request, dest).result;
    } catch (err) {
      this.ctx.report(err, 'sending BYE');
      return syntheticResponse(built.request, 503);
    }
  }

  private refreshSession(): void {
    const cfg = this.ctx.sessionTimer;
    if (!cfg || this.current !== 'confirmed') return;
    // Something else is already changing the session; its 2xx refreshes it (RFC 4028 §10).
    if (this.oa.inviteOut || this.oa.inviteIn || this.oa.offerOut || this.oa.offerIn) return;
    const useUpdate = cfg.refreshMethod === 'UPDATE' || (cfg.refreshMethod === 'auto' && this.peerAllowsUpdate) || !this.localBody;
    const attempt = useUpdate ? this.request('UPDATE') : this.modify(this.localBody?.body ?? '', { contentType: this.localBody?.contentType ?? 'application/sdp' });
    attempt.catch((err: unknown) => this.ctx.report(err, 'session refresh'));
  }

  private async nextHop(uri: string): Promise<Destination> {
    const t = this.init.transport;
    if (t.outboundProxy) return t.outboundProxy;
    const inbound = t.inbound;
    if (inbound && this.ctx.reuseInboundFlow && this.data.routeSet.length === 0) {
      const dest: Destination = { protocol: t.protocol, host: inbound.address, port: inbound.port };
      if (inbound.connectionId !== undefined) dest.connectionId = inbound.connectionId;
      return dest;
    }
    const dest = await this.ctx.resolver.resolve(parseUri(uri));
    if (inbound?.connectionId !== undefined && dest.protocol === t.protocol && dest.host === inbound.address) return { ...dest, connectionId: inbound.connectionId };
    return dest;
  }

  private ended(): boolean {
    return this.current === 'terminated';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.ctx.timers.setTimer(ms, () => {
        this.sleeps.delete(handle);
        resolve();
      });
      this.sleeps.set(handle, resolve);
    });
  }
}
