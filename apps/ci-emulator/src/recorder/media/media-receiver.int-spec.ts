import { createSocket, type Socket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildRtp, decodeG711, formatCryptoAttribute, generateKeyingMaterial, parseCryptoAttribute, parseWav, SrtpContext, type G711Encoding } from '@ci-connector/media-srtp';
import { waitFor } from '@ci-connector/platform-testing';
import { MediaReceiver, type MediaSession, type StreamAnswer, type StreamOffer } from './index';

// Real UDP sockets on 127.0.0.1; SRTP made by @ci-connector/media-srtp's protect()
// (the independent cross-check of the SRTP itself is the emulator's conformance test).

const HOST = '127.0.0.1';

function cryptoFor(key: Buffer, tag = 1): string {
  return formatCryptoAttribute({ tag, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: [{ method: 'inline', keySalt: key }], sessionParams: [] });
}

function offerFor(label: string, key: Buffer, over: Partial<StreamOffer> = {}): StreamOffer {
  return {
    label,
    payloadTypes: [
      { pt: 0, encoding: 'PCMU', clockRate: 8000 },
      { pt: 8, encoding: 'PCMA', clockRate: 8000 },
      { pt: 101, encoding: 'telephone-event', clockRate: 8000 },
    ],
    crypto: cryptoFor(key),
    direction: 'sendonly',
    remote: { address: HOST, port: 50000 },
    ...over,
  };
}

/** An SRC's sending side for one stream: RTP packets of random G.711, protected with the SRC's key. */
class Src {
  readonly socket: Socket = createSocket('udp4');
  private ctx: SrtpContext;
  seq = randomInt(0, 60000);
  ts = randomInt(0, 2 ** 31);
  readonly ssrc = randomInt(1, 2 ** 31);
  /** the payloads the WAV must hold, in order (silence for gaps added by the test) */
  readonly expected: number[] = [];

  constructor(
    public key: Buffer,
    readonly encoding: G711Encoding = 'PCMU',
  ) {
    this.ctx = new SrtpContext({ keySalt: key });
  }

  rekey(key: Buffer): void {
    this.key = key;
    this.ctx = new SrtpContext({ keySalt: key });
  }

  /** The next packet (not sent): advances seq and timestamp by one 20 ms frame. */
  next(opts: { pt?: number; payload?: Buffer } = {}): { srtp: Buffer; payload: Buffer } {
    const payload = opts.payload ?? randomBytes(160);
    const plain = buildRtp({ payloadType: opts.pt ?? (this.encoding === 'PCMU' ? 0 : 8), sequenceNumber: this.seq, timestamp: this.ts, ssrc: this.ssrc, payload });
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 160) >>> 0;
    return { srtp: this.ctx.protect(plain), payload };
  }

  decoded(payload: Buffer): number[] {
    return [...decodeG711(this.encoding, payload)];
  }

  send(buf: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(buf, port, HOST, (e) => (e ? reject(e) : resolve())));
  }

  /** Sends `n` audio packets in order and records what the WAV must hold. */
  async sendAudio(n: number, port: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const p = this.next();
      this.expected.push(...this.decoded(p.payload));
      await this.send(p.srtp, port);
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

function answerOf(session: MediaSession, label: string): StreamAnswer {
  const a = session.answers().find((x) => x.label === label);
  if (!a) throw new Error(`no answer for ${label}`);
  return a;
}

function statsOf(session: MediaSession, label: string) {
  const s = session.stats().find((x) => x.label === label);
  if (!s) throw new Error(`no stats for ${label}`);
  return s;
}

/** Waits until the stream has seen `n` datagrams on its RTP port (UDP on loopback: delivery, not timing). */
function received(session: MediaSession, label: string, n: number) {
  return waitFor(`${n} datagrams on ${label}`, () => statsOf(session, label).packetsReceived >= n);
}

function wavSamples(path: string): number[] {
  const wav = parseWav(readFileSync(path));
  expect(wav).toMatchObject({ format: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 });
  return [...wav.samples];
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, HOST, () => s.close(() => resolve(true)));
  });
}

