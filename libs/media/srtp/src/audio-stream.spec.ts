import fc from 'fast-check';
import { AudioStreamReceiver } from './audio-stream';
import { formatCryptoAttribute } from './crypto-attribute';
import { decodeG711 } from './g711';
import { buildRtp } from './rtp';
import { SrtpContext } from './srtp';

const KEY = Buffer.from('0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201', 'hex');
const CRYPTO = formatCryptoAttribute({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: [{ method: 'inline', keySalt: KEY }], sessionParams: [] });
const SSRC = 0x01020304;

function sender(key = KEY) {
  const ctx = new SrtpContext({ keySalt: key });
  return (seq: number, opts: { pt?: number; ts?: number; ssrc?: number; payload?: Buffer } = {}) => {
    const payload = opts.payload ?? Buffer.from(Array.from({ length: 160 }, (_, i) => (seq * 7 + i) & 0xff));
    return { payload, srtp: ctx.protect(buildRtp({ payloadType: opts.pt ?? 0, sequenceNumber: seq & 0xffff, timestamp: opts.ts ?? seq * 160, ssrc: opts.ssrc ?? SSRC, payload })) };
  };
}

function receiver() {
  return new AudioStreamReceiver({ crypto: CRYPTO, audioPt: 0, encoding: 'PCMU', telephoneEventPt: 101 });
}

/** Concatenates what the receiver asks to write (silence as zeros). */
function collect(rx: AudioStreamReceiver, packets: Buffer[]): number[] {
  const out: number[] = [];
  for (const p of packets) {
    const o = rx.receiveRtp(p, 1_700_000_000_000);
    if (o.kind === 'audio') out.push(...new Array<number>(o.chunk.silence).fill(0), ...o.chunk.samples);
  }
  return out;
}

