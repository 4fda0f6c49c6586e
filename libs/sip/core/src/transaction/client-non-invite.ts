import type { SipResponse } from '../message/types';
import { ClientTransaction } from './client-transaction';

export type ClientNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** Non-INVITE client transaction, RFC 3261 §17.1.2 (Figure 6). */
export class ClientNonInviteTransaction extends ClientTransaction {
  readonly kind = 'non-invite' as const;
  private current: ClientNonInviteState = 'trying';

  get state(): ClientNonInviteState {
    return this.current;
  }

  start(): void {
    this.sendRequest();
    if (this.values.retransmit !== undefined) this.armE(this.values.retransmit);
    this.timers.start('F', this.values.timeout, () => {
      if (this.current === 'trying' || this.current === 'proceeding') this.timedOut();
    });
  }

  receive(res: SipResponse): void {
    if (this.current !== 'trying' && this.current !== 'proceeding') return; // §17.1.2.2: Completed absorbs retransmissions
    if (res.status < 200) {
      this.current = 'proceeding';
      this.emit('provisional', res);
      return;
    }
    this.current = 'completed';
    this.timers.stop('E');
    this.timers.stop('F');
    this.final(res);
    if (this.current === 'completed') this.timers.startOrRun('K', this.values.k, () => this.terminate());
  }

  protected setTerminated(): void {
    this.current = 'terminated';
  }

  /**
   * Timer E (§17.1.2.2): in Trying it doubles up to T2; once a provisional has
   * arrived it is reset to T2 each time it fires.
   */
  private armE(interval: number): void {
    this.timers.start('E', interval, () => {
      if (this.current === 'trying') {
        this.sendRequest();
        this.armE(Math.min(interval * 2, this.values.retransmitCap));
      } else if (this.current === 'proceeding') {
        this.sendRequest();
        this.armE(this.values.retransmitCap);
      }
    });
  }
}
