import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  AudioStreamReceiver,
  formatCryptoAttribute,
  generateKeyingMaterial,
  parseCryptoAttribute,
  receivableCrypto,
  SrtpError,
  type CryptoAttribute,
  type G711Encoding,
  type StreamStats as SrtpStreamStats,
} from '@ci-connector/media-srtp';
import { MediaError } from './errors';
import { PortAllocator } from './port-allocator';
import { SAFE_LABEL, safeCallDir } from './safe-name';
import { WavFile } from './wav-file';

/** One m=audio of the SRC's SDP offer. */
export interface StreamOffer {
  /** 'inbound' | 'outbound' (already validated by the SIP side) */
  label: string;
  /** from m= + a=rtpmap (static 0/8 implied) */
  payloadTypes: { pt: number; encoding: string; clockRate: number }[];
  /** the chosen a=crypto value, e.g. '1 AES_CM_128_HMAC_SHA1_80 inline:...' */
  crypto: string;
  direction: 'sendonly' | 'inactive';
  /** c=/m= of the SRC (informational) */
  remote: { address: string; port: number };
}

export interface StreamAnswer {
  label: string;
  port: number;
  rtcpPort: number;
  /** our own key, same tag and suite */
  crypto: string;
  /** the audio codec we accept: first PCMU/PCMA in the offer */
  pt: number;
  telephoneEventPt?: number;
  direction: 'recvonly' | 'inactive';
}

/** What one stream did: the SRTP/RTP counters of @ci-connector/media-srtp plus where its audio went. */
export type StreamStats = SrtpStreamStats & {
  label: string;
  wavPath: string;
  /** samples in the WAV (audio + inserted silence) */
  samplesWritten: number;
  /** samples dropped because the WAV reached its 4 GiB limit */
  samplesDropped: number;
  writeErrors: number;
  port: number;
  rtcpPort: number;
  pt: number;
  encoding: G711Encoding;
  direction: 'recvonly' | 'inactive';
  remote: { address: string; port: number };
  /** the SRC's crypto contexts used so far (1 + re-keyings) */
  cryptoContexts: number;
};

export interface MediaReceiverOptions {
  host: string;
  portMin: number;
  portMax: number;
  recordingsDir: string;
  logger: Logger;
  /** silence inserted for one timestamp gap at most, in samples (default 16000 = 2 s) */
  maxGapSamples?: number;
}

export interface UpdateOptions {
  /** bind new ports for every stream (the old ones are closed and freed) */
  newPorts?: boolean;
}

export interface MediaSession {
  readonly callId: string;
  /** recordingsDir/<safe callId>/ */
  readonly dir: string;
  answers(): StreamAnswer[];
  /** re-INVITE: new keys and/or ports (new crypto context), or inactive (pause, WAV kept open); resume appends to the same WAV */
  update(streams: StreamOffer[], opts?: UpdateOptions): Promise<StreamAnswer[]>;
  /** per label, with wavPath and samplesWritten */
  stats(): StreamStats[];
  /** closes sockets, finalises every WAV (header patched); idempotent */
  close(): Promise<StreamStats[]>;
}

interface Negotiated {
  attr: CryptoAttribute;
  pt: number;
  encoding: G711Encoding;
  telephoneEventPt?: number;
}

/** Checks one offered stream; throws MediaError('bad-offer') naming the stream and the rule. */
function negotiate(offer: StreamOffer): Negotiated {
  const where = `stream '${String(offer.label)}'`;
  if (typeof offer.label !== 'string' || !SAFE_LABEL.test(offer.label)) throw new MediaError('bad-offer', `${where}: the label must be 1-64 letters, digits, '_' or '-'`);
  let attr: CryptoAttribute;
  try {
    attr = parseCryptoAttribute(offer.crypto);
    receivableCrypto(attr);
  } catch (e) {
    if (e instanceof SrtpError) throw new MediaError('bad-offer', `${where}: ${e.message}`, { cause: e });
    throw e;
  }
  const audio = offer.payloadTypes.find((p) => /^(PCMU|PCMA)$/i.test(p.encoding) && p.clockRate === 8000);
  if (!audio) throw new MediaError('bad-offer', `${where}: no PCMU/8000 or PCMA/8000 payload type offered`);
  if (!Number.isInteger(audio.pt) || audio.pt < 0 || audio.pt > 127) throw new MediaError('bad-offer', `${where}: payload type ${audio.pt} is not 0..127`);
  const te = offer.payloadTypes.find((p) => /^telephone-event$/i.test(p.encoding) && p.clockRate === 8000);
  return { attr, pt: audio.pt, encoding: audio.encoding.toUpperCase() as G711Encoding, ...(te ? { telephoneEventPt: te.pt } : {}) };
}

