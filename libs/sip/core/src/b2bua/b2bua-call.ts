import type { Dialog } from '../dialog/dialog';
import type { DialogLayer } from '../dialog/dialog-layer';
import type { IncomingInvite } from '../dialog/incoming-invite';
import type { OutgoingInvite } from '../dialog/outgoing-invite';
import type { TerminationReason } from '../dialog/types';
import { formatNameAddr, parseNameAddr } from '../message/header-values';
import type { SipResponse } from '../message/types';
import { Emitter } from '../transaction/emitter';
import type { Destination } from '../transaction/ports';
import { rewrite, type BodyRewriter, type Leg } from './body-rewrite';
import { relayInDialog } from './in-dialog-relay';
import { mapFailureStatus, reasonFor } from './status-mapping';

export interface B2buaTarget {
  /** Request-URI of the B leg. */
  uri: string;
  /** Its next hop. */
  dest: Destination;
  /** From of the B leg (no tag); default: A's From. */
  from?: string;
  /** To of the B leg; default `<uri>`. */
  to?: string;
  /** Extra headers for B's INVITE (X-AccountId, …). */
  headers?: [string, string][];
  /** In-dialog requests of the B leg go to `dest` too. */
  keepDestination?: boolean;
}

export interface B2buaOptions {
  target: B2buaTarget;
  /** Rewrites every body on its way (rtpengine offer/answer); undefined passes bodies unchanged. */
  rewriteBody?: BodyRewriter;
  /** A's final status when B fails. Default `mapFailureStatus`. */
  mapStatus?: (res: SipResponse) => number;
  /** Headers copied across for in-dialog requests and their responses. */
  relayHeaders?: string[];
  /** Headers copied from A's INVITE into B's. */
  copyInviteHeaders?: string[];
}

export type B2buaState = 'calling' | 'early' | 'answered' | 'failed' | 'ended';

export type B2buaEvents = {
  /** Both legs are up. */
  answered: [a: Dialog, b: Dialog];
  /** The call did not come up; `status` went to A. */
  failed: [status: number, bResponse: SipResponse | undefined];
  /** An answered call ended: which leg ended it (or `local` for hangup()) and why. */
  ended: [by: Leg | 'local', reason: TerminationReason | undefined];
  /** A failure no one else receives (rewrite hook threw, …). */
  error: [err: unknown, context: string];
};

const DEFAULT_RELAY_HEADERS = ['Content-Disposition', 'Info-Package', 'Event', 'Reason'];

/**
 * A back-to-back user agent call: the A leg is the incoming INVITE (our UAS
 * dialog), the B leg the INVITE we send to `target` (our UAC dialog).
 * Provisional and final responses of B go to A with A's own tag; CANCEL from A
 * cancels B; BYE on either side ends the other; in-dialog requests are relayed
 * both ways; every body passes the rewrite hook.
 */
export class B2buaCall extends Emitter<B2buaEvents> {
  private current: B2buaState = 'calling';
  private out?: OutgoingInvite;
  private aDialog?: Dialog;
  private bDialog?: Dialog;
  private queue: Promise<void> = Promise.resolve();
  private readonly relayHeaders: string[];

  constructor(
    private readonly ua: DialogLayer,
    readonly incoming: IncomingInvite,
    private readonly opts: B2buaOptions,
  ) {
    super();
    this.relayHeaders = opts.relayHeaders ?? DEFAULT_RELAY_HEADERS;
    incoming.on('cancel', () => {
      this.out?.cancel('SIP;cause=487;text="Caller cancelled"');
      this.finish('failed', 487, undefined);
    });
  }

  get state(): B2buaState {
    return this.current;
  }

  get a(): Dialog | undefined {
    return this.aDialog;
  }

  get b(): Dialog | undefined {
    return this.bDialog;
  }

  get bInvite(): OutgoingInvite | undefined {
    return this.out;
  }

  /** @internal sends B's INVITE. */
  async start(): Promise<void> {
    const req = this.incoming.request;
    const t = this.opts.target;
    let body: { body?: Buffer | string; contentType?: string };
    try {
      body = await rewrite(this.opts.rewriteBody, req, { from: 'a', to: 'b', method: 'INVITE', kind: 'request', sdpRole: 'offer' });
    } catch (err) {
      this.emit('error', err, 'rewriting the offer of A');
      this.incoming.reject(500);
      this.finish('failed', 500, undefined);
      return;
    }
    if (this.current !== 'calling') return; // A cancelled meanwhile
    const copied = (this.opts.copyInviteHeaders ?? []).flatMap((n) => req.headers.getAll(n).map((v) => [n, v] as [string, string]));
    const out = this.ua.invite({
      maxForwards: outgoingMaxForwards(req.headers.get('Max-Forwards')),
      uri: t.uri,
      dest: t.dest,
      from: t.from ?? untagged(req.headers.get('From') ?? '<sip:anonymous@anonymous.invalid>'),
      to: t.to ?? `<${t.uri}>`,
      headers: [...copied, ...(t.headers ?? [])],
      ...body,
      manualAck: req.body.length === 0, // A made no offer: B's 2xx offers, A's ACK answers
      ...(t.keepDestination ? { keepDestination: true } : {}),
    });
    this.out = out;
    out.on('provisional', (res) => this.serial(() => this.provisional(res)));
    out.on('answered', (dialog, res) => this.serial(() => this.answered(dialog, res)));
    out.on('failed', (res) => this.serial(async () => this.failed(res)));
  }

  /** Ends the call from our side: BYE both legs, or before the answer CANCEL B and `status` (default 480) to A. */
  hangup(status = 480): void {
    if (this.current === 'answered') {
      const [a, b] = [this.aDialog, this.bDialog];
      this.end('local', undefined); // first, so the legs' own terminations are not taken for a remote hangup
      void a?.bye();
      void b?.bye();
      return;
    }
    if (this.current === 'calling' || this.current === 'early') {
      this.out?.cancel();
      this.incoming.reject(status);
      this.finish('failed', status, undefined);
    }
  }

