import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

// An SRTP sender for tests, written from RFC 3711 alone with node:crypto, so that
// the recorder's decoder is checked against code that shares nothing with it.
// Only what SIPREC offers here: AES_CM_128_HMAC_SHA1_80 (RFC 4568 SDES), key
// derivation rate 0, no MKI, SRTP only (no SRTCP). Its spec checks it against the
// RFC 3711 Appendix B.2 (AES-CM keystream) and B.3 (key derivation) test vectors.

const MASTER_KEY_LENGTH = 16;
const MASTER_SALT_LENGTH = 14;
const AUTH_KEY_LENGTH = 20; // n_a = 160 bits for HMAC-SHA1 (§8.2)
const AUTH_TAG_LENGTH = 10; // n_tag = 80 bits (AES_CM_128_HMAC_SHA1_80)
const RTP_HEADER_LENGTH = 12;

/** The key derivation labels of RFC 3711 §4.3.2 (SRTP). */
const LABEL = { encryption: 0x00, authentication: 0x01, salt: 0x02 } as const;

/**
 * AES in counter mode (RFC 3711 §4.1.1): keystream block j is AES_key(IV + j),
 * IV a 128-bit big-endian integer, j counting from 0; the last block is cut to `length`.
 */
export function aesCmKeystream(key: Buffer, iv: Buffer, length: number): Buffer {
  if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
  if (iv.length !== 16) throw new RangeError(`IV must be 16 bytes, got ${iv.length}`);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  const blocks = Math.ceil(length / 16);
  const counters = Buffer.alloc(blocks * 16);
  let counter = BigInt('0x' + iv.toString('hex'));
  const mod = 1n << 128n;
  for (let j = 0; j < blocks; j++) {
    counters.write(counter.toString(16).padStart(32, '0'), j * 16, 'hex');
    counter = (counter + 1n) % mod;
  }
  // ECB over the counter blocks is exactly "encrypt each counter block".
  const ecb = createCipheriv('aes-128-ecb', key, null);
  ecb.setAutoPadding(false);
  return Buffer.concat([ecb.update(counters), ecb.final()]).subarray(0, length);
}

/**
 * The SRTP session keys of RFC 3711 §4.3 for key derivation rate 0 (so r = index DIV kdr = 0):
 * for each label, x = (label || r) XOR master salt, and the key is the first n bits of
 * AES-CM(master key, IV = x · 2^16).
 */
export function deriveSrtpKeys(masterKey: Buffer, masterSalt: Buffer): { encKey: Buffer; authKey: Buffer; salt: Buffer } {
  if (masterKey.length !== MASTER_KEY_LENGTH) throw new RangeError(`master key must be ${MASTER_KEY_LENGTH} bytes, got ${masterKey.length}`);
  if (masterSalt.length !== MASTER_SALT_LENGTH) throw new RangeError(`master salt must be ${MASTER_SALT_LENGTH} bytes, got ${masterSalt.length}`);
  const prf = (label: number, length: number) => {
    // key_id = label (8 bits) || r (48 bits, zero here), right-aligned against the 112-bit salt.
    const x = Buffer.from(masterSalt);
    x[7] = (x[7] ?? 0) ^ label;
    const iv = Buffer.concat([x, Buffer.alloc(2)]); // x · 2^16
    return aesCmKeystream(masterKey, iv, length);
  };
  return {
    encKey: prf(LABEL.encryption, MASTER_KEY_LENGTH),
    authKey: prf(LABEL.authentication, AUTH_KEY_LENGTH),
    salt: prf(LABEL.salt, MASTER_SALT_LENGTH),
  };
}

/**
 * The AES-CM IV of an SRTP packet (RFC 3711 §4.1.1):
 * IV = (k_s · 2^16) XOR (SSRC · 2^64) XOR (i · 2^16), i = 2^16 · ROC + SEQ.
 */
