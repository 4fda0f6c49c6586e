import { createResponse } from '../message/build';
import type { SipRequest, SipResponse } from '../message/types';
import type { TransactionHost } from './host';
import type { InboundSource } from './ports';
import { ServerTransaction } from './server-transaction';

export type ServerInviteState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/**
 * INVITE server transaction: RFC 3261 §17.2.1 (Figure 7) as updated by RFC 6026
 * §7.1: a 2xx from the TU moves it to Accepted (Timer L) where it absorbs INVITE
 * retransmissions, sends the 2xx retransmissions the TU passes down (§13.3.1.4)
 * and lets ACKs through to the TU. It never retransmits a 2xx on its own.
 */
export class ServerInviteTransaction extends ServerTransaction {
  readonly kind = 'invite' as const;
  private current: ServerInviteState = 'proceeding';

  constructor(host: TransactionHost, key: string, request: SipRequest, source: InboundSource) {
    super(host, key, request, source);
    const delay = host.config.tryingDelayMs;
    if (delay === 0) this.sendTrying();
    else if (delay > 0) this.timers.start('trying', delay, () => this.sendTrying());
  }

  get state(): ServerInviteState {
    return this.current;
  }

  respond(res: SipResponse): boolean {
    const s = res.status;
    if (this.current === 'accepted') {
      if (s < 200 || s >= 300) return false;
      this.sendResponse(res);
      return true;
    }
    if (this.current !== 'proceeding') return false;
    this.timers.stop('trying');
    if (s < 200) {
      this.lastProvisional = res;
      this.sendResponse(res);
    } else if (s < 300) {
      // Accepted never resends a response on its own (the TU retransmits its 2xx, RFC 6026 §7.1),
      // so neither the provisional nor the 2xx is kept: a call in progress holds them for Timer L (32 s).
      this.lastProvisional = undefined;
      this.current = 'accepted';
      this.sendResponse(res);
      if (this.current === 'accepted') this.timers.start('L', this.values.timeout, () => this.terminate());
    } else {
      this.lastFinal = res;
      this.lastProvisional = undefined;
      this.current = 'completed';
      this.sendResponse(res);
      if (this.current !== 'completed') return true;
      if (this.values.retransmit !== undefined) this.armG(this.values.retransmit);
      this.timers.start('H', this.values.timeout, () => {
        if (this.current !== 'completed') return;
        this.emit('timeout');
        this.terminate();
      });
    }
    return true;
  }

  retransmission(): void {
    if (this.current === 'proceeding') this.resend(this.lastProvisional);
    else if (this.current === 'completed') this.resend(this.lastFinal);
    // Confirmed and Accepted absorb it (§17.2.1; RFC 6026 §7.1).
  }

  /**
   * An ACK matching this transaction: absorbed in Completed (→ Confirmed, Timer
   * I) and Confirmed; in Accepted it belongs to the TU (RFC 6026 §7.1).
   */
  ack(): 'absorbed' | 'to-tu' {
    if (this.current === 'accepted') return 'to-tu';
    if (this.current === 'completed') {
      this.current = 'confirmed';
      this.timers.stop('G');
      this.timers.stop('H');
      this.timers.startOrRun('I', this.values.i, () => this.terminate());
    }
    return 'absorbed';
  }

  /**
   * A CANCEL matched (§9.2): the TU hears of it first; if it has not answered
   * by then, the INVITE gets 487 Request Terminated.
   */
  cancel(cancelRequest: SipRequest): void {
    if (this.current !== 'proceeding') return;
    this.emit('cancelled', cancelRequest);
    if (this.current === 'proceeding') this.respond(createResponse(this.request, 487, undefined, this.toTag === undefined ? {} : { toTag: this.toTag }));
  }

  protected setTerminated(): void {
    this.current = 'terminated';
  }

  private sendTrying(): void {
    if (this.current !== 'proceeding' || this.lastProvisional) return;
    this.lastProvisional = createResponse(this.request, 100);
    this.sendResponse(this.lastProvisional);
  }

  /** Timer G (§17.2.1): T1 doubling up to T2, unreliable transports only. */
  private armG(interval: number): void {
    this.timers.start('G', interval, () => {
      if (this.current !== 'completed') return;
      this.resend(this.lastFinal);
      this.armG(Math.min(interval * 2, this.values.retransmitCap));
    });
  }
}
