import type { SipRequest } from '../message/types';
import { Emitter } from '../transaction/emitter';
import type { InboundSource } from '../transaction/ports';
import type { ServerTransaction } from '../transaction/server-transaction';
import { newTag } from '../message/build';
import type { DialogContext } from './context';
import { Dialog } from './dialog';
import { uasDialogData } from './dialog-data';
import { respondTo } from './messages';
import { formatSessionExpires, type UasDecision } from './session-timer';
import type { ResponseOptions } from './types';

export type IncomingInviteEvents = {
  /** The caller cancelled (RFC 3261 §9.2); the 487 is already sent. */
  cancel: [cancel: SipRequest];
};

export type IncomingInviteState = 'pending' | 'early' | 'accepted' | 'rejected' | 'cancelled';

/**
 * A dialog-creating INVITE we received (the UAS side, RFC 3261 §13.3): answer
 * it with `progress` (1xx, creating an early dialog), `accept` (2xx, the
 * dialog) or `reject`. One To tag is used for every response.
 */
export class IncomingInvite extends Emitter<IncomingInviteEvents> {
  readonly localTag = newTag();
  private current: IncomingInviteState = 'pending';
  private dlg?: Dialog;

  constructor(
    private readonly ctx: DialogContext,
    readonly transaction: ServerTransaction,
    private readonly timerDecision: UasDecision,
  ) {
    super();
    transaction.on('cancelled', (cancel) => {
      if (this.current !== 'pending' && this.current !== 'early') return;
      this.current = 'cancelled';
      this.dlg?.terminate({ cause: 'cancelled', request: cancel });
      this.emit('cancel', cancel);
    });
  }

  get request(): SipRequest {
    return this.transaction.request;
  }

  get source(): InboundSource {
    return this.transaction.source;
  }

  get state(): IncomingInviteState {
    return this.current;
  }

  /** The early or confirmed dialog, once a response with our tag went out. */
  get dialog(): Dialog | undefined {
    return this.dlg;
  }

  /** A provisional response (default 180). Above 100 it carries our tag and creates the early dialog (§12.1.1). */
  progress(status = 180, opts: ResponseOptions = {}): Dialog | undefined {
    if (status < 100 || status > 199) throw new Error('progress() sends 1xx responses');
    if (this.current !== 'pending' && this.current !== 'early') return this.dlg;
    if (status === 100) {
      this.transaction.respond(respondTo(this.request, 100, undefined, opts));
      return this.dlg;
    }
    const dialog = this.dialogFor('early');
    this.current = 'early';
    this.transaction.respond(this.response(status, opts, false));
    return dialog;
  }

  /**
   * Accepts the INVITE: the 2xx (default 200) with Contact, Record-Route,
   * session timer headers (RFC 4028 §9) and the body goes out and is
   * retransmitted until the ACK (§13.3.1.4). Returns the confirmed dialog.
   */
  accept(opts: ResponseOptions & { status?: number } = {}): Dialog {
    if (this.current !== 'pending' && this.current !== 'early') throw new Error(`cannot accept an INVITE that is ${this.current}`);
    const dialog = this.dialogFor('confirmed');
    this.current = 'accepted';
    const res = this.response(opts.status ?? 200, opts, true);
    dialog.confirmAsUas(this.request, res);
    if (this.timerDecision.kind === 'grant') dialog.sessionRefreshed(this.timerDecision.interval, this.timerDecision.localRefresher);
    this.transaction.respond(res);
    dialog.startUas2xx(this.transaction, res);
    return dialog;
  }

  /** Rejects with a 300–699 response; an early dialog ends. */
  reject(status: number, opts: ResponseOptions = {}): void {
    if (status < 300) throw new Error('reject() sends 300–699 responses');
    if (this.current !== 'pending' && this.current !== 'early') return;
    this.current = 'rejected';
    this.transaction.respond(respondTo(this.request, status, this.localTag, opts));
    this.dlg?.terminate({ cause: 'rejected' });
  }

  private dialogFor(state: 'early' | 'confirmed'): Dialog {
    if (this.dlg) return this.dlg;
    const data = uasDialogData(this.request, this.localTag, this.source);
    if (!data) throw new Error('the INVITE cannot create a dialog (no Contact or From tag)');
    const inbound: { address: string; port: number; connectionId?: string } = { ...this.source.remote };
    if (this.source.connectionId !== undefined) inbound.connectionId = this.source.connectionId;
    const dialog = new Dialog(this.ctx, {
      role: 'uas',
      data,
      state,
      transport: { protocol: this.source.protocol, inbound },
      remoteAllow: this.request.headers.getAll('Allow'),
    });
    this.ctx.register(dialog);
    // §15.1.2 for an early dialog: a BYE from the caller ends the INVITE with 487.
    dialog.on('terminated', (reason) => {
      if (reason.cause === 'bye-received' && (this.current === 'pending' || this.current === 'early')) {
        this.current = 'rejected';
        this.transaction.respond(respondTo(this.request, 487, this.localTag));
      }
    });
    this.dlg = dialog;
    return dialog;
  }

  /** A 1xx/2xx establishing the dialog (§12.1.1): Record-Route copied in order, Contact added. */
  private response(status: number, opts: ResponseOptions, final: boolean) {
    const headers: [string, string][] = this.request.headers.getAll('Record-Route').map((rr) => ['Record-Route', rr] as [string, string]);
    headers.push(['Contact', this.ctx.contact(this.source.protocol, this.dlg?.secure ?? false)]);
    if (final && this.timerDecision.kind === 'grant') {
      const t = this.timerDecision;
      headers.push(['Session-Expires', formatSessionExpires({ interval: t.interval, refresher: t.localRefresher ? 'uas' : 'uac' })]);
      if (t.requireTimer) headers.push(['Require', 'timer']);
    }
    headers.push(...(opts.headers ?? []));
    const res = respondTo(this.request, status, this.localTag, { ...opts, headers });
    if (final) this.ctx.decorate(res);
    return res;
  }
}
