import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { freePort, stackEndpoints, waitFor } from '@ci-connector/platform-testing';
import { AES_CM_128_HMAC_SHA1_80, buildRtp, formatCryptoAttribute, generateKeyingMaterial, parseCryptoAttribute, parseRtp, receivableCrypto, SrtpContext } from '@ci-connector/media-srtp';
import { createRtpengine, RtpengineError, type Rtpengine, type RtpengineLogger, type SubscribeRequestReply } from './index';

// Everything here runs against the real rtpengine 10.5 of deploy/local: two UDP
// sockets act as the phones, more sockets as the recorder (SRS).

const ng = stackEndpoints().rtpengineNg;

interface Warned {
  obj: object;
  msg: string;
}
function collectingLogger(): RtpengineLogger & { warnings: Warned[] } {
  const warnings: Warned[] = [];
  return { warnings, warn: (obj, msg) => warnings.push({ obj, msg }), debug: () => undefined };
}

/** A UDP endpoint on 127.0.0.1 that keeps every datagram it receives. */
interface Peer {
  socket: Socket;
  port: number;
  received: Buffer[];
}
const peers: Peer[] = [];
async function peer(): Promise<Peer> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const p = { socket, port: socket.address().port, received };
  peers.push(p);
  return p;
}

function phoneSdp(port: number, name: string): string {
  return [
    'v=0',
    `o=${name} 1 1 IN IP4 127.0.0.1`,
    `s=${name}`,
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendrecv',
    'a=ptime:20',
    '',
  ].join('\r\n');
}

/** Our test's own reading of an SDP: one entry per m= line. */
interface Media {
  type: string;
  port: number;
  proto: string;
  attrs: string[];
}
function mediaOf(sdp: string): Media[] {
  const out: Media[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^m=(\S+) (\d+) (\S+)/.exec(line);
    if (m) out.push({ type: m[1]!, port: Number(m[2]), proto: m[3]!, attrs: [] });
    else if (line.startsWith('a=') && out.length > 0) out[out.length - 1]!.attrs.push(line.slice(2));
  }
  return out;
}
const attr = (m: Media, name: string) => m.attrs.filter((a) => a === name || a.startsWith(`${name}:`)).map((a) => a.slice(name.length + 1));

