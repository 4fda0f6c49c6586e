import { parseCryptoAttribute, receivableCrypto, type CryptoAttribute } from './crypto-attribute';
import { decodeG711, type G711Encoding } from './g711';
import { looksLikeRtcp, parseRtp } from './rtp';
import { SrtpContext } from './srtp';
import { emptyStreamStats, SequenceTracker, type StreamStats } from './stats';

/**
 * The receive pipeline of one recorded audio stream, without I/O: SRTP
 * datagram → authenticate → decrypt → RTP → payload type filter → G.711 decode
 * → timing (silence for a forward timestamp jump within one SSRC) → samples to
 * append to the WAV. The adapter owns the sockets and the file.
 */

export interface AudioStreamOptions {
  /** the SRC's a=crypto value (its key: what it encrypts with) */
  crypto: string | CryptoAttribute;
  /** the negotiated audio payload type and its encoding */
  audioPt: number;
  encoding: G711Encoding;
  telephoneEventPt?: number;
  /** silence inserted for one timestamp gap at most (samples); default 2 s at 8 kHz */
  maxGapSamples?: number;
}

export interface AudioChunk {
  /** zeros to write before the samples (a filled timestamp gap) */
  silence: number;
  samples: Int16Array;
}

export type RtpOutcome =
  | { kind: 'audio'; chunk: AudioChunk }
  | { kind: 'rtcp' | 'telephone-event' | 'other-payload-type' | 'paused' }
  | { kind: 'dropped'; reason: string; detail: string };

interface Timeline {
  ssrc: number;
  /** RTP timestamp expected next (last written timestamp + its samples), mod 2^32 */
  next: number;
}

export class AudioStreamReceiver {
  private ctx: SrtpContext;
  private readonly stats_ = emptyStreamStats();
  private seq = new SequenceTracker();
  private previousSeq: SequenceTracker[] = [];
  private timeline: Timeline | undefined;
  private paused = false;
  private readonly maxGap: number;

  constructor(private opts: AudioStreamOptions) {
    this.ctx = contextFor(opts.crypto);
    this.maxGap = opts.maxGapSamples ?? 16000;
  }

  /** A new crypto context (re-INVITE with a new key): ROC and replay state start over, timing restarts. */
  rekey(crypto: string | CryptoAttribute): void {
    this.ctx = contextFor(crypto);
    this.opts = { ...this.opts, crypto };
    this.timeline = undefined;
    // the new context's indices start at ROC 0 again: loss is counted per context
    this.previousSeq.push(this.seq);
    this.seq = new SequenceTracker();
  }

  /** Changes the negotiated payload types (re-INVITE). */
  renegotiate(audioPt: number, encoding: G711Encoding, telephoneEventPt?: number): void {
    this.opts = { ...this.opts, audioPt, encoding, telephoneEventPt };
  }

