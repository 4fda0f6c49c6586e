// The demo call's audio: G.711 A-law (PCMA, payload type 8), 20 ms packets,
// sent as RTP from a UDP socket of each party to the port rtpengine gave it.
// The customer says the speech sample sipp ships (/usr/share/sip-tester/g711a.pcap),
// the seller answers with a tone melody, so the two WAVs are told apart by ear.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { DemoError } from './lib.mjs';

export const SAMPLE_RATE = 8000;
export const PACKET_SAMPLES = 160; // 20 ms
const PCMA = 8;

/**
 * The A-law payload bytes of every RTP packet of payload type 8 in a pcap
 * (classic libpcap format, Ethernet/IPv4/UDP or Linux cooked capture), in file order.
 */
export function alawFromPcap(file) {
  let buf;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new DemoError(`cannot read the demo's speech sample ${file} (${err.message}): it comes with sipp (apt-get install sip-tester)`);
  }
  if (buf.length < 24) throw new DemoError(`${file} is not a pcap file (${buf.length} bytes)`);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new DemoError(`${file} is not a classic pcap file (magic ${magic.toString(16)})`);
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20);
  const linkHeader = link === 1 ? 14 : link === 113 ? 16 : link === 0 ? 4 : undefined;
  if (linkHeader === undefined) throw new DemoError(`${file}: link type ${link} is not supported (Ethernet, Linux cooked or loopback)`);
  const out = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const len = u32(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    const ip = pkt.subarray(linkHeader);
    if (ip.length < 20 || ip[0] >> 4 !== 4 || ip[9] !== 17) continue; // IPv4, UDP
    const rtp = ip.subarray((ip[0] & 0x0f) * 4 + 8);
    if (rtp.length < 12 || rtp[0] >> 6 !== 2 || (rtp[1] & 0x7f) !== PCMA) continue;
    let start = 12 + (rtp[0] & 0x0f) * 4;
    if (rtp[0] & 0x10) start += 4 + rtp.readUInt16BE(start + 2) * 4; // header extension
    const end = rtp[0] & 0x20 ? rtp.length - rtp[rtp.length - 1] : rtp.length; // padding
    if (end > start) out.push(rtp.subarray(start, end));
  }
  if (out.length === 0) throw new DemoError(`${file} holds no PCMA (payload type 8) RTP packets`);
  return Buffer.concat(out);
}

/** ITU-T G.711 A-law of one 16-bit linear sample (segment search on the 13-bit magnitude). */
function linearToAlaw(sample) {
  let v = sample >> 3;
  let mask = 0xd5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v > (0x20 << seg) - 1) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const mantissa = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | mantissa) ^ mask;
}

/** A little melody (C major arpeggio, 220 ms notes with 30 ms rests) as A-law, `seconds` long. */
export function alawMelody(seconds) {
  const notes = [523.25, 659.25, 783.99, 1046.5, 783.99, 659.25];
  const n = Math.round(seconds * SAMPLE_RATE);
  const out = Buffer.alloc(n);
  const noteLen = 0.25 * SAMPLE_RATE;
  for (let i = 0; i < n; i++) {
    const inNote = i % noteLen;
    const f = notes[Math.floor(i / noteLen) % notes.length] ?? 440;
    const on = inNote < 0.22 * SAMPLE_RATE;
    // a short fade in and out per note: no clicks
    const env = on ? Math.min(1, inNote / 80, (0.22 * SAMPLE_RATE - inNote) / 80) : 0;
    out[i] = linearToAlaw(Math.round(9000 * env * Math.sin((2 * Math.PI * f * i) / SAMPLE_RATE)));
  }
  return out;
}

/** A UDP socket on loopback for one party's media. */
export async function mediaSocket() {
  const socket = createSocket('udp4');
  socket.on('message', () => undefined); // what the other side says arrives here; the recorder has it
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return { socket, port: socket.address().port };
}

/**
 * Sends `audio` (A-law bytes) as RTP to 127.0.0.1:`toPort` in real time, one 20 ms
 * packet at a time, paced on the clock (no drift over the call). Resolves with the
 * packets sent.
 */
export async function sendRtp(from, toPort, audio, ssrc) {
  const packets = Math.floor(audio.length / PACKET_SAMPLES);
  const t0 = performance.now();
  for (let i = 0; i < packets; i++) {
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = (i === 0 ? 0x80 : 0) | PCMA; // marker on the first packet
    header.writeUInt16BE(i & 0xffff, 2);
    header.writeUInt32BE((i * PACKET_SAMPLES) >>> 0, 4);
    header.writeUInt32BE(ssrc >>> 0, 8);
    from.socket.send(Buffer.concat([header, audio.subarray(i * PACKET_SAMPLES, (i + 1) * PACKET_SAMPLES)]), toPort, '127.0.0.1');
    const wait = t0 + (i + 1) * 20 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return packets;
}
