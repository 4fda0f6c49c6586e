// ITU-T G.711 μ-law and A-law, written from the Recommendation's segment tables
// for tests: an oracle independent of the code under test. Linear samples are
// 16-bit two's complement (the usual scaling of the reference decoder: μ-law
// 14-bit values × 4, A-law 13-bit values × 8), so μ-law decodes to ±32124 at
// most and A-law to ±32256. Encoding truncates to the quantisation interval
// (as the reference encoders do); decoding returns the interval's midpoint.

const SAMPLE_RATE = 8000;

/** μ-law code → 16-bit linear sample. 0xFF and 0x7F are both zero. */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff; // codes are transmitted with every bit inverted
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  // 14-bit magnitude: ((2m + 33) · 2^e) − 33, the interval's midpoint (bias 33).
  const magnitude = (((2 * mantissa + 33) << exponent) - 33) * 4;
  return u & 0x80 && magnitude !== 0 ? -magnitude : magnitude;
}

/** 16-bit linear sample → μ-law code (positive zero is 0xFF). */
export function linearToUlaw(sample: number): number {
  const s = clamp16(sample);
  const negative = s < 0;
  // 14-bit magnitude, clipped to the largest the code can carry, then biased by 33
  // so that segment e holds the biased magnitudes 2^(e+5) … 2^(e+6) − 1.
  const magnitude = Math.min(Math.abs(s) >> 2, 8158) + 33; // 8158 + 33 = 8191, the top of segment 7
  let exponent = 0;
  while (exponent < 7 && magnitude > (64 << exponent) - 1) exponent++;
  const mantissa = (magnitude >> (exponent + 1)) & 0x0f;
  const code = (exponent << 4) | mantissa;
  return (negative ? code | 0x80 : code) ^ 0xff;
}

/** A-law code → 16-bit linear sample (0xD5 → 8, 0x55 → −8). */
export function alawToLinear(byte: number): number {
  const a = (byte & 0xff) ^ 0x55; // even bits are inverted on the line
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  // 13-bit magnitude × 8: segment 0 is linear, segment e ≥ 1 starts at 2^(e+4) (16-bit: 2^(e+7)).
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

/** 16-bit linear sample → A-law code. */
export function linearToAlaw(sample: number): number {
  const s = clamp16(sample) >> 3; // 13-bit, floored
  const positive = s >= 0;
  const magnitude = positive ? s : -s - 1; // −1 … −4096 map onto the magnitudes 0 … 4095
  let exponent = 0;
  while (exponent < 7 && magnitude > (32 << exponent) - 1) exponent++;
  const mantissa = (exponent < 2 ? magnitude >> 1 : magnitude >> exponent) & 0x0f;
  const code = (exponent << 4) | mantissa;
  return (positive ? code | 0x80 : code) ^ 0x55;
}

/** Decodes a G.711 payload into 16-bit samples. */
export function decodeG711(payload: Buffer, law: 'ulaw' | 'alaw'): Int16Array {
  const decode = law === 'ulaw' ? ulawToLinear : alawToLinear;
  const out = new Int16Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = decode(payload[i] ?? 0);
  return out;
}

/** Encodes 16-bit samples as a G.711 payload. */
export function encodeG711(samples: ArrayLike<number>, law: 'ulaw' | 'alaw'): Buffer {
  const encode = law === 'ulaw' ? linearToUlaw : linearToAlaw;
  const out = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = encode(samples[i] ?? 0);
  return out;
}

/** `seconds` of a sine at `hz` (8 kHz, amplitude `amplitude` of full scale, default 0.5) as 16-bit samples. */
export function sineSamples(seconds: number, hz: number, amplitude = 0.5): Int16Array {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new RangeError(`seconds must be a finite number ≥ 0, got ${seconds}`);
  if (!(amplitude >= 0 && amplitude <= 1)) throw new RangeError(`amplitude must be within 0..1, got ${amplitude}`);
  const n = Math.round(seconds * SAMPLE_RATE);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.sin((2 * Math.PI * hz * i) / SAMPLE_RATE) * amplitude * 32767);
  return out;
}

