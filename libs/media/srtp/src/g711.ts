/**
 * G.711 (ITU-T Recommendation G.711, 1988) μ-law and A-law to 16-bit linear PCM.
 *
 * Hand-written from the standard: each is the dozen lines of bit arithmetic
 * that G.711's tables define (sign, 3-bit segment, 4-bit mantissa; even bits
 * inverted for A-law, all bits inverted for μ-law). Decoded values are the
 * 14-bit (μ-law) and 13-bit (A-law) code points scaled to 16 bits, the same
 * mapping every common implementation uses (μ-law 0x00 → -32124, A-law 0x55 → -8).
 */

/** μ-law octet → linear sample. */
export function mulawToLinear(octet: number): number {
  const u = ~octet & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? 0 - magnitude : magnitude; // 0 - 0 is +0: 0x7f decodes to 0, not -0
}

/** A-law octet → linear sample. */
export function alawToLinear(octet: number): number {
  const a = (octet ^ 0x55) & 0xff;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

const MULAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => mulawToLinear(i));
const ALAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

export type G711Encoding = 'PCMU' | 'PCMA';

/** Decodes a G.711 payload into one 16-bit sample per octet. */
export function decodeG711(encoding: G711Encoding, payload: Uint8Array): Int16Array {
  const table = encoding === 'PCMU' ? MULAW_TABLE : ALAW_TABLE;
  const out = new Int16Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = table[payload[i] ?? 0] ?? 0;
  return out;
}

/** Linear sample → μ-law octet (the G.711 encoder; for tests and tools). */
export function linearToMulaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.trunc(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s = Math.min(s, 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Linear sample → A-law octet (the G.711 encoder; for tests and tools). */
export function linearToAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.trunc(sample)));
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  s >>= 3; // 13-bit magnitude
  let exponent = 0;
  let mantissa: number;
  if (s < 32) {
    mantissa = s >> 1;
  } else {
    exponent = 1;
    while (s >= 64 && exponent < 7) {
      s >>= 1;
      exponent++;
    }
    mantissa = (s >> 1) & 0x0f;
  }
  return (sign | (exponent << 4) | mantissa) ^ 0x55;
}