  /** Inactive: authenticated packets are counted and dropped. Resume restarts timing (a pause is not loss). */
  setPaused(paused: boolean): void {
    if (this.paused && !paused) this.timeline = undefined;
    this.paused = paused;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** One datagram from the RTP port. Never throws. */
  receiveRtp(datagram: Uint8Array, arrivalMs: number): RtpOutcome {
    this.arrived(arrivalMs);
    this.stats_.packetsReceived++;
    this.stats_.octetsReceived += datagram.length;
    if (looksLikeRtcp(datagram)) {
      // rtcp-mux (RFC 5761): RTCP on the RTP port
      this.stats_.packetsReceived--;
      this.stats_.octetsReceived -= datagram.length;
      this.receiveRtcp(datagram, arrivalMs);
      return { kind: 'rtcp' };
    }
    let r;
    try {
      r = this.ctx.unprotect(datagram);
    } catch (e) {
      this.stats_.malformed++;
      return { kind: 'dropped', reason: 'malformed', detail: String(e) };
    }
    if (!r.ok) {
      switch (r.reason) {
        case 'auth-failed': this.stats_.authFailed++; break;
        case 'replayed': this.stats_.replayed++; break;
        case 'too-old': this.stats_.tooOld++; break;
        case 'unknown-mki': this.stats_.unknownMki++; break;
        default: this.stats_.malformed++;
      }
      return { kind: 'dropped', reason: r.reason, detail: r.detail };
    }
    const parsed = parseRtp(r.packet);
    if (!parsed.ok) {
      // authenticated but its padding is inconsistent: the sender's bug
      this.stats_.malformed++;
      return { kind: 'dropped', reason: 'malformed', detail: parsed.message };
    }
    const p = parsed.packet;
    this.stats_.packetsAuthenticated++;
    this.seq.record(p.ssrc, r.index);
    this.stats_.payloadTypes[p.payloadType] = (this.stats_.payloadTypes[p.payloadType] ?? 0) + 1;
    if (this.paused) {
      this.stats_.whilePaused++;
      return { kind: 'paused' };
    }
    if (this.opts.telephoneEventPt !== undefined && p.payloadType === this.opts.telephoneEventPt) {
      this.stats_.telephoneEvents++;
      return { kind: 'telephone-event' };
    }
    if (p.payloadType !== this.opts.audioPt) {
      this.stats_.otherPayloadType++;
      return { kind: 'other-payload-type' };
    }
    const samples = decodeG711(this.opts.encoding, p.payload);
    let silence = 0;
    const t = this.timeline;
    if (t && t.ssrc === p.ssrc) {
      const gap = ((p.timestamp - t.next) | 0); // signed 32-bit serial difference
      if (gap > 0) {
        silence = Math.min(gap, this.maxGap);
        this.stats_.gapsFilled++;
        this.stats_.silenceSamples += silence;
        if (gap > this.maxGap) this.stats_.gapsCapped++;
      }
      const end = (p.timestamp + samples.length) >>> 0;
      if (((end - t.next) | 0) > 0) t.next = end;
    } else {
      this.timeline = { ssrc: p.ssrc, next: (p.timestamp + samples.length) >>> 0 };
    }
    this.stats_.packetsDecoded++;
    return { kind: 'audio', chunk: { silence, samples } };
  }

  /** One datagram from the RTCP port. Never throws. */
  receiveRtcp(datagram: Uint8Array, arrivalMs: number): void {
    this.arrived(arrivalMs);
    this.stats_.rtcpPackets++;
    let r;
    try {
      r = this.ctx.unprotectRtcp(datagram);
    } catch {
      this.stats_.rtcpMalformed++;
      return;
    }
    if (r.ok) this.stats_.rtcpAuthenticated++;
    else if (r.reason === 'auth-failed') this.stats_.rtcpAuthFailed++;
    else if (r.reason === 'replayed' || r.reason === 'too-old') this.stats_.rtcpReplayed++;
    else this.stats_.rtcpMalformed++;
  }

  stats(): StreamStats {
    const trackers = [...this.previousSeq, this.seq];
    return {
      ...this.stats_,
      payloadTypes: { ...this.stats_.payloadTypes },
      lost: trackers.reduce((n, t) => n + t.lost, 0),
      reordered: trackers.reduce((n, t) => n + t.reordered, 0),
      ssrcChanges: trackers.reduce((n, t) => n + t.ssrcChanges, 0),
      ssrcs: [...new Set(trackers.flatMap((t) => t.ssrcs))],
    };
  }

  private arrived(ms: number): void {
    const iso = new Date(ms).toISOString();
    this.stats_.firstArrival ??= iso;
    this.stats_.lastArrival = iso;
  }
}

function contextFor(crypto: string | CryptoAttribute): SrtpContext {
  const attr = typeof crypto === 'string' ? parseCryptoAttribute(crypto) : crypto;
  const kp = receivableCrypto(attr, ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']);
  return new SrtpContext({ keySalt: kp.keySalt, tagLength: attr.suite.endsWith('_32') ? 4 : 10, ...(kp.mki ? { mki: kp.mki } : {}) });
}
