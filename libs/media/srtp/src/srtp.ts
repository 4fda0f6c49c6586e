import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { SrtpError } from './errors';
import { ReplayWindow } from './replay';
import { rtpHeaderLength } from './rtp';

/**
 * SRTP and SRTCP (RFC 3711) for the AES-CM + HMAC-SHA1 suites
 * (AES_CM_128_HMAC_SHA1_80 and _32), key derivation rate 0, optional MKI.
 */

/** Key derivation labels, RFC 3711 §4.3.1 and §4.3.2. */
export const LABEL = {
  rtpCipherKey: 0x00,
  rtpAuthKey: 0x01,
  rtpSalt: 0x02,
  rtcpCipherKey: 0x03,
  rtcpAuthKey: 0x04,
  rtcpSalt: 0x05,
} as const;

const ZERO = Buffer.alloc(0);

/** AES in counter mode (RFC 3711 §4.1.1) with a 16-octet IV: the keystream XORed into `data`. */
export function aesCm(key: Buffer, iv: Buffer, data: Uint8Array): Buffer {
  const c = createCipheriv(key.length === 16 ? 'aes-128-ctr' : key.length === 24 ? 'aes-192-ctr' : 'aes-256-ctr', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * The key derivation function of RFC 3711 §4.3 with kdr 0 (so r = 0):
 * x = (label || r) XOR master_salt, and the key is AES-CM(master_key) keystream
 * from IV = x * 2^16, cut to `length` octets.
 */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  if (masterSalt.length !== 14) throw new SrtpError('bad-salt-length', `the master salt must be 14 octets (112 bits, RFC 3711 §8.2), got ${masterSalt.length}`);
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0);
  // key_id = label || r (48 bits) is 7 octets, aligned to the right of the 14-octet salt.
  iv[7] = (iv[7] ?? 0) ^ label;
  return aesCm(masterKey, iv, Buffer.alloc(length));
}

/** IV for a packet, RFC 3711 §4.1.1: (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). */
export function packetIv(sessionSalt: Buffer, ssrc: number, index: number): Buffer {
  const iv = Buffer.alloc(16);
  sessionSalt.copy(iv, 0, 0, 14);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  // i is 48 bits: octets 8..13
  const hi = Math.floor(index / 2 ** 32);
  const lo = index >>> 0;
  iv.writeUInt16BE((iv.readUInt16BE(8) ^ hi) & 0xffff, 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ lo) >>> 0, 10);
  return iv;
}

interface SessionKeys {
  cipherKey: Buffer;
  authKey: Buffer;
  salt: Buffer;
}

export interface SrtpPolicy {
  /** master key || master salt (30 octets for AES-128) */
  keySalt: Buffer;
  /** authentication tag length in octets: 10 (…_80, default) or 4 (…_32) */
  tagLength?: number;
  /** an MKI every packet carries (RFC 3711 §3.1), from `|<value>:<length>` in a=crypto */
  mki?: { value: number; length: number };
}

export type UnprotectFailure = 'auth-failed' | 'replayed' | 'too-old' | 'malformed' | 'unknown-mki';
export type UnprotectResult =
  | { ok: true; packet: Buffer; index: number; ssrc: number }
  | { ok: false; reason: UnprotectFailure; detail: string };

/** Per-SSRC state (RFC 3711 §3.2.1: ROC, s_l and the replay list live in the crypto context of one SSRC). */
interface StreamState {
  replay: ReplayWindow;
}

/** How many SSRCs a context keeps state for; past it the least recently used is forgotten. */
const MAX_SSRCS = 32;

/**
 * One SRTP crypto context for a direction (RFC 3711 §3.2): the session keys
 * derived from one master key, and per SSRC the rollover counter, the highest
 * index and the replay list. A packet that fails any check leaves all state as
 * it was.
 */
export class SrtpContext {
  private readonly rtp: SessionKeys;
  private readonly rtcp: SessionKeys;
  private readonly tagLength: number;
  private readonly mki: Buffer;
  private readonly rtpStreams = new Map<number, StreamState>();
  private readonly rtcpStreams = new Map<number, StreamState>();
  private readonly sendRtcpIndex = new Map<number, number>();

  constructor(policy: SrtpPolicy) {
    const ks = policy.keySalt;
    const keyLength = ks.length - 14;
    if (![16, 24, 32].includes(keyLength)) throw new SrtpError('bad-key-length', `master key||salt must be 30, 38 or 46 octets (AES-128/192/256 key + 14-octet salt), got ${ks.length}`);
    this.tagLength = policy.tagLength ?? 10;
    if (this.tagLength < 4 || this.tagLength > 20) throw new SrtpError('bad-tag-length', `the HMAC-SHA1 tag must be 4 to 20 octets, got ${this.tagLength}`);
    const masterKey = ks.subarray(0, keyLength);
    const masterSalt = ks.subarray(keyLength);
    this.rtp = {
      cipherKey: deriveSessionKey(masterKey, masterSalt, LABEL.rtpCipherKey, keyLength),
      authKey: deriveSessionKey(masterKey, masterSalt, LABEL.rtpAuthKey, 20),
      salt: deriveSessionKey(masterKey, masterSalt, LABEL.rtpSalt, 14),
    };
    this.rtcp = {
      cipherKey: deriveSessionKey(masterKey, masterSalt, LABEL.rtcpCipherKey, keyLength),
      authKey: deriveSessionKey(masterKey, masterSalt, LABEL.rtcpAuthKey, 20),
      salt: deriveSessionKey(masterKey, masterSalt, LABEL.rtcpSalt, 14),
    };
    this.mki = ZERO;
    if (policy.mki) {
      const { value, length } = policy.mki;
      const mki = Buffer.alloc(length);
      let v = value;
      for (let i = length - 1; i >= 0 && v > 0; i--) {
        mki[i] = v % 256;
        v = Math.floor(v / 256);
      }
      this.mki = mki;
    }
  }

