// A minimal SIP caller (A) and callee (B) on raw UDP sockets in the benchmark
// process, so sip-signaling's own delay can be timed with a high-resolution
// clock (sipp's 4 ms ticks are too coarse): for each call the moments A sends
// the INVITE, B receives the B-leg INVITE, B sends its 200 and A receives the
// relayed 200 (performance.now(), taken right at the socket's send and
// 'message'). Only what a short call through a B2BUA needs: INVITE with SDP,
// 100 ignored, 200 → ACK, BYE → 200, 2xx retransmissions re-ACKed. Each side
// also has an RTP socket per call (the port in its SDP) and learns the port
// rtpengine gave it, for the media benchmark.
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface ParsedSip {
  first: string;
  status?: number;
  method?: string;
  headers: [string, string][];
  body: string;
  get(name: string): string | undefined;
  getAll(name: string): string[];
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type' };

export function parseSip(buf: Buffer): ParsedSip {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  const body = end >= 0 ? text.slice(end + 4) : '';
  const lines = head.split('\r\n');
  const first = lines[0] ?? '';
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    if (/^[ \t]/.test(l) && headers.length) {
      headers[headers.length - 1]![1] += ` ${l.trim()}`;
      continue;
    }
    const c = l.indexOf(':');
    if (c <= 0) continue;
    const raw = l.slice(0, c).trim().toLowerCase();
    headers.push([COMPACT[raw] ?? raw, l.slice(c + 1).trim()]);
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  return {
    first,
    ...(m ? { status: Number(m[1]) } : { method: first.split(' ')[0] ?? '' }),
    headers,
    body,
    get: (n) => headers.find(([k]) => k === n.toLowerCase())?.[1],
    // a header line may carry several comma-separated Via values: kept as lines (we copy them verbatim)
    getAll: (n) => headers.filter(([k]) => k === n.toLowerCase()).map(([, v]) => v),
  };
}

const tag = () => randomBytes(6).toString('hex');
const branch = () => `z9hG4bK${randomBytes(8).toString('hex')}`;
const uriOf = (nameAddr: string) => /<([^>]+)>/.exec(nameAddr)?.[1] ?? nameAddr.split(';')[0]!.trim();
const toTagOf = (to: string) => /;\s*tag=([^;\s>]+)/i.exec(to)?.[1];
export const sdpPort = (sdp: string) => Number(/^m=audio (\d+)/m.exec(sdp)?.[1] ?? NaN);

function sdp(port: number, who: string): string {
  return ['v=0', `o=${who} 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=sendrecv', ''].join('\r\n');
}

function message(first: string, headers: [string, string][], body = '', contentType = 'application/sdp'): Buffer {
  const all = [...headers, ...(body ? ([['Content-Type', contentType]] as [string, string][]) : []), ['Content-Length', String(Buffer.byteLength(body))] as [string, string]];
  return Buffer.from(`${first}\r\n${all.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

async function bindUdp(port = 0): Promise<Socket> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', () => r()));
  return s;
}

export interface UacCall {
  dialerId: string;
  callId: string;
  /** performance.now() when the INVITE was handed to the socket / the 200 arrived. */
  inviteSentAt: number;
  okAt?: number;
  /** rtpengine's port for this side (from the 200's SDP). */
  mediaPort?: number;
  rtp: Socket;
  rtpPort: number;
  /** Final status of the INVITE (200, or a failure). */
  status?: number;
  byeStatus?: number;
  answered: Promise<number>;
  ended: Promise<number>;
}

interface UacState extends UacCall {
  fromTag: string;
  to?: string;
  contact?: string;
  resolveAnswered(status: number): void;
  resolveEnded(status: number): void;
}

export class RawUac {
  private readonly calls = new Map<string, UacState>();
  private constructor(
    private readonly sock: Socket,
    readonly port: number,
    private readonly remotePort: number,
  ) {
    sock.on('message', (buf) => this.onMessage(buf, performance.now()));
  }

  static async create(remotePort: number): Promise<RawUac> {
    const s = await bindUdp();
    return new RawUac(s, s.address().port, remotePort);
  }

  /** Sends an INVITE for `callee` (a seller) with `X-Dialer-Call-Id: dialerId`. */
  async invite(callee: string, dialerId: string): Promise<UacCall> {
    const rtp = await bindUdp();
    let resolveAnswered: (s: number) => void = () => undefined;
    let resolveEnded: (s: number) => void = () => undefined;
    const c: UacState = {
      dialerId,
      callId: `${randomBytes(10).toString('hex')}@127.0.0.1`,
      fromTag: tag(),
      inviteSentAt: 0,
      rtp,
      rtpPort: rtp.address().port,
      answered: new Promise((r) => (resolveAnswered = r)),
      ended: new Promise((r) => (resolveEnded = r)),
      resolveAnswered: (s) => resolveAnswered(s),
      resolveEnded: (s) => resolveEnded(s),
    };
    this.calls.set(c.callId, c);
    const msg = message(
      `INVITE sip:${callee}@127.0.0.1:${this.remotePort} SIP/2.0`,
      [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch()};rport`],
        ['Max-Forwards', '70'],
        ['From', `"Kiana Anderson" <sip:+15551234567@127.0.0.1:${this.port}>;tag=${c.fromTag}`],
        ['To', `<sip:${callee}@127.0.0.1:${this.remotePort}>`],
        ['Call-ID', c.callId],
        ['CSeq', '1 INVITE'],
        ['Contact', `<sip:uac@127.0.0.1:${this.port}>`],
        ['X-Dialer-Call-Id', dialerId],
      ],
      sdp(c.rtpPort, 'uac'),
    );
    c.inviteSentAt = performance.now();
    this.sock.send(msg, this.remotePort, '127.0.0.1');
    return c;
  }

  /** BYE, retransmitted like a UDP non-INVITE request (RFC 3261 Timer E: 500 ms doubling to 4 s) until its final answer, at most 10 times. */
  bye(c: UacCall): void {
    const s = this.calls.get(c.callId);
    if (!s?.to || !s.contact) return;
    const msg = message(`BYE ${s.contact} SIP/2.0`, [
      ['Via', `SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch()};rport`],
      ['Max-Forwards', '70'],
      ['From', `"Kiana Anderson" <sip:+15551234567@127.0.0.1:${this.port}>;tag=${s.fromTag}`],
      ['To', s.to],
      ['Call-ID', s.callId],
      ['CSeq', '2 BYE'],
    ]);
    let interval = 500;
    let sends = 0;
    const send = () => {
      if (s.byeStatus !== undefined || sends++ >= 10) return;
      this.sock.send(msg, this.remotePort, '127.0.0.1');
      setTimeout(send, interval).unref();
      interval = Math.min(interval * 2, 4000);
    };
    send();
  }

  private ack(s: UacState): void {
    this.sock.send(
      message(`ACK ${s.contact} SIP/2.0`, [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch()};rport`],
        ['Max-Forwards', '70'],
        ['From', `"Kiana Anderson" <sip:+15551234567@127.0.0.1:${this.port}>;tag=${s.fromTag}`],
        ['To', s.to ?? ''],
        ['Call-ID', s.callId],
        ['CSeq', '1 ACK'],
      ]),
      this.remotePort,
      '127.0.0.1',
    );
  }

  private onMessage(buf: Buffer, at: number): void {
    const m = parseSip(buf);
    const s = this.calls.get(m.get('call-id') ?? '');
    if (!s) return;
    if (m.status === undefined) {
      // a request from sip-signaling (BYE from B's side): 200 it
      if (m.method === 'BYE' || m.method === 'OPTIONS') {
        this.sock.send(message('SIP/2.0 200 OK', [...m.getAll('via').map((v) => ['Via', v] as [string, string]), ['From', m.get('from') ?? ''], ['To', m.get('to') ?? ''], ['Call-ID', s.callId], ['CSeq', m.get('cseq') ?? '']]), this.remotePort, '127.0.0.1');
        if (m.method === 'BYE') {
          s.byeStatus = 0;
          s.resolveEnded(0);
          this.forget(s);
        }
      }
      return;
    }
    const method = (m.get('cseq') ?? '').split(/\s+/)[1];
    if (method === 'INVITE') {
      if (m.status < 200) return;
      if (m.status < 300) {
        if (s.okAt === undefined) {
          s.okAt = at;
          s.to = m.get('to');
          s.contact = uriOf(m.get('contact') ?? `<sip:127.0.0.1:${this.remotePort}>`);
          s.mediaPort = sdpPort(m.body);
          s.status = m.status;
          s.resolveAnswered(m.status);
        }
        this.ack(s); // also for a retransmitted 2xx
        return;
      }
      s.status = m.status;
      s.resolveAnswered(m.status);
      s.resolveEnded(m.status);
      this.forget(s);
    } else if (method === 'BYE' && m.status >= 200) {
      s.byeStatus = m.status;
      s.resolveEnded(m.status);
      this.forget(s);
    }
  }

  private forget(s: UacState): void {
    try {
      s.rtp.close();
    } catch {
      // already closed
    }
    // keep the entry a little for a retransmitted 2xx
    setTimeout(() => this.calls.delete(s.callId), 5_000).unref();
  }

  close(): void {
    this.sock.close();
  }
}