export function srtpIv(sessionSalt: Buffer, ssrc: number, rolloverCounter: number, sequenceNumber: number): Buffer {
  const iv = Buffer.alloc(16);
  sessionSalt.copy(iv, 0, 0, 14);
  const ssrcBytes = Buffer.alloc(4);
  ssrcBytes.writeUInt32BE(ssrc >>> 0);
  const index = Buffer.alloc(6);
  index.writeUInt32BE(rolloverCounter >>> 0, 0);
  index.writeUInt16BE(sequenceNumber & 0xffff, 4);
  for (let k = 0; k < 4; k++) iv[4 + k] = (iv[4 + k] ?? 0) ^ (ssrcBytes[k] ?? 0);
  for (let k = 0; k < 6; k++) iv[8 + k] = (iv[8 + k] ?? 0) ^ (index[k] ?? 0);
  return iv;
}

export interface SrtpSenderOptions {
  /** 16 bytes. */
  masterKey: Buffer;
  /** 14 bytes. */
  masterSalt: Buffer;
  ssrc: number;
  payloadType: number;
  /** First sequence number (default random, as RFC 3550 asks). */
  sequenceNumber?: number;
  /** First RTP timestamp (default random). */
  timestamp?: number;
  /** Starting ROC (default 0). */
  rolloverCounter?: number;
}

export interface ProtectOptions {
  marker?: boolean;
  /** How far the timestamp moves after this packet (default payload.length: one G.711 sample per byte). */
  timestampStep?: number;
}

/**
 * Makes SRTP packets (AES_CM_128_HMAC_SHA1_80) from payloads: RTP header (V=2, no
 * padding, extension or CSRC), encrypted payload, 80-bit HMAC-SHA1 tag over the
 * header, the encrypted payload and the ROC (§4.2).
 */
export class SrtpSender {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly keys: { encKey: Buffer; authKey: Buffer; salt: Buffer };
  private seq: number;
  private ts: number;
  private roc: number;

  constructor(opts: SrtpSenderOptions) {
    if (!Number.isInteger(opts.ssrc) || opts.ssrc < 0 || opts.ssrc > 0xffffffff) throw new RangeError(`ssrc must be a 32-bit unsigned integer, got ${opts.ssrc}`);
    if (!Number.isInteger(opts.payloadType) || opts.payloadType < 0 || opts.payloadType > 127) throw new RangeError(`payloadType must be 0-127, got ${opts.payloadType}`);
    const seq = opts.sequenceNumber ?? Math.floor(Math.random() * 0x10000);
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) throw new RangeError(`sequenceNumber must be 0-65535, got ${seq}`);
    const ts = opts.timestamp ?? Math.floor(Math.random() * 0x100000000);
    if (!Number.isInteger(ts) || ts < 0 || ts > 0xffffffff) throw new RangeError(`timestamp must be a 32-bit unsigned integer, got ${ts}`);
    const roc = opts.rolloverCounter ?? 0;
    if (!Number.isInteger(roc) || roc < 0 || roc > 0xffffffff) throw new RangeError(`rolloverCounter must be a 32-bit unsigned integer, got ${roc}`);
    this.keys = deriveSrtpKeys(opts.masterKey, opts.masterSalt);
    this.ssrc = opts.ssrc;
    this.payloadType = opts.payloadType;
    this.seq = seq;
    this.ts = ts;
    this.roc = roc;
  }

  /**
   * A sender keyed from an SDES `a=crypto` key (RFC 4568 §6.1): accepts the bare
   * base64 key||salt, `inline:<base64>[|lifetime][|MKI:len]`, or the whole
   * `a=crypto:<tag> AES_CM_128_HMAC_SHA1_80 inline:…` line.
   */
  static fromSdesInline(inline: string, opts: Omit<SrtpSenderOptions, 'masterKey' | 'masterSalt'>): SrtpSender {
    return new SrtpSender({ ...opts, ...parseSdesInline(inline) });
  }

  /** The next packet's sequence number. */
  get sequenceNumber(): number {
    return this.seq;
  }

  /** The next packet's RTP timestamp. */
  get timestamp(): number {
    return this.ts;
  }

  get rolloverCounter(): number {
    return this.roc;
  }

  /** The next packet's index i = 2^16 · ROC + SEQ. */
  get packetIndex(): bigint {
    return (BigInt(this.roc) << 16n) + BigInt(this.seq);
  }

  /** One SRTP packet carrying `payload`; then SEQ + 1 (ROC + 1 when SEQ wraps) and the timestamp + step. */
  protect(payload: Buffer, opts: ProtectOptions = {}): Buffer {
    const step = opts.timestampStep ?? payload.length;
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`timestampStep must be a non-negative integer, got ${step}`);
    const header = Buffer.alloc(RTP_HEADER_LENGTH);
    header[0] = 0x80; // V=2, P=0, X=0, CC=0
    header[1] = (opts.marker ? 0x80 : 0) | this.payloadType;
    header.writeUInt16BE(this.seq, 2);
    header.writeUInt32BE(this.ts, 4);
    header.writeUInt32BE(this.ssrc, 8);

    const keystream = aesCmKeystream(this.keys.encKey, srtpIv(this.keys.salt, this.ssrc, this.roc, this.seq), payload.length);
    const encrypted = Buffer.alloc(payload.length);
    for (let k = 0; k < payload.length; k++) encrypted[k] = (payload[k] ?? 0) ^ (keystream[k] ?? 0);

    const authenticated = Buffer.concat([header, encrypted]);
    const tag = srtpAuthTag(this.keys.authKey, authenticated, this.roc);

    this.seq = (this.seq + 1) & 0xffff;
    if (this.seq === 0) this.roc = (this.roc + 1) >>> 0;
    this.ts = (this.ts + step) >>> 0;
    return Buffer.concat([authenticated, tag]);
  }
}

