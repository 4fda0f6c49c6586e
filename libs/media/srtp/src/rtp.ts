/**
 * RTP (RFC 3550 §5.1) parsing and building, with every length checked against
 * the datagram: nothing here throws on any input.
 */

export interface RtpPacket {
  version: 2;
  padding: boolean;
  extension: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** the header extension (RFC 3550 §5.3.1), when X is set */
  headerExtension?: { profile: number; data: Buffer };
  /** the payload without padding */
  payload: Buffer;
  /** octets of padding removed (the last octet's count), 0 without P */
  paddingLength: number;
  /** fixed header + CSRCs + extension, in octets */
  headerLength: number;
}

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; code: string; message: string };

/**
 * Length of the RTP header (fixed part, CSRC list, extension) of `buf`, or a
 * reason it is not an RTP header that fits in the first `limit` octets.
 */
export function rtpHeaderLength(buf: Uint8Array, limit = buf.length): number | { code: string; message: string } {
  if (limit < 12) return { code: 'too-short', message: `an RTP header needs 12 octets, the packet has ${limit}` };
  const b0 = buf[0] ?? 0;
  if (b0 >> 6 !== 2) return { code: 'bad-version', message: `RTP version must be 2 (RFC 3550 §5.1), got ${b0 >> 6}` };
  const cc = b0 & 0x0f;
  let len = 12 + 4 * cc;
  if (len > limit) return { code: 'truncated-csrc', message: `CSRC count ${cc} needs ${len} octets, the packet has ${limit}` };
  if (b0 & 0x10) {
    if (len + 4 > limit) return { code: 'truncated-extension', message: 'the header extension header does not fit in the packet' };
    const words = ((buf[len + 2] ?? 0) << 8) | (buf[len + 3] ?? 0);
    len += 4 + 4 * words;
    if (len > limit) return { code: 'truncated-extension', message: `the header extension of ${words} words does not fit in the packet` };
  }
  return len;
}

/** Parses a (decrypted) RTP packet. */
export function parseRtp(data: Uint8Array): RtpParseResult {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const hl = rtpHeaderLength(buf);
  if (typeof hl !== 'number') return { ok: false, ...hl };
  const b0 = buf[0] ?? 0;
  const b1 = buf[1] ?? 0;
  const padding = (b0 & 0x20) !== 0;
  let paddingLength = 0;
  if (padding) {
    paddingLength = buf[buf.length - 1] ?? 0;
    if (paddingLength === 0) return { ok: false, code: 'bad-padding', message: 'P is set but the padding count (last octet) is 0 (RFC 3550 §5.1)' };
    if (paddingLength > buf.length - hl) return { ok: false, code: 'bad-padding', message: `padding count ${paddingLength} exceeds the ${buf.length - hl} octets after the header` };
  }
  const cc = b0 & 0x0f;
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(buf.readUInt32BE(12 + 4 * i));
  const packet: RtpPacket = {
    version: 2,
    padding,
    extension: (b0 & 0x10) !== 0,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    payload: buf.subarray(hl, buf.length - paddingLength),
    paddingLength,
    headerLength: hl,
  };
  if (packet.extension) {
    const at = 12 + 4 * cc;
    packet.headerExtension = { profile: buf.readUInt16BE(at), data: buf.subarray(at + 4, hl) };
  }
  return { ok: true, packet };
}

export interface RtpFields {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
  marker?: boolean;
  csrcs?: number[];
  headerExtension?: { profile: number; data: Uint8Array };
  /** octets of padding to append (1..255) */
  padding?: number;
}

/** Builds an RTP packet (the sender side, for tests and tools). */
export function buildRtp(f: RtpFields): Buffer {
  const csrcs = f.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
  const ext = f.headerExtension;
  if (ext && ext.data.length % 4 !== 0) throw new RangeError('header extension data must be a multiple of 4 octets');
  const pad = f.padding ?? 0;
  if (pad < 0 || pad > 255) throw new RangeError('padding must be 0..255 octets');
  const hl = 12 + 4 * csrcs.length + (ext ? 4 + ext.data.length : 0);
  const out = Buffer.alloc(hl + f.payload.length + pad);
  out[0] = 0x80 | (pad ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  out[1] = (f.marker ? 0x80 : 0) | (f.payloadType & 0x7f);
  out.writeUInt16BE(f.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(f.timestamp >>> 0, 4);
  out.writeUInt32BE(f.ssrc >>> 0, 8);
  csrcs.forEach((c, i) => out.writeUInt32BE(c >>> 0, 12 + 4 * i));
  if (ext) {
    const at = 12 + 4 * csrcs.length;
    out.writeUInt16BE(ext.profile & 0xffff, at);
    out.writeUInt16BE(ext.data.length / 4, at + 2);
    out.set(ext.data, at + 4);
  }
  out.set(f.payload, hl);
  if (pad) out[out.length - 1] = pad;
  return out;
}

/**
 * True when a datagram on a multiplexed port is RTCP, not RTP (RFC 5761 §4:
 * the second octet is 192..223, i.e. RTCP packet types 200..204 and friends).
 */
export function looksLikeRtcp(buf: Uint8Array): boolean {
  const b1 = buf[1];
  return buf.length >= 8 && b1 !== undefined && b1 >= 192 && b1 <= 223;
}

/** An RFC 4733 §2.3 telephone-event payload. */
export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

/** Parses an RFC 4733 named-event payload (4 octets; more are redundant blocks). */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4 || payload.length % 4 !== 0) return undefined;
  const b1 = payload[1] ?? 0;
  return { event: payload[0] ?? 0, end: (b1 & 0x80) !== 0, volume: b1 & 0x3f, duration: ((payload[2] ?? 0) << 8) | (payload[3] ?? 0) };
}