describe('MediaReceiver over real UDP', () => {
  let dir: string;
  let receiver: MediaReceiver;
  let portMin: number;
  const srcs: Src[] = [];
  const src = (key: Buffer, enc: G711Encoding = 'PCMU') => {
    const s = new Src(key, enc);
    srcs.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'media-int-'));
    portMin = 20000 + 2 * randomInt(0, 15000);
    receiver = new MediaReceiver({ host: HOST, portMin, portMax: portMin + 15, recordingsDir: dir, logger: pino({ level: 'silent' }) });
  });

  afterEach(async () => {
    await receiver.close();
    await Promise.all(srcs.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each labelled stream into its WAV: samples equal the G.711 decode of what was sent', async () => {
    const inbound = src(generateKeyingMaterial(), 'PCMU');
    const outbound = src(generateKeyingMaterial(), 'PCMA');
    const session = await receiver.open('3848276298220188511@atlanta.example.com', [
      offerFor('inbound', inbound.key),
      offerFor('outbound', outbound.key, { payloadTypes: [{ pt: 8, encoding: 'PCMA', clockRate: 8000 }, { pt: 0, encoding: 'PCMU', clockRate: 8000 }] }),
    ]);
    expect(receiver.activeSessions()).toBe(1);
    const [ain, aout] = [answerOf(session, 'inbound'), answerOf(session, 'outbound')];
    expect(ain).toMatchObject({ pt: 0, telephoneEventPt: 101, direction: 'recvonly', rtcpPort: ain.port + 1 });
    expect(aout).toMatchObject({ pt: 8, direction: 'recvonly', rtcpPort: aout.port + 1 });
    for (const a of [ain, aout]) {
      expect(a.port % 2).toBe(0);
      expect(a.port).toBeGreaterThanOrEqual(portMin);
      expect(a.rtcpPort).toBeLessThanOrEqual(portMin + 15);
      // our own key, same tag and suite, not the SRC's
      const ours = parseCryptoAttribute(a.crypto);
      expect(ours).toMatchObject({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80' });
      expect(ours.keyParams[0]!.keySalt.equals(inbound.key) || ours.keyParams[0]!.keySalt.equals(outbound.key)).toBe(false);
    }
    expect(session.dir).toMatch(new RegExp(`^${dir}/3848276298220188511_atlanta\\.example\\.com-[0-9a-f]{12}$`));

    await inbound.sendAudio(60, ain.port);
    await outbound.sendAudio(45, aout.port);
    await received(session, 'inbound', 60);
    await received(session, 'outbound', 45);
    const stats = await session.close();

    expect(receiver.activeSessions()).toBe(0);
    const sin = stats.find((s) => s.label === 'inbound')!;
    const sout = stats.find((s) => s.label === 'outbound')!;
    expect(sin).toMatchObject({ packetsReceived: 60, packetsDecoded: 60, authFailed: 0, lost: 0, reordered: 0, samplesWritten: 60 * 160, wavPath: join(session.dir, 'inbound.wav'), encoding: 'PCMU', ssrcs: [inbound.ssrc] });
    expect(sout).toMatchObject({ packetsReceived: 45, packetsDecoded: 45, lost: 0, samplesWritten: 45 * 160, wavPath: join(session.dir, 'outbound.wav'), encoding: 'PCMA' });
    expect(sin.firstArrival).toBeDefined();
    expect(wavSamples(sin.wavPath)).toEqual(inbound.expected);
    expect(wavSamples(sout.wavPath)).toEqual(outbound.expected);
    // idempotent
    expect((await session.close()).map((s) => s.samplesWritten)).toEqual(stats.map((s) => s.samplesWritten));
  });

  it('counts a tampered packet as auth-failed and keeps it out of the WAV', async () => {
    const s = src(generateKeyingMaterial());
    const session = await receiver.open('tamper', [offerFor('inbound', s.key)]);
    const port = answerOf(session, 'inbound').port;
    await s.sendAudio(5, port);
    const victim = s.next();
    const tampered = Buffer.from(victim.srtp);
    tampered[12 + 40] = (tampered[12 + 40] ?? 0) ^ 0x01; // one bit of the encrypted payload
    await s.send(tampered, port);
    // the genuine packet still arrives and is accepted: a forgery changes no state
    await s.send(victim.srtp, port);
    s.expected.push(...s.decoded(victim.payload));
    await s.sendAudio(4, port);
    await received(session, 'inbound', 11);
    const [st] = await session.close();
    expect(st).toMatchObject({ packetsReceived: 11, authFailed: 1, packetsDecoded: 10, lost: 0 });
    expect(wavSamples(st!.wavPath)).toEqual(s.expected);
  });

  it('counts loss and reordering, fills a lost frame with silence, writes in arrival order', async () => {
    const s = src(generateKeyingMaterial());
    const session = await receiver.open('loss', [offerFor('inbound', s.key)]);
    const port = answerOf(session, 'inbound').port;
    const p = Array.from({ length: 8 }, () => s.next());
    const d = p.map((x) => s.decoded(x.payload));
    // 0 1 [2 lost] 3 5 4 6 7
    for (const i of [0, 1, 3, 5, 4, 6, 7]) await s.send(p[i]!.srtp, port);
    // a duplicate
    await s.send(p[6]!.srtp, port);
    await received(session, 'inbound', 8);
    const [st] = await session.close();
    expect(st).toMatchObject({ packetsDecoded: 7, lost: 1, reordered: 1, replayed: 1, gapsFilled: 2, silenceSamples: 320 });
    const silence = new Array<number>(160).fill(0);
    expect(wavSamples(st!.wavPath)).toEqual([...d[0]!, ...d[1]!, ...silence, ...d[3]!, ...silence, ...d[5]!, ...d[4]!, ...d[6]!, ...d[7]!]);
  });

  it('counts telephone-events, other payload types and SRTCP without writing them', async () => {
    const s = src(generateKeyingMaterial());
    const session = await receiver.open('events', [offerFor('inbound', s.key)]);
    const a = answerOf(session, 'inbound');
    await s.sendAudio(2, a.port);
    await s.send(s.next({ pt: 101, payload: Buffer.from([1, 0x80, 0, 160]) }).srtp, a.port);
    await s.send(s.next({ pt: 8 }).srtp, a.port);
    const rtcp = new SrtpContext({ keySalt: s.key }).protectRtcp(Buffer.from('80c80006' + s.ssrc.toString(16).padStart(8, '0') + '00'.repeat(20), 'hex'));
    await s.send(Buffer.from(rtcp).fill(0, 8, 20), a.rtcpPort); // forged first: it must not burn index 1
    await s.send(rtcp, a.rtcpPort);
    await received(session, 'inbound', 4);
    await waitFor('2 RTCP packets', () => statsOf(session, 'inbound').rtcpPackets >= 2);
    const [st] = await session.close();
    expect(st).toMatchObject({ telephoneEvents: 1, otherPayloadType: 1, packetsDecoded: 2, rtcpPackets: 2, rtcpAuthenticated: 1, rtcpAuthFailed: 1, payloadTypes: { 0: 2, 101: 1, 8: 1 } });
    expect(wavSamples(st!.wavPath)).toHaveLength(2 * 160);
  });

  it('pauses on inactive, then continues the same WAV under new keys on new ports after update()', async () => {
    const oldKey = generateKeyingMaterial();
    const s = src(oldKey);
    const session = await receiver.open('reinvite', [offerFor('inbound', s.key)]);
    const first = answerOf(session, 'inbound');
    await s.sendAudio(3, first.port);
    await received(session, 'inbound', 3);

    // pause: inactive; the WAV stays open, packets are counted and dropped
    const paused = await session.update([offerFor('inbound', s.key, { direction: 'inactive' })]);
    expect(paused[0]).toMatchObject({ direction: 'inactive', port: first.port, crypto: first.crypto });
    await s.send(s.next().srtp, first.port);
    await received(session, 'inbound', 4);
    expect(statsOf(session, 'inbound').whilePaused).toBe(1);

    // resume with a new key on new ports
    const key2 = generateKeyingMaterial();
    const resumed = await session.update([offerFor('inbound', key2, { remote: { address: HOST, port: 50002 } })], { newPorts: true });
    const second = resumed[0]!;
    expect(second).toMatchObject({ direction: 'recvonly', pt: 0 });
    expect(second.port).not.toBe(first.port);
    expect(second.crypto).not.toBe(first.crypto);
    expect(await canBind(first.port)).toBe(true); // the old pair is freed
    s.rekey(key2);
    await s.sendAudio(4, second.port);
    // a packet under the old key is refused now
    await received(session, 'inbound', 8);
    const old = new SrtpContext({ keySalt: oldKey });
    await s.send(old.protect(buildRtp({ payloadType: 0, sequenceNumber: s.seq, timestamp: s.ts, ssrc: s.ssrc, payload: randomBytes(160) })), second.port);
    await received(session, 'inbound', 9);
    const [st] = await session.close();
    expect(st).toMatchObject({ packetsDecoded: 7, whilePaused: 1, authFailed: 1, cryptoContexts: 2, lost: 0, gapsFilled: 0, port: second.port, remote: { port: 50002 } });
    expect(wavSamples(st!.wavPath)).toEqual(s.expected);
  });

  it('survives any datagram (fuzz) and still records the real stream', async () => {
    const s = src(generateKeyingMaterial());
    const session = await receiver.open('fuzz', [offerFor('inbound', s.key)]);
    const a = answerOf(session, 'inbound');
    const junk = s.socket;
    for (let i = 0; i < 300; i++) {
      const len = randomInt(0, 300);
      const d = randomBytes(len);
      if (i % 3 === 0 && len > 12) d[0] = 0x80; // looks like RTP v2
      await new Promise<void>((r) => junk.send(d, i % 2 ? a.rtcpPort : a.port, HOST, () => r()));
    }
    await s.sendAudio(5, a.port);
    await waitFor('every fuzz datagram', () => {
      const st = statsOf(session, 'inbound');
      return st.packetsReceived + st.rtcpPackets >= 305 && st.packetsDecoded === 5;
    });
    const [st] = await session.close();
    expect(st!.packetsDecoded).toBe(5);
    expect(wavSamples(st!.wavPath)).toEqual(s.expected);
  });

  it('uses 2 ports per stream, refuses a call when the range is exhausted, and frees the ports on close', async () => {
    // the range holds 8 pairs: 4 two-stream calls
    const open = [];
    for (let i = 0; i < 4; i++) open.push(await receiver.open(`call-${i}`, [offerFor('inbound', generateKeyingMaterial()), offerFor('outbound', generateKeyingMaterial())]));
    const ports = open.flatMap((s) => s.answers().flatMap((a) => [a.port, a.rtcpPort]));
    expect(new Set(ports).size).toBe(16);
    await expect(receiver.open('one-too-many', [offerFor('inbound', generateKeyingMaterial())])).rejects.toMatchObject({ name: 'MediaError', code: 'ports-exhausted', message: expect.stringContaining(`${portMin}-${portMin + 15}`) });
    await expect(receiver.open('call-0', [offerFor('inbound', generateKeyingMaterial())])).rejects.toMatchObject({ code: 'session-exists' });
    expect(receiver.activeSessions()).toBe(4);
    await open[0]!.close();
    expect(receiver.activeSessions()).toBe(3);
    for (const p of open[0]!.answers().flatMap((a) => [a.port, a.rtcpPort])) expect(await canBind(p)).toBe(true);
    const again = await receiver.open('call-4', [offerFor('inbound', generateKeyingMaterial()), offerFor('outbound', generateKeyingMaterial())]);
    expect(again.answers()).toHaveLength(2);
    await receiver.close();
    expect(receiver.activeSessions()).toBe(0);
    for (const p of ports) expect(await canBind(p)).toBe(true);
  });
});