  private async provisional(res: SipResponse): Promise<void> {
    if (res.status === 100 || (this.current !== 'calling' && this.current !== 'early')) return;
    const body = await rewrite(this.opts.rewriteBody, res, { from: 'b', to: 'a', method: 'INVITE', kind: 'response', status: res.status, sdpRole: this.sdpRoleOfResponse() });
    if (this.current !== 'calling' && this.current !== 'early') return;
    this.current = 'early';
    this.incoming.progress(res.status, { ...body, reason: res.reason });
  }

  private async answered(b: Dialog, res: SipResponse): Promise<void> {
    if (this.current !== 'calling' && this.current !== 'early') {
      void b.bye(); // A went away while B answered (§9.1 race)
      return;
    }
    const body = await rewrite(this.opts.rewriteBody, res, { from: 'b', to: 'a', method: 'INVITE', kind: 'response', status: res.status, sdpRole: this.sdpRoleOfResponse() });
    if (this.incoming.state !== 'pending' && this.incoming.state !== 'early') {
      void b.bye();
      return;
    }
    const a = this.incoming.accept({ ...body, status: res.status });
    this.aDialog = a;
    this.bDialog = b;
    this.current = 'answered';
    this.wire(a, b);
    this.emit('answered', a, b);
  }

  private failed(res: SipResponse): void {
    if (this.current !== 'calling' && this.current !== 'early') return;
    const status = (this.opts.mapStatus ?? mapFailureStatus)(res);
    this.incoming.reject(status, { headers: [['Reason', reasonFor(res)]] });
    this.finish('failed', status, res);
  }

  private wire(a: Dialog, b: Dialog): void {
    const settings = { rewriteBody: this.opts.rewriteBody, relayHeaders: this.relayHeaders, onError: (err: unknown, ctx: string) => this.emit('error', err, ctx) };
    a.on('request', (req) => void relayInDialog(req, 'a', a, b, settings));
    b.on('request', (req) => void relayInDialog(req, 'b', b, a, settings));
    a.on('terminated', (reason) => this.legEnded('a', reason, b));
    b.on('terminated', (reason) => this.legEnded('b', reason, a));
    if (b.awaitingAck) {
      // Late offer: A's ACK carries the answer B's ACK needs.
      a.once('ack', (ack) => {
        rewrite(this.opts.rewriteBody, ack, { from: 'a', to: 'b', method: 'ACK', kind: 'request', sdpRole: 'answer' }).then(
          (body) => b.awaitingAck && b.ack(body),
          (err: unknown) => {
            this.emit('error', err, 'rewriting the answer in the ACK of A');
            if (b.awaitingAck) b.ack();
          },
        );
      });
    }
  }

  private legEnded(leg: Leg, reason: TerminationReason, other: Dialog): void {
    if (this.current !== 'answered') return;
    const headers: [string, string][] = reason.request?.headers.getAll('Reason').map((v) => ['Reason', v] as [string, string]) ?? [];
    this.end(leg, reason); // first: the other leg's termination below is our doing
    void other.bye({ headers });
  }

  private end(by: Leg | 'local', reason: TerminationReason | undefined): void {
    this.current = 'ended';
    this.emit('ended', by, reason);
    this.removeAllListeners();
  }

  private finish(state: 'failed', status: number, res: SipResponse | undefined): void {
    if (this.current !== 'calling' && this.current !== 'early') return;
    this.current = state;
    this.emit('failed', status, res);
    this.removeAllListeners();
  }

  /** RFC 3264: a body in B's response answers A's offer, or is the offer when A made none. */
  private sdpRoleOfResponse(): 'offer' | 'answer' {
    return this.incoming.request.body.length > 0 ? 'answer' : 'offer';
  }

  /** B's responses are relayed in order even though rewriting is asynchronous. */
  private serial(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((err: unknown) => {
      this.emit('error', err, 'relaying a response of B');
      if (this.current === 'calling' || this.current === 'early') {
        this.out?.cancel();
        this.incoming.reject(500);
        this.finish('failed', 500, undefined);
      }
    });
  }
}

/**
 * Bridges an incoming INVITE to a new B leg and returns the call. Typical use:
 * `ua.onInvite((inv) => bridge(ua, inv, { target: { uri, dest }, rewriteBody }))`.
 */
export function bridge(ua: DialogLayer, incoming: IncomingInvite, opts: B2buaOptions): B2buaCall {
  const call = new B2buaCall(ua, incoming, opts);
  void call.start();
  return call;
}

/** A's From for B's INVITE: as written, without A's tag (the dialog layer adds ours). */
function untagged(nameAddr: string): string {
  const gt = nameAddr.lastIndexOf('>');
  if (gt >= 0) return nameAddr.slice(0, gt + 1) + nameAddr.slice(gt + 1).replace(/;\s*tag\s*=\s*[^;]*/i, '');
  try {
    const na = parseNameAddr(nameAddr);
    delete na.params['tag'];
    return formatNameAddr(na);
  } catch {
    return nameAddr;
  }
}

/**
 * B's Max-Forwards: A's minus one (RFC 7332: a B2BUA passes the count on, so
 * that a loop through B2BUAs still ends in 483), 70 when A sent none (RFC 2543
 * peers). The caller refuses A's 0 with 483 before bridging.
 */
function outgoingMaxForwards(received: string | undefined): number {
  const n = received === undefined ? NaN : Number(received.trim());
  return Number.isInteger(n) && n >= 0 ? Math.max(0, n - 1) : 70;
}
