/**
 * Receive statistics of one RTP stream (one m=audio, possibly several SSRCs
 * over its life). Loss follows RFC 3550 Appendix A.3 per SSRC:
 * expected = highest extended sequence − lowest + 1, lost = expected − received,
 * where the extended sequence is the SRTP packet index (ROC * 2^16 + SEQ,
 * RFC 3711 §3.3.1), authenticated, so a forged packet never moves it.
 */
export type StreamStats = {
  /** datagrams that reached the RTP port */
  packetsReceived: number;
  octetsReceived: number;
  /** packets whose tag checked and that decrypted */
  packetsAuthenticated: number;
  /** audio packets of the negotiated payload type decoded into the WAV */
  packetsDecoded: number;
  authFailed: number;
  /** replayed or duplicated (index already in the replay list) */
  replayed: number;
  /** behind the 64-packet replay window */
  tooOld: number;
  /** not an SRTP packet at all (too short, not version 2, bad lengths) */
  malformed: number;
  /** an MKI other than the negotiated one */
  unknownMki: number;
  /** RFC 3550 A.3 expected − received, summed over SSRCs (never below 0) */
  lost: number;
  /** authenticated packets that arrived with a lower extended sequence than the highest seen for their SSRC */
  reordered: number;
  /** times an authenticated packet's SSRC differed from the one before it */
  ssrcChanges: number;
  ssrcs: number[];
  /** authenticated packets per payload type */
  payloadTypes: Record<number, number>;
  /** authenticated packets of a payload type that is neither the audio nor the telephone-event one */
  otherPayloadType: number;
  /** RFC 4733 telephone-event packets (not audio; not written) */
  telephoneEvents: number;
  /** authenticated packets received while the stream was inactive (dropped) */
  whilePaused: number;
  /** timestamp gaps filled with silence, the silence samples, and the gaps cut at the cap */
  gapsFilled: number;
  silenceSamples: number;
  gapsCapped: number;
  /** ISO-8601 arrival of the first and last datagram */
  firstArrival?: string;
  lastArrival?: string;
  rtcpPackets: number;
  rtcpAuthenticated: number;
  rtcpAuthFailed: number;
  rtcpReplayed: number;
  rtcpMalformed: number;
};

export function emptyStreamStats(): StreamStats {
  return {
    packetsReceived: 0,
    octetsReceived: 0,
    packetsAuthenticated: 0,
    packetsDecoded: 0,
    authFailed: 0,
    replayed: 0,
    tooOld: 0,
    malformed: 0,
    unknownMki: 0,
    lost: 0,
    reordered: 0,
    ssrcChanges: 0,
    ssrcs: [],
    payloadTypes: {},
    otherPayloadType: 0,
    telephoneEvents: 0,
    whilePaused: 0,
    gapsFilled: 0,
    silenceSamples: 0,
    gapsCapped: 0,
    rtcpPackets: 0,
    rtcpAuthenticated: 0,
    rtcpAuthFailed: 0,
    rtcpReplayed: 0,
    rtcpMalformed: 0,
  };
}

interface SequenceState {
  min: number;
  max: number;
  received: number;
}

/** Loss and reordering per SSRC from authenticated extended sequence numbers. */
export class SequenceTracker {
  private readonly bySsrc = new Map<number, SequenceState>();
  private lastSsrc: number | undefined;
  ssrcChanges = 0;
  reordered = 0;

  /** Records one authenticated packet. */
  record(ssrc: number, extendedSeq: number): void {
    if (this.lastSsrc !== undefined && this.lastSsrc !== ssrc) this.ssrcChanges++;
    this.lastSsrc = ssrc;
    const s = this.bySsrc.get(ssrc);
    if (!s) {
      this.bySsrc.set(ssrc, { min: extendedSeq, max: extendedSeq, received: 1 });
      return;
    }
    if (extendedSeq < s.max) this.reordered++;
    s.min = Math.min(s.min, extendedSeq);
    s.max = Math.max(s.max, extendedSeq);
    s.received++;
  }

  get lost(): number {
    let lost = 0;
    for (const s of this.bySsrc.values()) lost += Math.max(0, s.max - s.min + 1 - s.received);
    return lost;
  }

  get ssrcs(): number[] {
    return [...this.bySsrc.keys()];
  }
}