  /** The rollover counter of an SSRC (0 before its first authenticated packet). */
  rolloverCounter(ssrc: number): number {
    const s = this.rtpStreams.get(ssrc >>> 0);
    return s && s.replay.highestIndex >= 0 ? Math.floor(s.replay.highestIndex / 65536) : 0;
  }

  /** The highest authenticated packet index (ROC * 2^16 + SEQ) of an SSRC, -1 before its first. */
  highestIndex(ssrc: number): number {
    return this.rtpStreams.get(ssrc >>> 0)?.replay.highestIndex ?? -1;
  }

  /**
   * RFC 3711 §3.3.1 / Appendix A: the index of a packet with sequence number
   * `seq` given the highest index `highest` seen (-1: none; the first packet
   * starts at ROC 0). Negative when it would fall before ROC 0.
   */
  static estimateIndex(highest: number, seq: number): number {
    if (highest < 0) return seq;
    const roc = Math.floor(highest / 65536);
    const sl = highest % 65536;
    let v = roc;
    if (sl < 32768) {
      if (seq - sl > 32768) v = roc - 1;
    } else if (sl - 32768 > seq) {
      v = roc + 1;
    }
    return v * 65536 + seq;
  }

  /** Authenticates (before anything else is trusted), then decrypts an SRTP packet into the plain RTP packet. */
  unprotect(data: Uint8Array): UnprotectResult {
    const pkt = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const trailer = this.tagLength + this.mki.length;
    const authLen = pkt.length - trailer;
    const hl = rtpHeaderLength(pkt, Math.max(0, authLen));
    if (typeof hl !== 'number') return { ok: false, reason: 'malformed', detail: `${hl.message} (with a ${trailer}-octet SRTP trailer)` };
    if (this.mki.length && !timingSafeEqual(pkt.subarray(authLen, authLen + this.mki.length), this.mki)) {
      return { ok: false, reason: 'unknown-mki', detail: 'the MKI is not the one negotiated in a=crypto' };
    }
    const ssrc = pkt.readUInt32BE(8);
    const seq = pkt.readUInt16BE(2);
    const state = this.rtpStreams.get(ssrc);
    const index = SrtpContext.estimateIndex(state?.replay.highestIndex ?? -1, seq);
    if (index < 0) return { ok: false, reason: 'too-old', detail: `sequence ${seq} would fall before rollover counter 0` };
    if (index >= 2 ** 48) return { ok: false, reason: 'malformed', detail: 'the packet index passed 2^48 (RFC 3711 §9.2: rekey)' };
    if (state) {
      const verdict = state.replay.check(index);
      if (verdict !== 'ok') return { ok: false, reason: verdict, detail: `index ${index} (ROC ${Math.floor(index / 65536)}, SEQ ${seq}) ${verdict === 'replayed' ? 'was already received' : 'is behind the 64-packet replay window'}` };
    }
    const roc = Math.floor(index / 65536);
    const tag = this.rtpTag(pkt.subarray(0, authLen), roc);
    if (!timingSafeEqual(tag, pkt.subarray(pkt.length - this.tagLength))) {
      return { ok: false, reason: 'auth-failed', detail: `HMAC-SHA1 tag mismatch for SSRC ${ssrc} SEQ ${seq} (ROC ${roc})` };
    }
    const plain = Buffer.concat([pkt.subarray(0, hl), aesCm(this.rtp.cipherKey, packetIv(this.rtp.salt, ssrc, index), pkt.subarray(hl, authLen))]);
    this.touch(this.rtpStreams, ssrc).replay.accept(index);
    return { ok: true, packet: plain, index, ssrc };
  }

