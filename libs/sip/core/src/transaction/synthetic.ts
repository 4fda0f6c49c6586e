import { createResponse } from '../message/build';
import type { SipRequest, SipResponse } from '../message/types';

const synthetic = new WeakSet<SipResponse>();

/**
 * A response made up locally for the TU (RFC 3261 §8.1.3.1): a transaction
 * timeout is reported as 408, a transport error as 503; the dialog layer also
 * answers a request it cannot send yet with 491.
 */
export function syntheticResponse(req: SipRequest, status: number, reason?: string): SipResponse {
  const res = createResponse(req, status, reason);
  synthetic.add(res);
  return res;
}

/** True for a response that never crossed the network (a timeout or transport error seen as 408/503). */
export function isSyntheticResponse(res: SipResponse): boolean {
  return synthetic.has(res);
}