/** The 80-bit SRTP tag (§4.2): HMAC-SHA1(auth key, authenticated portion || ROC), first 10 bytes. */
export function srtpAuthTag(authKey: Buffer, authenticatedPortion: Buffer, rolloverCounter: number): Buffer {
  const roc = Buffer.alloc(4);
  roc.writeUInt32BE(rolloverCounter >>> 0);
  return createHmac('sha1', authKey).update(authenticatedPortion).update(roc).digest().subarray(0, AUTH_TAG_LENGTH);
}

/** The SDES key parameter for a master key and salt: base64(key || salt), 40 characters. */
export function sdesInline(masterKey: Buffer, masterSalt: Buffer): string {
  if (masterKey.length !== MASTER_KEY_LENGTH || masterSalt.length !== MASTER_SALT_LENGTH) throw new RangeError(`need a ${MASTER_KEY_LENGTH}-byte key and a ${MASTER_SALT_LENGTH}-byte salt`);
  return Buffer.concat([masterKey, masterSalt]).toString('base64');
}

/** Master key and salt from an SDES key parameter (see SrtpSender.fromSdesInline for the forms accepted). */
export function parseSdesInline(inline: string): { masterKey: Buffer; masterSalt: Buffer } {
  let value = inline.trim();
  const at = value.indexOf('inline:');
  if (at >= 0) {
    const before = value.slice(0, at);
    if (before.length > 0 && !/AES_CM_128_HMAC_SHA1_(80|32)\s+$/.test(before)) throw new Error(`not an AES_CM_128_HMAC_SHA1 crypto attribute: ${inline}`);
    value = value.slice(at + 'inline:'.length);
  }
  value = value.split(/[|\s;]/)[0] ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw new Error(`SDES key is not base64: ${value}`);
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== MASTER_KEY_LENGTH + MASTER_SALT_LENGTH) throw new Error(`SDES key||salt must be ${MASTER_KEY_LENGTH + MASTER_SALT_LENGTH} bytes, got ${raw.length}`);
  return { masterKey: raw.subarray(0, MASTER_KEY_LENGTH), masterSalt: raw.subarray(MASTER_KEY_LENGTH) };
}

/** A fresh random master key and salt (node:crypto). */
export function randomSrtpMaster(): { masterKey: Buffer; masterSalt: Buffer } {
  return { masterKey: randomBytes(MASTER_KEY_LENGTH), masterSalt: randomBytes(MASTER_SALT_LENGTH) };
}