/** The recorder's answer: one m= per offered stream, its own ports, recvonly, PCMU + telephone-event only (like the ci-emulator). */
function recorderAnswer(offer: SubscribeRequestReply, ports: Record<string, number>, proto: 'RTP/SAVP' | 'RTP/AVP' = 'RTP/SAVP', formats = '0 101'): string {
  const lines = ['v=0', 'o=srs 7 7 IN IP4 127.0.0.1', 's=recorder', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const m of mediaOf(offer.sdp)) {
    const label = attr(m, 'label')[0]!;
    lines.push(`m=audio ${ports[label]} ${proto} ${formats}`, 'a=rtpmap:0 PCMU/8000');
    if (formats.includes('101')) lines.push('a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16');
    if (proto === 'RTP/SAVP') lines.push(`a=crypto:${formatCryptoAttribute({ tag: 1, suite: AES_CM_128_HMAC_SHA1_80, keyParams: [{ method: 'inline', keySalt: generateKeyingMaterial() }], sessionParams: [] })}`);
    lines.push('a=recvonly', `a=label:${label}`, 'a=ptime:20');
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A call anchored in rtpengine between phones A and B. */
interface Call {
  callId: string;
  a: Peer;
  b: Peer;
  /** where A sends its RTP (rtpengine's port in the answer A receives) */
  toRtpA: number;
  /** where B sends its RTP (rtpengine's port in the offer B receives) */
  toRtpB: number;
}

const calls = new Set<string>();
let rtp: Rtpengine;
let logger: ReturnType<typeof collectingLogger>;

beforeAll(() => {
  logger = collectingLogger();
  rtp = createRtpengine({ host: ng.host, port: ng.port, timeoutMs: 3000, logger, strictWarnings: true });
});
afterEach(async () => {
  try {
    for (const callId of calls) await rtp.delete({ callId });
  } finally {
    calls.clear();
    for (const p of peers.splice(0)) await new Promise<void>((r) => p.socket.close(() => r()));
  }
});
afterAll(() => rtp.close());

async function anchorCall(): Promise<Call> {
  const a = await peer();
  const b = await peer();
  const callId = `int-${randomBytes(6).toString('hex')}`;
  calls.add(callId);
  const offered = await rtp.offer({ callId, fromTag: 'tagA', sdp: phoneSdp(a.port, 'A'), iceRemove: true });
  const answered = await rtp.answer({ callId, fromTag: 'tagA', toTag: 'tagB', sdp: phoneSdp(b.port, 'B'), iceRemove: true });
  return { callId, a, b, toRtpB: mediaOf(offered.sdp)[0]!.port, toRtpA: mediaOf(answered.sdp)[0]!.port };
}

/** Sends `count` PCMU packets with random payloads; returns the payloads in order. */
async function sendG711(from: Peer, toPort: number, count: number, ssrc: number, firstSeq = 1000): Promise<Buffer[]> {
  const payloads: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const payload = randomBytes(160);
    payloads.push(payload);
    const pkt = buildRtp({ payloadType: 0, sequenceNumber: firstSeq + i, timestamp: 160 * (firstSeq + i), ssrc, payload, marker: i === 0 });
    await new Promise<void>((resolve, reject) => from.socket.send(pkt, toPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    await new Promise((r) => setTimeout(r, 2)); // keep the load gentle
  }
  return payloads;
}

const plainPayloads = (packets: Buffer[]) =>
  packets.map((p) => {
    const r = parseRtp(p);
    if (!r.ok) throw new Error(`not RTP: ${r.message}`);
    return Buffer.from(r.packet.payload);
  });

/** Decrypts what a recorder socket got with the key rtpengine offered for that stream. */
function srtpPayloads(packets: Buffer[], cryptoValue: string): Buffer[] {
  const ctx = new SrtpContext({ keySalt: receivableCrypto(parseCryptoAttribute(cryptoValue)).keySalt });
  return packets.map((p) => {
    const u = ctx.unprotect(p);
    if (!u.ok) throw new Error(`SRTP packet did not decrypt: ${u.reason} ${u.detail}`);
    const r = parseRtp(u.packet);
    if (!r.ok) throw new Error(`decrypted packet is not RTP: ${r.message}`);
    return Buffer.from(r.packet.payload);
  });
}

/** subscribe request + recorder sockets + subscribe answer; returns the recorder per label. */
async function fork(call: Call, toTag: string, proto: 'RTP/SAVP' | 'RTP/AVP' = 'RTP/SAVP') {
  const offer = await rtp.subscribeRequest({ callId: call.callId, fromTag: 'tagA', toTag });
  const recorders: Record<string, Peer> = {};
  for (const label of Object.keys(offer.mediaLabels)) recorders[label] = await peer();
  const ports = Object.fromEntries(Object.entries(recorders).map(([l, p]) => [l, p.port]));
  await rtp.subscribeAnswer({ callId: call.callId, toTag, sdp: recorderAnswer(offer, ports, proto) });
  const labelOfTag = (tag: string) => Object.values(offer.mediaLabels).find((m) => m.tag === tag)!.label;
  const cryptoOf = (label: string) => attr(mediaOf(offer.sdp).find((m) => attr(m, 'label')[0] === label)!, 'crypto')[0]!;
  return { offer, recorders, labelOfTag, cryptoOf };
}

describe('rtpengine adapter against the real rtpengine 10.5', () => {
  it('answers ping', async () => {
    await expect(rtp.ping()).resolves.toBeUndefined();
  });

  it('(1) anchors a call: RTP from each phone arrives, byte for byte, at the other', async () => {
    const call = await anchorCall();
    expect(call.toRtpA).not.toBe(call.a.port);
    const fromA = await sendG711(call.a, call.toRtpA, 20, 0x1111);
    const fromB = await sendG711(call.b, call.toRtpB, 20, 0x2222);
    await waitFor('B to receive A’s 20 packets', () => call.b.received.length >= 20);
    await waitFor('A to receive B’s 20 packets', () => call.a.received.length >= 20);
    expect(plainPayloads(call.b.received)).toEqual(fromA);
    expect(plainPayloads(call.a.received)).toEqual(fromB);
  });

  it('(2) subscribe request gives one SIPREC offer: two sendonly RTP/SAVP streams, labels, one AES_CM_128_HMAC_SHA1_80 key each, no DTLS, labels mapped to the legs', async () => {
    const call = await anchorCall();
    const offer = await rtp.subscribeRequest({ callId: call.callId, fromTag: 'tagA', toTag: 'srs-1' });
    expect(offer.toTag).toBe('srs-1');
    const media = mediaOf(offer.sdp);
    expect(media).toHaveLength(2);
    for (const m of media) {
      expect(m.type).toBe('audio');
      expect(m.proto).toBe('RTP/SAVP');
      expect(attr(m, 'sendonly')).toHaveLength(1);
      expect(m.attrs.filter((a) => ['sendrecv', 'recvonly', 'inactive'].includes(a))).toHaveLength(0);
      expect(attr(m, 'label')).toHaveLength(1);
      const crypto = attr(m, 'crypto');
      expect(crypto).toHaveLength(1);
      expect(parseCryptoAttribute(crypto[0]!).suite).toBe('AES_CM_128_HMAC_SHA1_80');
      expect(receivableCrypto(parseCryptoAttribute(crypto[0]!)).keySalt).toHaveLength(30);
      expect(attr(m, 'candidate')).toHaveLength(0);
    }
    expect(offer.sdp).not.toMatch(/a=fingerprint|a=setup|a=ice-/);
    const sdpLabels = media.map((m) => attr(m, 'label')[0]).sort();
    expect(Object.keys(offer.mediaLabels).sort()).toEqual(sdpLabels);
    expect(Object.values(offer.mediaLabels).map((l) => l.tag).sort()).toEqual(['tagA', 'tagB']);
    for (const [label, l] of Object.entries(offer.mediaLabels)) {
      expect(l.label).toBe(label);
      expect(l.type).toBe('audio');
    }
    expect(offer.fromTags?.sort()).toEqual(['tagA', 'tagB']);
  });

  it('(3) subscribe answer forks both legs as SRTP that decrypts to exactly what each phone sent, per label', async () => {
    const call = await anchorCall();
    const f = await fork(call, 'srs-1');
    const fromA = await sendG711(call.a, call.toRtpA, 30, 0xa0a0a0a0);
    const fromB = await sendG711(call.b, call.toRtpB, 30, 0xb0b0b0b0);
    const recA = f.recorders[f.labelOfTag('tagA')]!;
    const recB = f.recorders[f.labelOfTag('tagB')]!;
    await waitFor('the recorder to receive 30 packets of A', () => recA.received.length >= 30);
    await waitFor('the recorder to receive 30 packets of B', () => recB.received.length >= 30);
    // SRTP: not plain RTP with the payload in clear, and 10 octets of auth tag more
    expect(recA.received[0]!.length).toBe(12 + 160 + 10);
    expect(srtpPayloads(recA.received, f.cryptoOf(f.labelOfTag('tagA')))).toEqual(fromA);
    expect(srtpPayloads(recB.received, f.cryptoOf(f.labelOfTag('tagB')))).toEqual(fromB);
    // the call itself is untouched
    await waitFor('B to receive A’s packets', () => call.b.received.length >= 30);
    expect(plainPayloads(call.b.received)).toEqual(fromA);
  });

  it('(4) unsubscribe stops the fork while the call goes on; subscribing again gives new ports', async () => {
    const call = await anchorCall();
    const first = await fork(call, 'srs-1');
    await sendG711(call.a, call.toRtpA, 5, 0xa1);
    await waitFor('the fork to carry A', () => first.recorders[first.labelOfTag('tagA')]!.received.length >= 5);

    await rtp.unsubscribe({ callId: call.callId, toTag: 'srs-1' });
    const before = Object.values(first.recorders).map((r) => r.received.length);
    const after = await sendG711(call.a, call.toRtpA, 10, 0xa1, 2000);
    await sendG711(call.b, call.toRtpB, 10, 0xb1, 2000);
    // B receiving A's new packets shows rtpengine handled them; the old recorder got none of them
    await waitFor('B to receive A’s packets after the unsubscribe', () => plainPayloads(call.b.received).slice(-10).every((p, i) => p.equals(after[i]!)));
    await waitFor('A to receive B’s packets after the unsubscribe', () => call.a.received.length >= 10);
    expect(Object.values(first.recorders).map((r) => r.received.length)).toEqual(before);

    const second = await fork(call, 'srs-2');
    const oldPorts = mediaOf(first.offer.sdp).map((m) => m.port);
    const newPorts = mediaOf(second.offer.sdp).map((m) => m.port);
    for (const p of newPorts) expect(oldPorts).not.toContain(p);
    const again = await sendG711(call.a, call.toRtpA, 5, 0xa1, 3000);
    const recA2 = second.recorders[second.labelOfTag('tagA')]!;
    await waitFor('the new fork to carry A', () => recA2.received.length >= 5);
    expect(srtpPayloads(recA2.received, second.cryptoOf(second.labelOfTag('tagA')))).toEqual(again);
  });

  it('(5) rtpengine 10.5 accepts an RTP/AVP answer from the recorder and then sends it PLAIN RTP: the caller must validate the SRS answer', async () => {
    const call = await anchorCall();
    const f = await fork(call, 'srs-plain', 'RTP/AVP');
    const fromA = await sendG711(call.a, call.toRtpA, 10, 0xa2);
    const recA = f.recorders[f.labelOfTag('tagA')]!;
    await waitFor('the recorder to receive A', () => recA.received.length >= 10);
    // the audio travels in clear: parseable RTP, 12-octet header + payload, no auth tag
    expect(recA.received[0]!.length).toBe(12 + 160);
    expect(plainPayloads(recA.received)).toEqual(fromA);
  });

  it('(5b) rtpengine 10.5 refuses a recorder answer missing offered codecs (and that subscription stays unusable); the default keep-source answer is accepted', async () => {
    const call = await anchorCall();
    const refused = await rtp.subscribeRequest({ callId: call.callId, toTag: 'srs-asis' });
    const r = await peer();
    const ports = (offer: SubscribeRequestReply) => Object.fromEntries(Object.keys(offer.mediaLabels).map((l) => [l, r.port]));
    const answer = recorderAnswer(refused, ports(refused)); // PCMU + telephone-event, no PCMA
    const err = await rtp.subscribeAnswer({ callId: call.callId, toTag: 'srs-asis', sdp: answer, codecs: 'as-is' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtpengineError);
    expect(err).toMatchObject({ code: 'error', command: 'subscribe answer', callId: call.callId, reason: 'Failed to process subscription answer' });
    // the same to-tag cannot be answered again, even completely: subscribe again first
    await expect(rtp.subscribeAnswer({ callId: call.callId, toTag: 'srs-asis', sdp: answer })).rejects.toMatchObject({ code: 'error' });
    const again = await rtp.subscribeRequest({ callId: call.callId, toTag: 'srs-asis' });
    await expect(rtp.subscribeAnswer({ callId: call.callId, toTag: 'srs-asis', sdp: recorderAnswer(again, ports(again)) })).resolves.toBeUndefined();
    const tx = await rtp.subscribeRequest({ callId: call.callId, toTag: 'srs-tx' });
    await expect(rtp.subscribeAnswer({ callId: call.callId, toTag: 'srs-tx', sdp: recorderAnswer(tx, ports(tx)), codecs: 'allow-transcoding' })).resolves.toBeUndefined();
  });

  it('(6) an unknown call is an RtpengineError naming the call and rtpengine’s reason', async () => {
    const callId = `no-such-call-${randomBytes(4).toString('hex')}`;
    for (const attempt of [
      () => rtp.query({ callId }),
      () => rtp.answer({ callId, fromTag: 'x', toTag: 'y', sdp: phoneSdp(4000, 'B') }),
      () => rtp.subscribeRequest({ callId, toTag: 'srs' }),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RtpengineError);
      expect(err).toMatchObject({ code: 'error', result: 'error', callId });
      expect((err as RtpengineError).reason).toMatch(/unknown call-id/i);
      expect((err as RtpengineError).message).toContain(callId);
    }
    // delete of an unknown call is `ok` with a warning: an error when strict, a log line otherwise
    const strictErr = await rtp.delete({ callId }).catch((e: unknown) => e);
    expect(strictErr).toMatchObject({ code: 'warning', command: 'delete', callId });
    expect((strictErr as RtpengineError).reason).toMatch(/not found/);
    const lenient = collectingLogger();
    const relaxed = createRtpengine({ host: ng.host, port: ng.port, timeoutMs: 3000, logger: lenient });
    try {
      await expect(relaxed.delete({ callId })).resolves.toBeUndefined();
      expect(lenient.warnings).toEqual([expect.objectContaining({ obj: expect.objectContaining({ command: 'delete', callId, warning: expect.stringMatching(/not found/) }) })]);
    } finally {
      await relaxed.close();
    }
  });

  it('(6) rtpengine rejecting an SDP is an error with its reason', async () => {
    const callId = `bad-sdp-${randomBytes(4).toString('hex')}`;
    await expect(rtp.offer({ callId, fromTag: 'a', sdp: 'v=0\r\nthis is not sdp\r\n' })).rejects.toMatchObject({ code: 'error', reason: 'Failed to parse SDP', callId });
  });

  it('(6) a daemon that does not answer (a closed port) is a timeout error', async () => {
    const port = await freePort();
    const dead = createRtpengine({ host: '127.0.0.1', port, timeoutMs: 300, logger: collectingLogger() });
    try {
      const err = await dead.offer({ callId: 'to-nowhere', fromTag: 'a', sdp: phoneSdp(4000, 'A') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RtpengineError);
      expect(err).toMatchObject({ code: 'timeout', command: 'offer', callId: 'to-nowhere' });
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      await expect(dead.ping()).rejects.toMatchObject({ code: 'timeout', command: 'ping' });
    } finally {
      await dead.close();
    }
    await expect(dead.ping()).rejects.toMatchObject({ code: 'closed' });
  });
});
