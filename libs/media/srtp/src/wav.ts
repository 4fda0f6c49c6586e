/**
 * A streaming WAV writer for the recorder: RIFF/WAVE, PCM (format 1), 16-bit
 * little-endian, mono, 8000 Hz. The header goes first with sizes 0; at close the
 * caller writes finalHeader() over the first 44 octets. No I/O here.
 */
export const WAV_HEADER_LENGTH = 44;
export const WAV_SAMPLE_RATE = 8000;
/** The RIFF size field is 32 bits: past this many samples a WAV cannot grow. */
export const WAV_MAX_SAMPLES = Math.floor((0xffffffff - 36) / 2);

export function wavHeader(sampleCount: number, sampleRate = WAV_SAMPLE_RATE): Buffer {
  const dataBytes = sampleCount * 2;
  const h = Buffer.alloc(WAV_HEADER_LENGTH);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export class WavEncoder {
  private samples = 0;
  private dropped = 0;

  constructor(readonly sampleRate = WAV_SAMPLE_RATE) {}

  /** The header to write first: both sizes 0 (a player reading before close sees an empty file). */
  initialHeader(): Buffer {
    return wavHeader(0, this.sampleRate);
  }

  /** Samples as little-endian octets to append; past WAV_MAX_SAMPLES the rest is dropped and counted. */
  encode(samples: Int16Array): Buffer {
    const room = WAV_MAX_SAMPLES - this.samples;
    const n = Math.min(room, samples.length);
    this.dropped += samples.length - n;
    const out = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) out.writeInt16LE(samples[i] ?? 0, i * 2);
    this.samples += n;
    return out;
  }

  /** `count` samples of silence (zeros). */
  silence(count: number): Buffer {
    const n = Math.max(0, Math.min(WAV_MAX_SAMPLES - this.samples, count));
    this.dropped += count - n;
    this.samples += n;
    return Buffer.alloc(n * 2);
  }

  get samplesWritten(): number {
    return this.samples;
  }

  get samplesDropped(): number {
    return this.dropped;
  }

  /** The header with the final sizes, to write at offset 0. */
  finalHeader(): Buffer {
    return wavHeader(this.samples, this.sampleRate);
  }
}

export interface ParsedWav {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  samples: Int16Array;
}

/** Reads a PCM WAV back (tests, the inspection API); throws RangeError naming what is wrong. */
export function parseWav(buf: Buffer): ParsedWav {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new RangeError('not a RIFF/WAVE file');
  let at = 12;
  let fmt: Omit<ParsedWav, 'samples'> | undefined;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new RangeError('fmt chunk too short');
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bitsPerSample: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new RangeError('data chunk before fmt chunk');
      if (fmt.format !== 1 || fmt.bitsPerSample !== 16) throw new RangeError(`only 16-bit PCM is read, got format ${fmt.format} with ${fmt.bitsPerSample} bits`);
      if (body + size > buf.length) throw new RangeError(`data chunk says ${size} octets, the file holds ${buf.length - body}`);
      const samples = new Int16Array(Math.floor(size / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { ...fmt, samples };
    }
    at = body + size + (size % 2);
  }
  throw new RangeError('no data chunk');
}
