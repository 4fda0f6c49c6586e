import { parseWav, WAV_HEADER_LENGTH, WavEncoder, wavHeader } from './wav';

describe('WavEncoder', () => {
  it('writes a placeholder header, little-endian samples and a final header that a reader accepts', () => {
    const enc = new WavEncoder();
    const first = enc.initialHeader();
    expect(first).toHaveLength(WAV_HEADER_LENGTH);
    expect(first.readUInt32LE(40)).toBe(0);
    const body = Buffer.concat([enc.encode(Int16Array.from([1, -1, 32767, -32768])), enc.silence(2), enc.encode(Int16Array.from([256]))]);
    expect(body.toString('hex')).toBe('0100' + 'ffff' + 'ff7f' + '0080' + '00000000' + '0001');
    expect(enc.samplesWritten).toBe(7);
    const file = Buffer.concat([enc.finalHeader(), body]);
    const wav = parseWav(file);
    expect(wav).toMatchObject({ format: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 });
    expect([...wav.samples]).toEqual([1, -1, 32767, -32768, 0, 0, 256]);
  });

  it('lays out the canonical 44-octet PCM header', () => {
    const h = wavHeader(8000);
    expect(h.toString('ascii', 0, 4)).toBe('RIFF');
    expect(h.readUInt32LE(4)).toBe(36 + 16000);
    expect(h.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect([h.readUInt32LE(16), h.readUInt16LE(20), h.readUInt16LE(22), h.readUInt32LE(24), h.readUInt32LE(28), h.readUInt16LE(32), h.readUInt16LE(34)]).toEqual([16, 1, 1, 8000, 16000, 2, 16]);
    expect(h.toString('ascii', 36, 40)).toBe('data');
    expect(h.readUInt32LE(40)).toBe(16000);
  });

  it('parseWav names what is wrong', () => {
    expect(() => parseWav(Buffer.from('nope'))).toThrow('not a RIFF/WAVE file');
    expect(() => parseWav(Buffer.concat([wavHeader(10), Buffer.alloc(4)]))).toThrow(/data chunk says 20 octets, the file holds 4/);
  });
});
