import type { SipRequest, SipResponse } from '../message/types';
import { timerValues, type TimerValues } from './config';
import { Emitter } from './emitter';
import type { TransactionHost } from './host';
import { responseDestination, tagOf, topVia } from './message-info';
import { isReliable, type Destination, type InboundSource } from './ports';
import { TimerSet } from './timer-set';

export type ServerTransactionEvents = {
  /** INVITE only: a CANCEL matched while no final response was sent (RFC 3261 §9.2). A 487 follows unless the listener answered. */
  cancelled: [cancel: SipRequest];
  /** Timer H fired: no ACK for a 300–699 response (§17.2.1); or a TU that never answered a non-INVITE request. */
  timeout: [];
  transportError: [err: unknown];
  terminated: [];
};

/** The part common to INVITE and non-INVITE server transactions (RFC 3261 §17.2). */
export abstract class ServerTransaction extends Emitter<ServerTransactionEvents> {
  abstract readonly kind: 'invite' | 'non-invite';
  abstract get state(): string;
  /** Where responses go (§18.2.2). */
  readonly responseDestination: Destination;
  protected readonly timers: TimerSet;
  protected readonly values: TimerValues;
  protected readonly reliable: boolean;
  protected lastProvisional?: SipResponse;
  protected lastFinal?: SipResponse;
  private tag?: string;

  constructor(
    protected readonly host: TransactionHost,
    readonly key: string,
    readonly request: SipRequest,
    readonly source: InboundSource,
  ) {
    super();
    this.timers = new TimerSet(host.timers);
    this.reliable = isReliable(source.protocol);
    this.values = timerValues(host.config, this.reliable);
    this.responseDestination = responseDestination(topVia(request), source);
  }

  get method(): string {
    return this.request.method;
  }

  /** The To tag of the last response with one (the 200 to a CANCEL and the 487 reuse it, §9.2). */
  get toTag(): string | undefined {
    return this.tag;
  }

  /** The final response sent and kept for retransmission, if any (an INVITE's 2xx is not kept: its TU retransmits it, RFC 6026 §7.1). */
  get finalResponse(): SipResponse | undefined {
    return this.lastFinal;
  }

  /**
   * Passes a response from the TU down (§17.2.1, §17.2.2). Returns false when
   * the state does not allow it (e.g. a second final response); nothing is sent then.
   */
  abstract respond(res: SipResponse): boolean;

  /** A retransmission of the request (§17.2.1, §17.2.2). */
  abstract retransmission(): void;

  protected sendResponse(res: SipResponse): void {
    const tag = tagOf(res, 'To');
    if (tag !== undefined) this.tag = tag;
    this.host.transmit(res, this.responseDestination, (err) => this.transportFailed(err));
  }

  protected resend(res: SipResponse | undefined): void {
    if (res) this.host.transmit(res, this.responseDestination, (err) => this.transportFailed(err));
  }

  /** §17.2.4: the TU hears of the failure and the transaction ends. */
  protected transportFailed(err: unknown): void {
    if (this.state === 'terminated') return;
    this.emit('transportError', err);
    this.terminate();
  }

  protected abstract setTerminated(): void;

  protected terminate(): void {
    if (this.state === 'terminated') return;
    this.setTerminated();
    this.timers.clear();
    this.host.release(this.key);
    this.emit('terminated');
    this.removeAllListeners();
  }
}
