import type { SipRequest, SipResponse } from '../message/types';
import type { ClientInviteTransaction } from '../transaction/client-invite';
import { Emitter } from '../transaction/emitter';
import { cseqOf, tagOf } from '../transaction/message-info';
import type { Destination } from '../transaction/ports';
import { syntheticResponse } from '../transaction/synthetic';
import type { DialogContext } from './context';
import { Dialog } from './dialog';
import { uacDialogData } from './dialog-data';
import { parseMinSE, parseSessionExpires } from './session-timer';

export type OutgoingInviteEvents = {
  /** A 1xx; with a To tag it created or belongs to an early dialog (§12.1.2). */
  provisional: [res: SipResponse, dialog: Dialog | undefined];
  /** The first 2xx: the call is up; the ACK is sent (unless manualAck). */
  answered: [dialog: Dialog, res: SipResponse];
  /** A 2xx from another fork (§13.2.2.4): a dialog of its own, ACKed; with `extraForks: 'bye'` also ended at once. */
  forked: [dialog: Dialog, res: SipResponse];
  /** The INVITE failed: the final response, or a synthetic 408 (timeout), 503 (transport error) or 487 (cancelled but answered). */
  failed: [res: SipResponse];
};

export type InviteOutcome = { answered: true; dialog: Dialog; response: SipResponse } | { answered: false; response: SipResponse };

export interface OutgoingInviteSettings {
  dest: Destination;
  manualAck: boolean;
  extraForks: 'bye' | 'keep';
  /** In-dialog requests go to `dest` too (an outbound proxy that does not Record-Route). */
  keepDestination: boolean;
  /** How often to retry after 422 Session Interval Too Small (RFC 4028 §7.4). */
  retries422: number;
}

export type OutgoingInviteState = 'calling' | 'proceeding' | 'answered' | 'failed' | 'cancelled';

/**
 * A dialog-creating INVITE we sent (the UAC side, RFC 3261 §13.2): early
 * dialogs from tagged 1xx, a dialog per 2xx (forking), the ACK for each 2xx,
 * CANCEL, and a retry after 422 (RFC 4028 §7.4).
 */
export class OutgoingInvite extends Emitter<OutgoingInviteEvents> {
  readonly result: Promise<InviteOutcome>;
  private current: OutgoingInviteState = 'calling';
  private req: SipRequest;
  private tx?: ClientInviteTransaction;
  private readonly dialogs = new Map<string, Dialog>();
  private first?: Dialog;
  private cancelled = false;
  /** Headers of the BYE that ends a 2xx crossing our CANCEL (e.g. X-AccountId, which a SIPREC recorder requires on every BYE). */
  private crossedByeHeaders: [string, string][] = [];
  private settle: (outcome: InviteOutcome) => void = () => undefined;
  private settled = false;
  private retries422: number;

