import fc from 'fast-check';
import { alawToLinear, decodeG711, encodeG711, linearToAlaw, linearToUlaw, packetize, parseWav, pcm16Wav, sineAlaw, sineSamples, sineUlaw, ulawToLinear } from './g711';

const allCodes = Array.from({ length: 256 }, (_, i) => i);

describe('G.711 μ-law', () => {
  it('decodes the ITU-T G.711 end points and first steps', () => {
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x7f)).toBe(0);
    expect(ulawToLinear(0x00)).toBe(-32124);
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(ulawToLinear(0xfe)).toBe(8); // 14-bit value 2
    expect(ulawToLinear(0x7e)).toBe(-8);
    expect(ulawToLinear(0xef)).toBe(132); // start of segment 1: 14-bit 33
    expect(ulawToLinear(0xf0)).toBe(120); // top of segment 0: 14-bit 30
  });

  it('decodes monotonically: codes 0x00…0x7F rise to 0 and 0x80…0xFF fall to 0', () => {
    const negatives = allCodes.filter((c) => c < 0x80).map(ulawToLinear);
    const positives = allCodes.filter((c) => c >= 0x80).map(ulawToLinear);
    for (let i = 1; i < 128; i++) {
      expect(negatives[i]!).toBeGreaterThan(negatives[i - 1]!);
      expect(positives[i]!).toBeLessThan(positives[i - 1]!);
    }
  });

  it('encodes every decoded value back to its code (0x7F, negative zero, comes back as 0xFF)', () => {
    for (const c of allCodes) expect(linearToUlaw(ulawToLinear(c))).toBe(c === 0x7f ? 0xff : c);
  });

  it('encodes any 16-bit sample within its quantisation interval, clipping the extremes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), (x) => {
        const y = ulawToLinear(linearToUlaw(x));
        const target = Math.max(-32124, Math.min(32124, x));
        return Math.abs(y - target) <= Math.abs(target) / 16 + 9 && (y === 0 || Math.sign(y) === Math.sign(x));
      }),
    );
  });
});

describe('G.711 A-law', () => {
  it('decodes the ITU-T G.711 end points and first steps', () => {
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0x55)).toBe(-8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(alawToLinear(0x2a)).toBe(-32256);
    expect(alawToLinear(0xd4)).toBe(24);
    expect(alawToLinear(0xc5)).toBe(264); // segment 1 starts at 13-bit 32 (+ half step)
  });

  it('decodes to 256 distinct values, symmetric around zero', () => {
    const values = allCodes.map(alawToLinear);
    expect(new Set(values).size).toBe(256);
    for (const c of allCodes) expect(alawToLinear(c ^ 0x80)).toBe(-alawToLinear(c));
  });

  it('encodes every decoded value back to its code', () => {
    for (const c of allCodes) expect(linearToAlaw(alawToLinear(c))).toBe(c);
  });

  it('encodes any 16-bit sample within its quantisation interval, clipping the extremes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), (x) => {
        const y = alawToLinear(linearToAlaw(x));
        const target = Math.max(-32256, Math.min(32256, x));
        return Math.abs(y - target) <= Math.abs(target) / 16 + 9;
      }),
    );
  });
});

describe('test audio helpers', () => {
  it('makes 8 kHz sines: one byte per sample, 160 per 20 ms packet', () => {
    const u = sineUlaw(1, 440);
    expect(u.length).toBe(8000);
    expect(sineAlaw(0.02, 1000).length).toBe(160);
    expect(packetize(u).map((p) => p.length)).toEqual(new Array(50).fill(160));
    expect(packetize(u.subarray(0, 170)).map((p) => p.length)).toEqual([160, 10]);
  });

  it('decodes a μ-law sine back to the source within G.711 quantisation', () => {
    const source = sineSamples(0.1, 440, 0.5);
    const decoded = decodeG711(sineUlaw(0.1, 440, 0.5), 'ulaw');
    expect(decoded.length).toBe(source.length);
    for (let i = 0; i < source.length; i++) expect(Math.abs(decoded[i]! - source[i]!)).toBeLessThanOrEqual(Math.abs(source[i]!) / 16 + 9);
    expect(Math.max(...decoded)).toBeGreaterThan(15000);
  });

  it('round-trips payload bytes through decode and encode', () => {
    const payload = Buffer.from(allCodes.filter((c) => c !== 0x7f));
    expect(encodeG711(decodeG711(payload, 'ulaw'), 'ulaw').equals(payload)).toBe(true);
    const all = Buffer.from(allCodes);
    expect(encodeG711(decodeG711(all, 'alaw'), 'alaw').equals(all)).toBe(true);
  });

  it('refuses nonsense parameters', () => {
    expect(() => sineUlaw(-1, 440)).toThrow(/seconds/);
    expect(() => packetize(Buffer.alloc(10), 0)).toThrow(/bytesPerPacket/);
  });
});

describe('WAV helpers', () => {
  it('writes and reads back a 16-bit PCM WAV', () => {
    const samples = decodeG711(sineUlaw(0.05, 440), 'ulaw');
    const wav = pcm16Wav(samples);
    expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.length).toBe(44 + samples.length * 2);
    const parsed = parseWav(wav);
    expect(parsed).toMatchObject({ format: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 });
    expect(Array.from(parsed.samples)).toEqual(Array.from(samples));
  });

  it('reads a μ-law WAV as decoded samples', () => {
    const pcm = pcm16Wav([]);
    const ulaw = Buffer.from([0x00, 0xff, 0x80]);
    const wav = Buffer.concat([pcm.subarray(0, 36), Buffer.from('data'), Buffer.from([3, 0, 0, 0]), ulaw, Buffer.alloc(1)]);
    wav.writeUInt16LE(7, 20);
    wav.writeUInt16LE(8, 34);
    expect(Array.from(parseWav(wav).samples)).toEqual([-32124, 0, 32124]);
  });

  it('names what is wrong with a file that is not a usable WAV', () => {
    expect(() => parseWav(Buffer.from('hello'))).toThrow(/not a RIFF\/WAVE/);
    expect(() => parseWav(pcm16Wav([1, 2, 3]).subarray(0, 46))).toThrow(/data is cut short|chunk data is cut short/);
  });
});
