import type { SipRequest, SipResponse } from '../message/types';

/** RFC 3261 §12: a dialog is identified by Call-ID, local tag and remote tag. */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export type DialogRole = 'uac' | 'uas';
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Extra headers, a body and its type for a request or response we send. */
export interface MessageOptions {
  /** Added as given, in order (e.g. `['X-AccountId', 'abc']`). */
  headers?: [string, string][];
  body?: Buffer | string;
  /** Content-Type of the body; default `application/sdp` when there is a body. */
  contentType?: string;
}

export interface ResponseOptions extends MessageOptions {
  reason?: string;
}

export interface RequestOptions extends MessageOptions {
  /**
   * INVITE only: do not send the ACK for the 2xx; call `dialog.ack()` with the
   * answer (offer in the 2xx, RFC 3264 §5 / RFC 3261 §13.2.2.4).
   */
  manualAck?: boolean;
}

export type TerminationCause =
  /** The peer sent BYE (RFC 3261 §15.1.2). */
  | 'bye-received'
  /** We sent BYE (§15.1.1). */
  | 'bye-sent'
  /** Our 2xx was never ACKed within 64*T1; a BYE was sent (§13.3.1.4). */
  | 'ack-timeout'
  /** RFC 4028 §10: no refresh arrived in time; a BYE was sent. */
  | 'session-expired'
  /** An in-dialog request got 481 or timed out (§12.2.1.2). */
  | 'request-failed'
  /** An early dialog ended with the INVITE: cancelled, rejected, or a final response from another fork. */
  | 'cancelled'
  | 'rejected';

export interface TerminationReason {
  cause: TerminationCause;
  /** The BYE received, when there was one. */
  request?: SipRequest;
  /** The response that ended it, when there was one. */
  response?: SipResponse;
}
