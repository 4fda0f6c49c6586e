import type { SipRequest, SipResponse } from '../message/types';
import type { TransactionHost } from './host';
import type { Destination } from './ports';
import { ClientTransaction } from './client-transaction';
import { buildNon2xxAck } from './requests';

export type ClientInviteState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/**
 * INVITE client transaction: RFC 3261 §17.1.1 (Figure 5) as updated by RFC 6026
 * §7.2 (Figure 5 there): a 2xx moves it to Accepted, where further 2xx
 * (retransmissions and forks) go to the TU until Timer M.
 */
export class ClientInviteTransaction extends ClientTransaction {
  readonly kind = 'invite' as const;
  private current: ClientInviteState = 'calling';
  private ack?: ReturnType<typeof buildNon2xxAck>;
  private pendingCancel?: { reason: string | undefined };
  private cancelSent = false;

  constructor(
    host: TransactionHost,
    key: string,
    request: SipRequest,
    destination: Destination,
    private readonly sendCancel: (tx: ClientInviteTransaction, reason: string | undefined) => void,
  ) {
    super(host, key, request, destination);
  }

  get state(): ClientInviteState {
    return this.current;
  }

  /** True once a CANCEL for this INVITE went out (or waits for the first provisional). */
  get cancelRequested(): boolean {
    return this.pendingCancel !== undefined || this.cancelSent;
  }

  start(): void {
    this.sendRequest();
    // Timer A only on unreliable transports (§17.1.1.2), doubling without cap until Timer B.
    if (this.values.retransmit !== undefined) this.armA(this.values.retransmit);
    this.timers.start('B', this.values.timeout, () => {
      if (this.current === 'calling') this.timedOut();
    });
  }

  /**
   * Cancels the INVITE (RFC 3261 §9.1): the CANCEL goes out at once when a
   * provisional has arrived, or as soon as one does; after a final response
   * it is not sent. `reason` is a Reason header value (RFC 3326).
   */
  cancel(reason?: string): void {
    if (this.cancelRequested) return;
    if (this.current === 'proceeding') this.fireCancel(reason);
    else if (this.current === 'calling') this.pendingCancel = { reason };
  }

  receive(res: SipResponse): void {
    const s = res.status;
    switch (this.current) {
      case 'calling':
      case 'proceeding':
        if (s < 200) {
          this.current = 'proceeding';
          this.timers.stop('A');
          this.timers.stop('B');
          this.emit('provisional', res);
          if (this.pendingCancel && this.current === 'proceeding') this.fireCancel(this.pendingCancel.reason);
        } else if (s < 300) {
          this.accepted(res);
        } else {
          this.completed(res);
        }
        return;
      case 'completed':
        // §17.1.1.2: a retransmitted final response gets the same ACK again, the TU does not see it.
        if (s >= 300 && this.ack) this.host.transmit(this.ack, this.destination, (err) => this.transportFailed(err));
        return;
      case 'accepted':
        if (s >= 200 && s < 300) this.emit('final', res);
        return;
      case 'terminated':
        return;
    }
  }

  protected setTerminated(): void {
    this.current = 'terminated';
  }

  private armA(interval: number): void {
    this.timers.start('A', interval, () => {
      if (this.current !== 'calling') return;
      this.sendRequest();
      this.armA(interval * 2);
    });
  }

  private accepted(res: SipResponse): void {
    this.current = 'accepted';
    this.stopRunning();
    this.timers.start('M', this.values.timeout, () => this.terminate());
    this.final(res);
  }

  private completed(res: SipResponse): void {
    this.current = 'completed';
    this.stopRunning();
    this.ack = buildNon2xxAck(this.request, res);
    this.host.transmit(this.ack, this.destination, (err) => this.transportFailed(err));
    this.final(res);
    if (this.current === 'completed') this.timers.startOrRun('D', this.values.d, () => this.terminate());
  }

  private stopRunning(): void {
    this.timers.stop('A');
    this.timers.stop('B');
    this.timers.stop('cancel');
    this.pendingCancel = undefined;
  }

  private fireCancel(reason: string | undefined): void {
    this.pendingCancel = undefined;
    this.cancelSent = true;
    this.sendCancel(this, reason);
    // §9.1: without a final response 64*T1 after the CANCEL, the INVITE is given up.
    this.timers.start('cancel', this.values.timeout, () => {
      if (this.current === 'calling' || this.current === 'proceeding') this.timedOut();
    });
  }
}
