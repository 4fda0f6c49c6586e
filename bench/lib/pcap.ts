// Reads a classic pcap file (what `tcpdump -w` writes) of loopback UDP traffic:
// each packet's kernel timestamp (ms since the epoch), ports and payload. Only
// what the benchmarks capture on `lo` inside their network namespace: IPv4 UDP,
// link types Ethernet (Linux's lo), Linux cooked (SLL) or raw IP; anything else
// is skipped.
import { readFileSync } from 'node:fs';

export interface UdpPacket {
  /** ms since the epoch, from the capture (kernel) clock. */
  ts: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

const LINK_HEADER: Record<number, number> = { 1: 14, 113: 16, 101: 0, 12: 0 };

export function readPcapUdp(file: string): UdpPacket[] {
  const buf = readFileSync(file);
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    le = true;
    nano = magic === 0xa1b23c4d;
  } else if (buf.readUInt32BE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b23c4d) {
    le = false;
    nano = buf.readUInt32BE(0) === 0xa1b23c4d;
  } else throw new Error(`${file}: not a pcap file (magic ${magic.toString(16)})`);
  const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const linkType = u32(20);
  const linkLen = LINK_HEADER[linkType];
  if (linkLen === undefined) throw new Error(`${file}: link type ${linkType} not supported`);
  const out: UdpPacket[] = [];
  let at = 24;
  while (at + 16 <= buf.length) {
    const sec = u32(at);
    const frac = u32(at + 4);
    const incl = u32(at + 8);
    const start = at + 16;
    at = start + incl;
    if (at > buf.length) break; // cut short (tcpdump stopped mid-write)
    const ip = start + linkLen;
    if (incl < linkLen + 28 || buf[ip]! >> 4 !== 4 || buf[ip + 9] !== 17) continue;
    const udp = ip + (buf[ip]! & 0x0f) * 4;
    const udpLen = buf.readUInt16BE(udp + 4);
    const end = Math.min(start + incl, udp + udpLen);
    out.push({ ts: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3), srcPort: buf.readUInt16BE(udp), dstPort: buf.readUInt16BE(udp + 2), payload: buf.subarray(udp + 8, end) });
  }
  return out;
}
