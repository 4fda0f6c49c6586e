import type { SipRequest, SipResponse } from '../message/types';
import type { TransactionHost } from './host';
import type { InboundSource } from './ports';
import { ServerTransaction } from './server-transaction';

export type ServerNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** Non-INVITE server transaction, RFC 3261 §17.2.2 (Figure 8). */
export class ServerNonInviteTransaction extends ServerTransaction {
  readonly kind = 'non-invite' as const;
  private current: ServerNonInviteState = 'trying';

  constructor(host: TransactionHost, key: string, request: SipRequest, source: InboundSource) {
    super(host, key, request, source);
    // Not in RFC 3261: a TU that never answers must not keep the transaction forever.
    // The client gave up at Timer F (64*T1) anyway.
    const limit = host.config.serverNonInviteLimitMs ?? 64 * host.config.t1;
    this.timers.start('limit', limit, () => {
      this.emit('timeout');
      this.terminate();
    });
  }

  get state(): ServerNonInviteState {
    return this.current;
  }

  respond(res: SipResponse): boolean {
    if (this.current !== 'trying' && this.current !== 'proceeding') return false;
    if (res.status < 200) {
      this.current = 'proceeding';
      this.lastProvisional = res;
      this.sendResponse(res);
      return true;
    }
    this.current = 'completed';
    this.lastFinal = res;
    this.timers.stop('limit');
    this.sendResponse(res);
    if (this.current === 'completed') this.timers.startOrRun('J', this.values.j, () => this.terminate());
    return true;
  }

  retransmission(): void {
    if (this.current === 'proceeding') this.resend(this.lastProvisional);
    else if (this.current === 'completed') this.resend(this.lastFinal);
  }

  protected setTerminated(): void {
    this.current = 'terminated';
  }
}
