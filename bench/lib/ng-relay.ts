// An rtpengine "set" for the benchmarks: one ng address in front of several
// rtpengine processes, each call pinned to one of them by a hash of its
// call-id (what Kamailio's rtpengine module does with a set of rtpengines).
// Needed only because one rtpengine process cannot hold 5,000 recorded calls
// here: userspace rtpengine keeps one socket per media port (8 per SIPREC
// call) and this machine's hard limit is 20,000 open files per process.
//
// The ng datagram is `<cookie> <bencoded dictionary>`; the relay reads the
// dictionary's top-level `call-id`, forwards the datagram unchanged, and sends
// the reply (same cookie) back to whoever asked. A command without a call-id
// (ping) goes to the first rtpengine.
import { createHash } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';

export interface NgRelay {
  port: number;
  /** Commands forwarded per rtpengine. */
  forwarded: number[];
  close(): Promise<void>;
}

/** The top-level `call-id` of a bencoded dictionary starting at `i`, or undefined. */
export function bencodeCallId(buf: Buffer, start: number): string | undefined {
  let i = start;
  const readString = (): string => {
    const colon = buf.indexOf(0x3a, i);
    const len = Number(buf.toString('latin1', i, colon));
    if (colon < 0 || !Number.isInteger(len) || len < 0) throw new Error('bad string');
    const s = buf.toString('utf8', colon + 1, colon + 1 + len);
    i = colon + 1 + len;
    return s;
  };
  const skip = (): void => {
    const c = buf[i];
    if (c === 0x69) {
      i = buf.indexOf(0x65, i) + 1; // i<digits>e
      if (i === 0) throw new Error('bad integer');
    } else if (c === 0x6c || c === 0x64) {
      i++;
      while (buf[i] !== 0x65) {
        if (i >= buf.length) throw new Error('truncated');
        skip();
      }
      i++;
    } else readString();
  };
  if (buf[i] !== 0x64) return undefined;
  i++;
  try {
    while (i < buf.length && buf[i] !== 0x65) {
      const key = readString();
      if (key === 'call-id') return readString();
      skip();
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export async function startNgRelay(shards: { host: string; port: number }[]): Promise<NgRelay> {
  const sock = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
  const waiting = new Map<string, { rinfo: RemoteInfo; at: number }>();
  const forwarded = shards.map(() => 0);
  const isShard = (r: RemoteInfo) => shards.some((s) => s.port === r.port && s.host === r.address);
  sock.on('message', (msg, rinfo) => {
    const space = msg.indexOf(0x20);
    if (space <= 0) return;
    const cookie = msg.toString('latin1', 0, space);
    if (isShard(rinfo)) {
      const w = waiting.get(cookie);
      if (!w) return;
      waiting.delete(cookie);
      sock.send(msg, w.rinfo.port, w.rinfo.address);
      return;
    }
    const callId = bencodeCallId(msg, space + 1);
    const n = callId === undefined ? 0 : createHash('sha1').update(callId).digest().readUInt32BE(0) % shards.length;
    waiting.set(cookie, { rinfo, at: Date.now() });
    forwarded[n]!++;
    const s = shards[n]!;
    sock.send(msg, s.port, s.host);
  });
  // Replies that never came (rtpengine-client retransmits with the same cookie): forget after 30 s.
  const sweep = setInterval(() => {
    const old = Date.now() - 30_000;
    for (const [k, w] of waiting) if (w.at < old) waiting.delete(k);
  }, 10_000);
  sweep.unref();
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return {
    port: sock.address().port,
    forwarded,
    close: () =>
      new Promise<void>((r) => {
        clearInterval(sweep);
        sock.close(() => r());
      }),
  };
}