describe('AudioStreamReceiver', () => {
  it('with no loss, writes exactly the G.711 decode of the payloads, across the 65535 → 0 wrap', () => {
    const send = sender();
    const sent = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3].map((s) => send(s, { ts: (65530 + ((s - 65530) & 0xffff)) * 160 }));
    const rx = receiver();
    expect(collect(rx, sent.map((p) => p.srtp))).toEqual(sent.flatMap((p) => [...decodeG711('PCMU', p.payload)]));
    expect(rx.stats()).toMatchObject({ packetsReceived: 10, packetsAuthenticated: 10, packetsDecoded: 10, lost: 0, reordered: 0, authFailed: 0, gapsFilled: 0, ssrcs: [SSRC] });
  });

  it('counts a tampered packet as auth-failed and leaves it out', () => {
    const send = sender();
    const sent = [1, 2, 3].map((s) => send(s));
    const bad = Buffer.from(sent[1]!.srtp);
    bad[20] = (bad[20] ?? 0) ^ 0x40;
    const rx = receiver();
    const out = collect(rx, [sent[0]!.srtp, bad, sent[1]!.srtp, sent[2]!.srtp]);
    expect(out).toEqual(sent.flatMap((p) => [...decodeG711('PCMU', p.payload)]));
    expect(rx.stats()).toMatchObject({ packetsReceived: 4, authFailed: 1, packetsDecoded: 3, lost: 0 });
  });

  it('fills a lost packet’s timestamp gap with silence and counts the loss (RFC 3550 A.3)', () => {
    const send = sender();
    const sent = [10, 11, 13, 14].map((s) => send(s));
    const rx = receiver();
    const out = collect(rx, sent.map((p) => p.srtp));
    const d = sent.map((p) => [...decodeG711('PCMU', p.payload)]);
    expect(out).toEqual([...d[0]!, ...d[1]!, ...new Array<number>(160).fill(0), ...d[2]!, ...d[3]!]);
    expect(rx.stats()).toMatchObject({ lost: 1, reordered: 0, gapsFilled: 1, silenceSamples: 160 });
  });

  it('caps a long gap at 2 s of silence and says so', () => {
    const send = sender();
    const rx = receiver();
    const out = collect(rx, [send(1).srtp, send(2, { ts: 2 * 160 + 100_000 }).srtp]);
    expect(out).toHaveLength(160 + 16000 + 160);
    expect(rx.stats()).toMatchObject({ gapsFilled: 1, gapsCapped: 1, silenceSamples: 16000 });
  });

  it('writes reordered packets in arrival order, counts them, and does not count them lost', () => {
    const send = sender();
    const sent = [1, 2, 3, 4].map((s) => send(s));
    const rx = receiver();
    const order = [0, 2, 1, 3];
    const out = collect(rx, order.map((i) => sent[i]!.srtp));
    const d = sent.map((p) => [...decodeG711('PCMU', p.payload)]);
    // packet 3 arrives before 2: a 160-sample gap is filled, then 2 is appended late, 4 follows 3
    expect(out).toEqual([...d[0]!, ...new Array<number>(160).fill(0), ...d[2]!, ...d[1]!, ...d[3]!]);
    expect(rx.stats()).toMatchObject({ reordered: 1, lost: 0 });
  });

  it('counts replays, other payload types and telephone-events without writing them', () => {
    const send = sender();
    const a = send(1);
    const rx = receiver();
    const out = collect(rx, [a.srtp, a.srtp, send(2, { pt: 8 }).srtp, send(3, { pt: 101, payload: Buffer.from([1, 0, 0, 160]) }).srtp]);
    expect(out).toHaveLength(160);
    expect(rx.stats()).toMatchObject({ replayed: 1, otherPayloadType: 1, telephoneEvents: 1, payloadTypes: { 0: 1, 8: 1, 101: 1 } });
  });

  it('counts an SSRC change and does not fill a gap across it', () => {
    const send = sender();
    const rx = receiver();
    const out = collect(rx, [send(1).srtp, send(5000, { ssrc: 99, ts: 123456 }).srtp]);
    expect(out).toHaveLength(320);
    expect(rx.stats()).toMatchObject({ ssrcChanges: 1, ssrcs: [SSRC, 99], lost: 0 });
  });

  it('drops packets while paused; rekey() accepts the new key and continues without a gap', () => {
    const rx = receiver();
    const send = sender();
    expect(collect(rx, [send(1).srtp])).toHaveLength(160);
    rx.setPaused(true);
    expect(collect(rx, [send(2).srtp])).toHaveLength(0);
    const key2 = Buffer.alloc(30, 7);
    rx.rekey(formatCryptoAttribute({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: [{ method: 'inline', keySalt: key2 }], sessionParams: [] }));
    rx.setPaused(false);
    const send2 = sender(key2);
    expect(collect(rx, [send(3).srtp])).toHaveLength(0); // old key: no longer accepted
    expect(collect(rx, [send2(500, { ts: 900_000 }).srtp, send2(501, { ts: 900_160 }).srtp])).toHaveLength(320);
    expect(rx.stats()).toMatchObject({ whilePaused: 1, authFailed: 1, gapsFilled: 0, packetsDecoded: 3, lost: 0 });
  });

  it('counts SRTCP on the RTCP port and on the RTP port (rtcp-mux), authenticated or not', () => {
    const rx = receiver();
    const ctx = new SrtpContext({ keySalt: KEY });
    const sr = Buffer.from('80c80006' + '01020304' + '00'.repeat(20), 'hex');
    rx.receiveRtcp(ctx.protectRtcp(sr), 0);
    expect(rx.receiveRtp(ctx.protectRtcp(sr), 0).kind).toBe('rtcp');
    const bad = ctx.protectRtcp(sr);
    bad[12] = (bad[12] ?? 0) ^ 1;
    rx.receiveRtcp(bad, 0);
    expect(rx.stats()).toMatchObject({ rtcpPackets: 3, rtcpAuthenticated: 2, rtcpAuthFailed: 1, packetsReceived: 0 });
  });

  it('never throws on any datagram and writes nothing for random bytes (fuzz)', () => {
    const rx = receiver();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(['dropped', 'rtcp']).toContain(rx.receiveRtp(bytes, 0).kind);
        rx.receiveRtcp(bytes, 0);
      }),
      { numRuns: 3000 },
    );
    expect(rx.stats().packetsDecoded).toBe(0);
  });
});