  constructor(
    private readonly ctx: DialogContext,
    request: SipRequest,
    private readonly settings: OutgoingInviteSettings,
  ) {
    super();
    this.req = request;
    this.retries422 = settings.retries422;
    this.result = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  get request(): SipRequest {
    return this.req;
  }

  get state(): OutgoingInviteState {
    return this.current;
  }

  /** The dialog of the first 2xx. */
  get dialog(): Dialog | undefined {
    return this.first;
  }

  /** Early and confirmed dialogs of this INVITE, by remote tag. */
  get allDialogs(): ReadonlyMap<string, Dialog> {
    return this.dialogs;
  }

  /** @internal starts the INVITE transaction. */
  start(): void {
    this.tx = this.ctx.transactions.request(this.req, this.settings.dest, {
      onProvisional: (res) => this.provisional(res),
      onFinal: (res) => this.final(res),
      onTimeout: () => this.fail(syntheticResponse(this.req, 408)),
      onTransportError: () => this.fail(syntheticResponse(this.req, 503)),
      onTerminated: () => this.transactionEnded(),
    }) as ClientInviteTransaction;
  }

  /**
   * Cancels the call attempt (RFC 3261 §9.1). The INVITE then normally fails
   * with 487; a 2xx that crosses the CANCEL is ACKed and ended with BYE,
   * carrying `byeHeaders` when given.
   */
  cancel(reason?: string, opts: { byeHeaders?: [string, string][] } = {}): void {
    if (this.current !== 'calling' && this.current !== 'proceeding') return;
    this.cancelled = true;
    this.crossedByeHeaders = opts.byeHeaders ?? [];
    this.current = 'cancelled';
    this.tx?.cancel(reason);
  }

  private provisional(res: SipResponse): void {
    if (this.current === 'calling') this.current = 'proceeding';
    const dialog = res.status > 100 ? this.dialogFor(res, 'early') : undefined;
    this.emit('provisional', res, dialog);
  }

  private final(res: SipResponse): void {
    if (res.status >= 200 && res.status < 300) return this.answered(res);
    if (res.status === 422 && this.retries422 > 0 && !this.first && !this.cancelled) return this.retryAfter422(res);
    this.fail(res);
  }

  private answered(res: SipResponse): void {
    const tag = tagOf(res, 'To');
    const known = tag === undefined ? undefined : this.dialogs.get(tag);
    if (known && known.state === 'confirmed') return known.receive2xx(res); // a retransmission: ACK again
    const dialog = known ?? this.dialogFor(res, 'confirmed');
    if (!dialog) return;
    const isFirst = !this.first && !this.cancelled;
    dialog.confirmAsUac(this.req, res, isFirst && this.settings.manualAck);
    if (this.cancelled) {
      // §9.1: the 2xx crossed our CANCEL; the call is not wanted.
      void dialog.bye({ headers: this.crossedByeHeaders });
      this.fail(syntheticResponse(this.req, 487));
      return;
    }
    if (isFirst) {
      this.first = dialog;
      this.current = 'answered';
      this.emit('answered', dialog, res);
      this.resolve({ answered: true, dialog, response: res });
      return;
    }
    this.emit('forked', dialog, res);
    if (this.settings.extraForks === 'bye' && dialog.state !== 'terminated') void dialog.bye();
  }

  private fail(res: SipResponse): void {
    if (this.first) return; // a late failure after an answer changes nothing
    if (this.current !== 'cancelled') this.current = 'failed';
    for (const d of this.dialogs.values()) if (d.state === 'early') d.terminate({ cause: this.cancelled ? 'cancelled' : 'rejected', response: res });
    if (this.settled) return;
    this.emit('failed', res);
    this.resolve({ answered: false, response: res });
  }

  private transactionEnded(): void {
    // Early dialogs no 2xx confirmed end with the transaction (§13.2.2.4, RFC 6026 Timer M).
    for (const d of this.dialogs.values()) if (d.state === 'early') d.terminate({ cause: 'cancelled' });
  }

  /** RFC 4028 §7.4: the same INVITE again (new CSeq and branch) with Session-Expires raised to the Min-SE of the 422. */
  private retryAfter422(res: SipResponse): void {
    this.retries422--;
    const minSE = parseMinSE(res) ?? 90;
    const headers = this.req.headers.clone();
    headers.delete('Via');
    headers.set('CSeq', `${(cseqOf(this.req)?.seq ?? 1) + 1} INVITE`);
    const se = parseSessionExpires(this.req);
    headers.set('Session-Expires', String(Math.max(minSE, se?.interval ?? 0)));
    headers.set('Min-SE', String(minSE));
    this.req = { ...this.req, headers };
    this.current = 'calling';
    for (const d of this.dialogs.values()) d.terminate({ cause: 'rejected', response: res });
    this.dialogs.clear();
    this.start();
  }

  private dialogFor(res: SipResponse, state: 'early' | 'confirmed'): Dialog | undefined {
    const tag = tagOf(res, 'To');
    if (tag === undefined) return undefined;
    const existing = this.dialogs.get(tag);
    if (existing) return existing.state === 'terminated' ? undefined : existing;
    const data = uacDialogData(this.req, res, this.settings.dest);
    if (!data) return undefined;
    const transport = { protocol: this.settings.dest.protocol, initialDestination: this.settings.dest, ...(this.settings.keepDestination ? { outboundProxy: this.settings.dest } : {}) };
    const dialog = new Dialog(this.ctx, { role: 'uac', data, state, transport, remoteAllow: res.headers.getAll('Allow') });
    this.dialogs.set(tag, dialog);
    this.ctx.register(dialog);
    return dialog;
  }

  private resolve(outcome: InviteOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(outcome);
  }
}
