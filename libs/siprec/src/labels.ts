/**
 * The two stream labels of every SIPREC session (SDP `a=label`, metadata
 * `<stream><label>`), seen from the seller, whatever the call's direction:
 *
 * - `outbound`: what the seller says (the media the seller's leg sends);
 * - `inbound`: what the seller hears (the media the other party sends).
 *
 * `Role` (metadata) is the call's direction for the seller: `inbound` when the
 * seller was called, `outbound` when the seller called. So with Role inbound the
 * caller sends the `inbound` stream; with Role outbound the caller (the seller)
 * sends the `outbound` stream.
 */
export const INBOUND = 'inbound';
export const OUTBOUND = 'outbound';
export type StreamLabel = typeof INBOUND | typeof OUTBOUND;

/** The call's direction for the seller (metadata `Role`). */
export type Role = 'inbound' | 'outbound';