function bindUdp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    const onError = (e: Error) => {
      try {
        s.close();
      } catch {
        // never bound: nothing to close
      }
      reject(e);
    };
    s.once('error', onError);
    s.bind({ port, address: host, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

function closeUdp(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

interface Binding {
  port: number;
  rtp: Socket;
  rtcp: Socket;
}

/** One labelled stream of a call: its sockets, its SRTP receive pipeline, its WAV. */
class RecordingStream {
  private binding: Binding;
  private negotiated: Negotiated;
  private ownCrypto: string;
  private direction: 'recvonly' | 'inactive';
  private remote: StreamOffer['remote'];
  private contexts = 1;
  private warnedAuth = false;
  readonly receiver: AudioStreamReceiver;

  constructor(
    readonly label: string,
    offer: StreamOffer,
    negotiated: Negotiated,
    binding: Binding,
    readonly wav: WavFile,
    private readonly logger: Logger,
    maxGapSamples: number | undefined,
  ) {
    this.negotiated = negotiated;
    this.binding = binding;
    this.ownCrypto = ownCryptoFor(negotiated.attr);
    this.direction = offer.direction === 'inactive' ? 'inactive' : 'recvonly';
    this.remote = { ...offer.remote };
    this.receiver = new AudioStreamReceiver({
      crypto: negotiated.attr,
      audioPt: negotiated.pt,
      encoding: negotiated.encoding,
      ...(negotiated.telephoneEventPt !== undefined ? { telephoneEventPt: negotiated.telephoneEventPt } : {}),
      ...(maxGapSamples !== undefined ? { maxGapSamples } : {}),
    });
    this.receiver.setPaused(this.direction === 'inactive');
    this.attach(binding);
  }

  get port(): number {
    return this.binding.port;
  }

  /** Applies a re-offer already checked by negotiate(). */
  apply(offer: StreamOffer, negotiated: Negotiated): void {
    const old = this.negotiated;
    if (formatCryptoAttribute(negotiated.attr) !== formatCryptoAttribute(old.attr)) {
      this.receiver.rekey(negotiated.attr);
      this.contexts++;
      this.ownCrypto = ownCryptoFor(negotiated.attr);
      this.warnedAuth = false;
    }
    if (negotiated.pt !== old.pt || negotiated.encoding !== old.encoding || negotiated.telephoneEventPt !== old.telephoneEventPt) {
      this.receiver.renegotiate(negotiated.pt, negotiated.encoding, negotiated.telephoneEventPt);
    }
    this.negotiated = negotiated;
    this.remote = { ...offer.remote };
    this.pause(offer.direction === 'inactive');
  }

  pause(paused: boolean): void {
    this.direction = paused ? 'inactive' : 'recvonly';
    this.receiver.setPaused(paused);
  }

  /** Moves to new sockets; returns the old binding for the caller to close and free. */
  rebind(binding: Binding): Binding {
    const old = this.binding;
    old.rtp.removeAllListeners('message');
    old.rtcp.removeAllListeners('message');
    this.binding = binding;
    this.attach(binding);
    return old;
  }

  answer(): StreamAnswer {
    return {
      label: this.label,
      port: this.binding.port,
      rtcpPort: this.binding.port + 1,
      crypto: this.ownCrypto,
      pt: this.negotiated.pt,
      ...(this.negotiated.telephoneEventPt !== undefined ? { telephoneEventPt: this.negotiated.telephoneEventPt } : {}),
      direction: this.direction,
    };
  }

  stats(): StreamStats {
    return {
      ...this.receiver.stats(),
      label: this.label,
      wavPath: this.wav.path,
      samplesWritten: this.wav.encoder.samplesWritten,
      samplesDropped: this.wav.encoder.samplesDropped,
      writeErrors: this.wav.writeErrors,
      port: this.binding.port,
      rtcpPort: this.binding.port + 1,
      pt: this.negotiated.pt,
      encoding: this.negotiated.encoding,
      direction: this.direction,
      remote: { ...this.remote },
      cryptoContexts: this.contexts,
    };
  }

  currentBinding(): Binding {
    return this.binding;
  }

  private attach(b: Binding): void {
    b.rtp.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.onRtp(msg, rinfo));
    b.rtcp.on('message', (msg: Buffer) => this.onRtcp(msg));
    for (const s of [b.rtp, b.rtcp]) s.on('error', (e) => this.logger.warn({ err: e, label: this.label }, 'media socket error'));
  }

  private onRtp(msg: Buffer, rinfo: RemoteInfo): void {
    try {
      const o = this.receiver.receiveRtp(msg, Date.now());
      if (o.kind === 'audio') this.wav.appendSamples(o.chunk.silence, o.chunk.samples);
      else if (o.kind === 'dropped' && o.reason === 'auth-failed' && !this.warnedAuth) {
        this.warnedAuth = true;
        this.logger.warn({ label: this.label, from: `${rinfo.address}:${rinfo.port}`, detail: o.detail }, 'SRTP packet failed authentication (further failures are only counted)');
      }
    } catch (e) {
      // AudioStreamReceiver never throws; this is the last guard for the process
      this.logger.error({ err: e, label: this.label }, 'unexpected error handling an RTP datagram');
    }
  }

  private onRtcp(msg: Buffer): void {
    try {
      this.receiver.receiveRtcp(msg, Date.now());
    } catch (e) {
      this.logger.error({ err: e, label: this.label }, 'unexpected error handling an RTCP datagram');
    }
  }
}

function ownCryptoFor(offered: CryptoAttribute): string {
  return formatCryptoAttribute({ tag: offered.tag, suite: offered.suite, keyParams: [{ method: 'inline', keySalt: generateKeyingMaterial(offered.suite) }], sessionParams: [] });
}

class Session implements MediaSession {
  private readonly streams = new Map<string, RecordingStream>();
  private closing: Promise<StreamStats[]> | undefined;
  private updating: Promise<unknown> = Promise.resolve();

  constructor(
    readonly callId: string,
    readonly dir: string,
    private readonly owner: MediaReceiver,
    private readonly logger: Logger,
  ) {}

  async addStreams(offers: StreamOffer[], negotiated: Negotiated[]): Promise<void> {
    const created: RecordingStream[] = [];
    try {
      for (const [i, offer] of offers.entries()) {
        const n = negotiated[i];
        if (!n) continue;
        const binding = await this.owner.bindPair();
        let wav: WavFile;
        try {
          wav = await WavFile.create(join(this.dir, `${offer.label}.wav`), this.logger);
        } catch (e) {
          await this.owner.releasePair(binding);
          throw new MediaError('file-error', `stream '${offer.label}': cannot create ${join(this.dir, `${offer.label}.wav`)}: ${(e as Error).message}`, { cause: e });
        }
        const s = new RecordingStream(offer.label, offer, n, binding, wav, this.logger, this.owner.maxGapSamples);
        created.push(s);
        this.streams.set(offer.label, s);
      }
    } catch (e) {
      for (const s of created) {
        this.streams.delete(s.label);
        await this.owner.releasePair(s.currentBinding());
        await s.wav.close();
      }
      throw e;
    }
  }

  answers(): StreamAnswer[] {
    return [...this.streams.values()].map((s) => s.answer());
  }

  update(offers: StreamOffer[], opts: UpdateOptions = {}): Promise<StreamAnswer[]> {
    const run = this.updating.then(() => this.doUpdate(offers, opts));
    this.updating = run.catch(() => undefined);
    return run;
  }

  private async doUpdate(offers: StreamOffer[], opts: UpdateOptions): Promise<StreamAnswer[]> {
    if (this.closing) throw new MediaError('closed', `call ${this.callId}: the media session is closed`);
    checkLabels(offers);
    // Check everything before changing anything: a refused re-offer leaves the session as it was.
    const negotiated = offers.map(negotiate);
    const added = offers.filter((o) => !this.streams.has(o.label));
    const fresh: Binding[] = [];
    if (opts.newPorts) {
      try {
        for (let i = 0; i < this.streams.size; i++) fresh.push(await this.owner.bindPair());
      } catch (e) {
        for (const b of fresh) await this.owner.releasePair(b);
        throw e;
      }
    }
    try {
      await this.addStreams(added, added.map((o) => negotiated[offers.indexOf(o)] as Negotiated));
    } catch (e) {
      for (const b of fresh) await this.owner.releasePair(b);
      throw e;
    }
    const offered = new Set(offers.map((o) => o.label));
    const old: Binding[] = [];
    let next = 0;
    for (const s of this.streams.values()) {
      const i = offers.findIndex((o) => o.label === s.label);
      const offer = offers[i];
      const n = negotiated[i];
      if (!added.some((a) => a.label === s.label)) {
        if (offer && n) s.apply(offer, n);
        const b = fresh[next];
        if (b) {
          old.push(s.rebind(b));
          next++;
        }
      }
      // a stream the re-offer no longer lists stops being expected (its WAV stays open)
      if (!offered.has(s.label)) s.pause(true);
    }
    for (const b of old) await this.owner.releasePair(b);
    this.logger.info({ answers: this.answers().map((a) => ({ label: a.label, port: a.port, direction: a.direction })) }, 'media session updated');
    return this.answers();
  }

  stats(): StreamStats[] {
    return [...this.streams.values()].map((s) => s.stats());
  }

  close(): Promise<StreamStats[]> {
    this.closing ??= this.updating.then(async () => {
      for (const s of this.streams.values()) await this.owner.releasePair(s.currentBinding());
      await Promise.all([...this.streams.values()].map((s) => s.wav.close()));
      this.owner.forget(this);
      const stats = this.stats();
      this.logger.info({ streams: stats.map((s) => ({ label: s.label, samplesWritten: s.samplesWritten, packetsDecoded: s.packetsDecoded, authFailed: s.authFailed, lost: s.lost, reordered: s.reordered })) }, 'media session closed');
      return stats;
    });
    return this.closing;
  }
}

function checkLabels(offers: StreamOffer[]): void {
  if (!Array.isArray(offers) || offers.length === 0) throw new MediaError('bad-offer', 'no audio stream offered');
  const seen = new Set<string>();
  for (const o of offers) {
    if (seen.has(o.label)) throw new MediaError('bad-offer', `stream label '${o.label}' is offered twice`);
    seen.add(o.label);
  }
}

/**
 * The recorder's media side: per call, one RTP/RTCP port pair per labelled
 * stream on `host`, SRTP checked and decrypted with the SRC's key, G.711
 * decoded into `<recordingsDir>/<safe callId>/<label>.wav`.
 */
export class MediaReceiver {
  private readonly ports: PortAllocator;
  private readonly sessions = new Map<string, Session>();
  private closed = false;
  readonly maxGapSamples: number | undefined;

  constructor(private readonly opts: MediaReceiverOptions) {
    this.ports = new PortAllocator(opts.portMin, opts.portMax);
    this.maxGapSamples = opts.maxGapSamples;
  }

  /** Port pairs free in the range (by our own count; the system may still refuse some). */
  freePortPairs(): number {
    return this.ports.capacity - this.ports.used;
  }

  async open(callId: string, streams: StreamOffer[]): Promise<MediaSession> {
    if (this.closed) throw new MediaError('closed', 'the media receiver is closed');
    if (typeof callId !== 'string' || callId.length === 0) throw new MediaError('bad-offer', 'the Call-ID is empty');
    if (this.sessions.has(callId)) throw new MediaError('session-exists', `call ${callId} already has a media session`);
    checkLabels(streams);
    const negotiated = streams.map(negotiate);
    const dir = join(this.opts.recordingsDir, safeCallDir(callId));
    const logger = this.opts.logger.child({ callId, component: 'media' });
    const session = new Session(callId, dir, this, logger);
    this.sessions.set(callId, session);
    try {
      await session.addStreams(streams, negotiated);
    } catch (e) {
      this.sessions.delete(callId);
      throw e;
    }
    logger.info({ dir, answers: session.answers().map((a) => ({ label: a.label, port: a.port, pt: a.pt })) }, 'media session opened');
    return session;
  }

  activeSessions(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
  }

  /** @internal */
  async bindPair(): Promise<Binding> {
    const { port, value } = await this.ports.allocate(async (rtpPort, rtcpPort) => {
      const rtp = await bindUdp(this.opts.host, rtpPort);
      try {
        return { rtp, rtcp: await bindUdp(this.opts.host, rtcpPort) };
      } catch (e) {
        await closeUdp(rtp);
        throw e;
      }
    });
    return { port, ...value };
  }

  /** @internal */
  async releasePair(b: Binding): Promise<void> {
    await Promise.all([closeUdp(b.rtp), closeUdp(b.rtcp)]);
    this.ports.release(b.port);
  }

  /** @internal */
  forget(s: Session): void {
    if (this.sessions.get(s.callId) === s) this.sessions.delete(s.callId);
  }
}