export interface UasCall {
  dialerId: string;
  /** performance.now() when the B-leg INVITE arrived / our 200 was handed to the socket. */
  inviteAt: number;
  okSentAt: number;
  /** rtpengine's port for this side (from the INVITE's SDP). */
  mediaPort: number;
  rtp: Socket;
  rtpPort: number;
}

/** The callee: answers every INVITE at once with 200 + SDP (no 180), 200s the BYE. */
export class RawUas {
  readonly calls = new Map<string, UasCall>();
  private readonly bySipCallId = new Map<string, UasCall>();
  private readonly answered = new Map<string, Buffer>();
  onCall: ((c: UasCall) => void) | undefined;

  private constructor(
    private readonly sock: Socket,
    readonly port: number,
  ) {
    sock.on('message', (buf, rinfo) => {
      const at = performance.now();
      void this.onMessage(buf, rinfo, at);
    });
  }

  static async create(port = 0): Promise<RawUas> {
    const s = await bindUdp(port);
    return new RawUas(s, s.address().port);
  }

  private async onMessage(buf: Buffer, rinfo: RemoteInfo, at: number): Promise<void> {
    const m = parseSip(buf);
    const callId = m.get('call-id') ?? '';
    const reply = (status: string, extra: [string, string][] = [], body = '', toTag?: string) =>
      message(
        `SIP/2.0 ${status}`,
        [
          ...m.getAll('via').map((v) => ['Via', v] as [string, string]),
          ['From', m.get('from') ?? ''],
          ['To', toTag && !toTagOf(m.get('to') ?? '') ? `${m.get('to')};tag=${toTag}` : (m.get('to') ?? '')],
          ['Call-ID', callId],
          ['CSeq', m.get('cseq') ?? ''],
          ...extra,
        ],
        body,
      );
    if (m.method === 'INVITE') {
      const again = this.answered.get(callId);
      if (again) {
        this.sock.send(again, rinfo.port, rinfo.address);
        return;
      }
      // The RTP socket is bound before the clock starts: only the 200's own build and send is timed.
      const rtp = await bindUdp();
      const ok = reply('200 OK', [['Contact', `<sip:uas@127.0.0.1:${this.port}>`]], sdp(rtp.address().port, 'uas'), tag());
      const c: UasCall = { dialerId: m.get('x-dialer-call-id') ?? '', inviteAt: at, okSentAt: 0, mediaPort: sdpPort(m.body), rtp, rtpPort: rtp.address().port };
      this.answered.set(callId, ok);
      this.calls.set(c.dialerId, c);
      this.bySipCallId.set(callId, c);
      c.okSentAt = performance.now();
      this.sock.send(ok, rinfo.port, rinfo.address);
      this.onCall?.(c);
      return;
    }
    if (m.method === 'BYE') {
      this.sock.send(reply('200 OK'), rinfo.port, rinfo.address);
      const c = this.bySipCallId.get(callId);
      this.bySipCallId.delete(callId);
      try {
        c?.rtp.close();
      } catch {
        // already closed
      }
      setTimeout(() => this.answered.delete(callId), 5_000).unref();
      return;
    }
    if (m.method === 'OPTIONS' || m.method === 'INFO' || m.method === 'UPDATE') this.sock.send(reply('200 OK'), rinfo.port, rinfo.address);
    // ACK: nothing to do
  }

  close(): void {
    this.sock.close();
  }
}