/** `seconds` of a sine at `hz` as μ-law bytes (8 kHz): one byte per sample, 160 per 20 ms packet. */
export function sineUlaw(seconds: number, hz: number, amplitude = 0.5): Buffer {
  return encodeG711(sineSamples(seconds, hz, amplitude), 'ulaw');
}

/** `seconds` of a sine at `hz` as A-law bytes (8 kHz). */
export function sineAlaw(seconds: number, hz: number, amplitude = 0.5): Buffer {
  return encodeG711(sineSamples(seconds, hz, amplitude), 'alaw');
}

/** Splits a payload into packets of `bytesPerPacket` (default 160: 20 ms of G.711); the last may be shorter. */
export function packetize(payload: Buffer, bytesPerPacket = 160): Buffer[] {
  if (!Number.isInteger(bytesPerPacket) || bytesPerPacket < 1) throw new RangeError(`bytesPerPacket must be a positive integer, got ${bytesPerPacket}`);
  const out: Buffer[] = [];
  for (let i = 0; i < payload.length; i += bytesPerPacket) out.push(payload.subarray(i, i + bytesPerPacket));
  return out;
}

function clamp16(sample: number): number {
  if (Number.isNaN(sample)) return 0;
  return Math.max(-32768, Math.min(32767, Math.trunc(sample)));
}

export interface WavAudio {
  /** 1 = PCM, 6 = A-law, 7 = μ-law (WAVE_FORMAT_*). */
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** The data chunk as 16-bit samples (G.711 decoded; PCM 16-bit as is), channels interleaved. */
  samples: Int16Array;
  /** The data chunk's bytes. */
  data: Buffer;
}

/** Reads a RIFF/WAVE file (PCM 16-bit or G.711), for asserting on what a recorder wrote. Throws naming what is wrong. */
export function parseWav(file: Buffer): WavAudio {
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let fmt: { format: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  let data: Buffer | undefined;
  for (let off = 12; off + 8 <= file.length; ) {
    const id = file.toString('latin1', off, off + 4);
    const size = file.readUInt32LE(off + 4);
    const body = file.subarray(off + 8, off + 8 + size);
    if (body.length < size) throw new Error(`WAV chunk ${id} is cut short: ${body.length} of ${size} bytes`);
    if (id === 'fmt ') {
      if (size < 16) throw new Error(`WAV fmt chunk is ${size} bytes, needs 16`);
      fmt = { format: body.readUInt16LE(0), channels: body.readUInt16LE(2), sampleRate: body.readUInt32LE(4), bitsPerSample: body.readUInt16LE(14) };
    } else if (id === 'data') {
      data = body;
    }
    off += 8 + size + (size % 2);
  }
  if (!fmt) throw new Error('WAV has no fmt chunk');
  if (!data) throw new Error('WAV has no data chunk');
  let samples: Int16Array;
  if (fmt.format === 1 && fmt.bitsPerSample === 16) {
    samples = new Int16Array(Math.floor(data.length / 2));
    for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
  } else if ((fmt.format === 6 || fmt.format === 7) && fmt.bitsPerSample === 8) {
    samples = decodeG711(data, fmt.format === 7 ? 'ulaw' : 'alaw');
  } else {
    throw new Error(`WAV format ${fmt.format} with ${fmt.bitsPerSample} bits per sample is not supported (PCM 16-bit, A-law or μ-law)`);
  }
  return { ...fmt, samples, data };
}

/** A mono 16-bit PCM WAV of `samples` (default 8 kHz). */
export function pcm16Wav(samples: ArrayLike<number>, sampleRate = SAMPLE_RATE): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(clamp16(samples[i] ?? 0), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