  /**
   * Encrypts and authenticates an RTP packet (the sender side). The index is
   * estimated from the SSRC's highest index like a receiver would, or set by
   * `roc` (then the packet's index is roc * 2^16 + SEQ).
   */
  protect(data: Uint8Array, opts: { roc?: number } = {}): Buffer {
    const pkt = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const hl = rtpHeaderLength(pkt);
    if (typeof hl !== 'number') throw new SrtpError('malformed-rtp', hl.message);
    const ssrc = pkt.readUInt32BE(8);
    const seq = pkt.readUInt16BE(2);
    const state = this.touch(this.rtpStreams, ssrc);
    const estimated = SrtpContext.estimateIndex(state.replay.highestIndex, seq);
    const index = opts.roc !== undefined ? opts.roc * 65536 + seq : estimated < 0 ? seq : estimated;
    if (index > state.replay.highestIndex) state.replay.accept(index);
    const enc = Buffer.concat([pkt.subarray(0, hl), aesCm(this.rtp.cipherKey, packetIv(this.rtp.salt, ssrc, index), pkt.subarray(hl))]);
    return Buffer.concat([enc, this.mki, this.rtpTag(enc, Math.floor(index / 65536))]);
  }

  /** SRTCP (RFC 3711 §3.4): checks the tag over header || payload || E|index, then decrypts when E is set. */
  unprotectRtcp(data: Uint8Array): UnprotectResult {
    const pkt = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const trailer = 4 + this.mki.length + this.tagLength;
    if (pkt.length < 8 + trailer) return { ok: false, reason: 'malformed', detail: `an SRTCP packet needs at least ${8 + trailer} octets, got ${pkt.length}` };
    if ((pkt[0] ?? 0) >> 6 !== 2) return { ok: false, reason: 'malformed', detail: `RTCP version must be 2 (RFC 3550 §6.4.1), got ${(pkt[0] ?? 0) >> 6}` };
    const authLen = pkt.length - this.mki.length - this.tagLength;
    if (this.mki.length && !timingSafeEqual(pkt.subarray(authLen, authLen + this.mki.length), this.mki)) {
      return { ok: false, reason: 'unknown-mki', detail: 'the MKI is not the one negotiated in a=crypto' };
    }
    const eIndex = pkt.readUInt32BE(authLen - 4);
    const encrypted = eIndex >>> 31 === 1;
    const index = eIndex & 0x7fffffff;
    const ssrc = pkt.readUInt32BE(4);
    const state = this.rtcpStreams.get(ssrc);
    if (state) {
      const verdict = state.replay.check(index);
      if (verdict !== 'ok') return { ok: false, reason: verdict, detail: `SRTCP index ${index} ${verdict === 'replayed' ? 'was already received' : 'is behind the replay window'}` };
    }
    const tag = createHmac('sha1', this.rtcp.authKey).update(pkt.subarray(0, authLen)).digest().subarray(0, this.tagLength);
    if (!timingSafeEqual(tag, pkt.subarray(authLen + this.mki.length))) {
      return { ok: false, reason: 'auth-failed', detail: `SRTCP HMAC-SHA1 tag mismatch for SSRC ${ssrc} index ${index}` };
    }
    const body = pkt.subarray(8, authLen - 4);
    const plain = Buffer.concat([pkt.subarray(0, 8), encrypted ? aesCm(this.rtcp.cipherKey, packetIv(this.rtcp.salt, ssrc, index), body) : body]);
    this.touch(this.rtcpStreams, ssrc).replay.accept(index);
    return { ok: true, packet: plain, index, ssrc };
  }

  /** Protects an RTCP compound packet; the SRTCP index counts from 1 per SSRC unless given. */
  protectRtcp(data: Uint8Array, opts: { index?: number; encrypt?: boolean } = {}): Buffer {
    const pkt = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (pkt.length < 8) throw new SrtpError('malformed-rtcp', `an RTCP packet needs at least 8 octets, got ${pkt.length}`);
    const ssrc = pkt.readUInt32BE(4);
    const index = opts.index ?? (this.sendRtcpIndex.get(ssrc) ?? 0) + 1;
    this.sendRtcpIndex.set(ssrc, index);
    const encrypt = opts.encrypt ?? true;
    const body = pkt.subarray(8);
    const e = Buffer.alloc(4);
    e.writeUInt32BE(((encrypt ? 0x80000000 : 0) | (index & 0x7fffffff)) >>> 0);
    const authed = Buffer.concat([pkt.subarray(0, 8), encrypt ? aesCm(this.rtcp.cipherKey, packetIv(this.rtcp.salt, ssrc, index), body) : body, e]);
    const tag = createHmac('sha1', this.rtcp.authKey).update(authed).digest().subarray(0, this.tagLength);
    return Buffer.concat([authed, this.mki, tag]);
  }

  /** RFC 3711 §4.2: HMAC-SHA1 over the authenticated portion || ROC, truncated. */
  private rtpTag(authenticated: Buffer, roc: number): Buffer {
    const r = Buffer.alloc(4);
    r.writeUInt32BE(roc >>> 0);
    return createHmac('sha1', this.rtp.authKey).update(authenticated).update(r).digest().subarray(0, this.tagLength);
  }

  private touch(map: Map<number, StreamState>, ssrc: number): StreamState {
    let s = map.get(ssrc);
    if (s) {
      map.delete(ssrc);
    } else {
      s = { replay: new ReplayWindow() };
      if (map.size >= MAX_SSRCS) {
        const oldest = map.keys().next().value;
        if (oldest !== undefined) map.delete(oldest);
      }
    }
    map.set(ssrc, s);
    return s;
  }
}
