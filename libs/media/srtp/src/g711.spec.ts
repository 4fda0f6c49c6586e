import { alawToLinear, decodeG711, linearToAlaw, linearToMulaw, mulawToLinear } from './g711';

describe('G.711 decoding (ITU-T G.711)', () => {
  it('decodes the μ-law anchors', () => {
    expect(mulawToLinear(0xff)).toBe(0);
    expect(mulawToLinear(0x7f)).toBe(0);
    expect(mulawToLinear(0x00)).toBe(-32124);
    expect(mulawToLinear(0x80)).toBe(32124);
    expect(mulawToLinear(0xfe)).toBe(8);
    expect(mulawToLinear(0x7e)).toBe(-8);
    expect(mulawToLinear(0xef)).toBe(132); // first step of segment 1: (0x84 << 1) − 0x84
  });

  it('decodes the A-law anchors', () => {
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0x55)).toBe(-8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(alawToLinear(0x2a)).toBe(-32256);
    expect(alawToLinear(0x80)).toBe(5504);
  });

  it('is odd-symmetric: the sign bit only flips the sign', () => {
    for (let b = 0; b < 128; b++) {
      expect(mulawToLinear(b) + mulawToLinear(b | 0x80)).toBe(0);
      expect(alawToLinear(b) + alawToLinear(b | 0x80)).toBe(0);
    }
  });

  it('is monotonic across the 128 magnitudes of each law', () => {
    const mu = Array.from({ length: 128 }, (_, i) => mulawToLinear(0xff - i));
    const a = Array.from({ length: 128 }, (_, i) => alawToLinear((0x80 | i) ^ 0x55));
    for (let i = 1; i < 128; i++) expect(mu[i]!).toBeGreaterThan(mu[i - 1]!);
    const sorted = [...a].sort((x, y) => x - y);
    expect(new Set(sorted).size).toBe(128);
  });

  it('encoders invert the decoders on every code point', () => {
    for (let b = 0; b < 256; b++) {
      expect(mulawToLinear(linearToMulaw(mulawToLinear(b)))).toBe(mulawToLinear(b));
      expect(linearToAlaw(alawToLinear(b))).toBe(b);
    }
  });

  it('decodeG711 maps a payload octet by octet', () => {
    expect([...decodeG711('PCMU', Buffer.from([0xff, 0x00, 0x80]))]).toEqual([0, -32124, 32124]);
    expect([...decodeG711('PCMA', Buffer.from([0xd5, 0x2a]))]).toEqual([8, -32256]);
  });
});
