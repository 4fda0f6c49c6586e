import type { SipMessage } from '../message/types';
import type { TransactionConfig } from './config';
import type { Destination, Timers } from './ports';

/** What a transaction needs from the layer that owns it. */
export interface TransactionHost {
  readonly timers: Timers;
  readonly config: TransactionConfig;
  /** Sends through the sink; a failure (sync or async) comes back through `onError`, never synchronously. */
  transmit(msg: SipMessage, dest: Destination, onError: (err: unknown) => void): void;
  /** The transaction has terminated: forget it. */
  release(key: string): void;
}
