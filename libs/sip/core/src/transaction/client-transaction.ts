import type { SipRequest, SipResponse } from '../message/types';
import { timerValues, type TimerValues } from './config';
import { Emitter } from './emitter';
import type { TransactionHost } from './host';
import { isReliable, type Destination } from './ports';
import { syntheticResponse } from './synthetic';
import { TimerSet } from './timer-set';

export type ClientTransactionEvents = {
  /** A 1xx (RFC 3261 §17.1.1.2, §17.1.2.2). */
  provisional: [res: SipResponse];
  /** The final response; for INVITE in the Accepted state every further 2xx too (RFC 6026 §7.2: retransmissions and forks). */
  final: [res: SipResponse];
  /** Timer B or F fired (the TU sees it as a 408, §8.1.3.1). */
  timeout: [];
  /** The transport could not send (seen as a 503, §8.1.3.1; RFC 6026 §7.2). */
  transportError: [err: unknown];
  terminated: [];
};

/** Callbacks that can be given when the transaction is created, so none of its events is missed. */
export interface ClientTransactionHandlers {
  onProvisional?: (res: SipResponse) => void;
  onFinal?: (res: SipResponse) => void;
  onTimeout?: () => void;
  onTransportError?: (err: unknown) => void;
  onTerminated?: () => void;
}

/** The part common to INVITE and non-INVITE client transactions (RFC 3261 §17.1). */
export abstract class ClientTransaction extends Emitter<ClientTransactionEvents> {
  abstract readonly kind: 'invite' | 'non-invite';
  abstract get state(): string;
  /**
   * The first final response, or a synthetic 408 (timeout) or 503 (transport
   * error) — never rejects.
   */
  readonly result: Promise<SipResponse>;
  protected readonly timers: TimerSet;
  protected readonly values: TimerValues;
  protected readonly reliable: boolean;
  private settle: (res: SipResponse) => void = () => undefined;
  private settled = false;

  constructor(
    protected readonly host: TransactionHost,
    readonly key: string,
    readonly request: SipRequest,
    readonly destination: Destination,
  ) {
    super();
    this.timers = new TimerSet(host.timers);
    this.reliable = isReliable(destination.protocol);
    this.values = timerValues(host.config, this.reliable);
    this.result = new Promise<SipResponse>((resolve) => {
      this.settle = resolve;
    });
  }

  get method(): string {
    return this.request.method;
  }

  attach(handlers: ClientTransactionHandlers): void {
    if (handlers.onProvisional) this.on('provisional', handlers.onProvisional);
    if (handlers.onFinal) this.on('final', handlers.onFinal);
    if (handlers.onTimeout) this.on('timeout', handlers.onTimeout);
    if (handlers.onTransportError) this.on('transportError', handlers.onTransportError);
    if (handlers.onTerminated) this.on('terminated', handlers.onTerminated);
  }

  /** Sends the request for the first time and starts the timers. */
  abstract start(): void;
  /** A response whose branch and CSeq method match (§17.1.3). */
  abstract receive(res: SipResponse): void;

  protected sendRequest(): void {
    this.host.transmit(this.request, this.destination, (err) => this.transportFailed(err));
  }

  protected final(res: SipResponse): void {
    if (!this.settled) {
      this.settled = true;
      this.settle(res);
    }
    this.emit('final', res);
  }

  protected timedOut(): void {
    this.resolveSynthetic(408);
    this.emit('timeout');
    this.terminate();
  }

  protected transportFailed(err: unknown): void {
    if (this.state === 'terminated') return;
    this.resolveSynthetic(503);
    this.emit('transportError', err);
    this.terminate();
  }

  private resolveSynthetic(status: number): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(syntheticResponse(this.request, status));
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
