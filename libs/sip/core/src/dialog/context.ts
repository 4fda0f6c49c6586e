import type { SipMessage } from '../message/types';
import type { Destination, SipProtocol, Timers } from '../transaction/ports';
import type { TransactionLayer } from '../transaction/transaction-layer';
import type { Dialog } from './dialog';
import type { TargetResolver } from './resolver';
import type { SessionTimerSettings } from './session-timer';

/** What a dialog needs from the DialogLayer that owns it. */
export interface DialogContext {
  readonly transactions: TransactionLayer;
  readonly timers: Timers;
  readonly resolver: TargetResolver;
  /** RFC 4028 settings, undefined when session timers are off. */
  readonly sessionTimer: SessionTimerSettings | undefined;
  readonly random: () => number;
  /** UAS dialogs without route set send in-dialog requests back to where the INVITE came from. */
  readonly reuseInboundFlow: boolean;
  /** Our Contact header value (`<sip:…>`) for a transport. */
  contact(protocol: SipProtocol, secure: boolean): string;
  /** Adds Allow, Supported (and User-Agent on requests) as configured. */
  decorate(msg: SipMessage): void;
  register(dialog: Dialog): void;
  unregister(dialog: Dialog): void;
  /** Reports an error no caller can receive (a failed background BYE, a resolver failure). */
  report(err: unknown, context: string): void;
}

/** Where the dialog was created from, to answer the NAT'd or connection-bound peer (UAS) or use a fixed proxy (UAC). */
export interface DialogTransport {
  protocol: SipProtocol;
  /** UAS: the source of the dialog-creating INVITE. */
  inbound?: { address: string; port: number; connectionId?: string };
  /** UAC: every in-dialog request goes to this next hop (an outbound proxy, RFC 3261 §8.1.2). */
  outboundProxy?: Destination;
  /** UAC: the next hop the dialog-creating INVITE went to. */
  initialDestination?: Destination;
}
