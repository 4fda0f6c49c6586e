/**
 * RFC 3261 §14.1: after a 491 the UAC waits before trying again. The owner of
 * the Call-ID (the one that sent the dialog-creating INVITE) waits 2.1–4 s,
 * the other 0–2 s, both in units of 10 ms. RFC 3311 §5.1 applies the same to UPDATE.
 */
export function glareBackoffMs(ownsCallId: boolean, random: () => number = Math.random): number {
  const pick = (steps: number) => Math.min(steps - 1, Math.floor(random() * steps));
  return ownsCallId ? 2100 + 10 * pick(191) : 10 * pick(201);
}

/** §14.2 / RFC 3311 §5.2: the Retry-After of a 500 for a request that overlaps one still pending, 0–10 s. */
export function overlapRetryAfterSeconds(random: () => number = Math.random): number {
  return Math.min(10, Math.floor(random() * 11));
}

/**
 * Which offer/answer exchanges are open in a dialog, to refuse overlapping ones
 * (RFC 3261 §14, RFC 3311 §5, RFC 6337 §3).
 */
export class OfferAnswerState {
  /** An INVITE we sent has no final response yet (or its 2xx no ACK from us yet). */
  inviteOut = false;
  /** An INVITE we received has no final response yet (or our 2xx no ACK yet). */
  inviteIn = false;
  /** We sent an offer (in an INVITE or UPDATE) not answered yet. */
  offerOut = false;
  /** We received an offer not answered yet. */
  offerIn = false;

  /** What to answer an incoming re-INVITE or UPDATE; undefined when it may proceed. */
  check(method: 'INVITE' | 'UPDATE', hasOffer: boolean): 491 | 500 | undefined {
    if (method === 'INVITE') {
      if (this.inviteOut || this.offerOut) return 491; // §14.2
      if (this.inviteIn || this.offerIn) return 500; // §14.2: "with a lower CSeq … 500 with Retry-After"
      return undefined;
    }
    if (!hasOffer) return undefined; // an UPDATE without offer (a refresh) never collides
    if (this.offerOut) return 491; // RFC 3311 §5.2
    if (this.offerIn) return 500;
    return undefined;
  }
}
