import { AES_CM_128_HMAC_SHA1_80, parseCryptoAttribute, receivableCrypto, SrtpError } from '@ci-connector/media-srtp';
import { clip, SiprecError } from '../errors';
import { INBOUND, OUTBOUND, type StreamLabel } from '../labels';
import {
  attributes,
  cloneSdp,
  connectionOf,
  directionOf,
  directionsOf,
  g711Formats,
  originOf,
  parseSdp,
  removeAttributes,
  rtpmaps,
  SdpError,
  serializeSdp,
  setDirection,
  setOrigin,
  isAttribute,
  type Rtpmap,
  type Sdp,
  type SdpMedia,
} from './sdp';

/** What rtpengine's `subscribe request` answers in `media-labels`: its internal label → the call leg (monologue) the stream comes from. */
export type MediaLabels = Record<string, { tag: string; index?: number; type?: string; mode?: string }>;

export type SiprecOfferErrorCode =
  | 'offer-syntax'
  | 'offer-stream-count'
  | 'offer-media-labels'
  | 'offer-label'
  | 'offer-seller-leg'
  | 'offer-not-savp'
  | 'offer-direction'
  | 'offer-crypto'
  | 'offer-codec'
  | 'offer-connection';

/** rtpengine's SDP cannot be turned into a SIPREC offer: `code` says which check failed, the message what exactly. */
export class SiprecOfferError extends SiprecError {
  constructor(
    override readonly code: SiprecOfferErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'SiprecOfferError';
  }
}

export interface SiprecOfferStream {
  /** 0-based position of the m= line (the same in rtpengine's SDP, the offer and the recorder's answer). */
  index: number;
  label: StreamLabel;
  /** rtpengine's own label for the stream ("0", "1", …), to give back in the `subscribe answer`. */
  rtpengineLabel: string;
  /** The call leg (rtpengine monologue tag) whose media the stream carries. */
  tag: string;
}

export interface SiprecOffer {
  /** The SDP to put in the SIPREC INVITE (CRLF line ends). */
  sdp: string;
  /** One entry per m= line, in SDP order. */
  streams: SiprecOfferStream[];
}

export interface ToSiprecOfferInput {
  /** The SDP of rtpengine's `subscribe request` answer. */
  rtpengineSdp: string;
  /** Its `media-labels` dictionary (checked here: it comes from the network). */
  mediaLabels: unknown;
  /** The rtpengine tag (From- or To-tag of the call) of the seller's leg: its stream is `outbound`. */
  sellerLegTag: string;
  /**
   * `keep` (default): every codec rtpengine offers stays (the recorder ignores
   * what it does not know, and rtpengine 10.5 wants the answer to keep the
   * source's codecs); `g711-only`: only PCMU/PCMA/telephone-event are offered.
   */
  codecs?: 'keep' | 'g711-only';
}

/** SDES attributes of DTLS-SRTP that make no sense on an RTP/SAVP offer; rtpengine adds them unless `DTLS: off`. */
const DTLS_ATTRIBUTES = ['fingerprint', 'setup', 'tls-id'];

function fail(code: SiprecOfferErrorCode, message: string): never {
  throw new SiprecOfferError(code, message);
}

function readMediaLabels(value: unknown): MediaLabels {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('offer-media-labels', `media-labels is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}, expected a dictionary label → { tag }`);
  const out: MediaLabels = {};
  for (const [label, entry] of Object.entries(value)) {
    const tag = typeof entry === 'object' && entry !== null ? (entry as { tag?: unknown }).tag : undefined;
    if (typeof tag !== 'string' || tag === '') fail('offer-media-labels', `media-labels["${clip(label)}"] has no tag`);
    out[label] = { ...(entry as object), tag };
  }
  return out;
}

/**
 * Turns rtpengine's `subscribe request` SDP into the SIPREC offer for the
 * recorder: each stream's `a=label` (rtpengine's internal id) is rewritten to
 * `inbound` or `outbound` **by `media-labels`**, never by position: the stream
 * whose leg is the seller's is `outbound` (what the seller says), the other is
 * `inbound` (what the seller hears). Checks that there are exactly two audio
 * streams, each RTP/SAVP, `a=sendonly`, with a usable port and `c=`, a G.711
 * codec and an `AES_CM_128_HMAC_SHA1_80` key of 30 bytes; keeps that one
 * `a=crypto` per stream and drops other suites and DTLS attributes. Every other
 * line stays as rtpengine wrote it. Throws SiprecOfferError naming the problem.
 */
export function toSiprecOffer(input: ToSiprecOfferInput): SiprecOffer {
  let sdp: Sdp;
  try {
    sdp = parseSdp(input.rtpengineSdp);
  } catch (err) {
    if (err instanceof SdpError) fail('offer-syntax', `rtpengine's SDP does not parse: ${err.message}`);
    throw err;
  }
  if (typeof input.sellerLegTag !== 'string' || input.sellerLegTag === '') fail('offer-seller-leg', 'no seller leg tag given');
  const labels = readMediaLabels(input.mediaLabels);
  if (sdp.media.length !== 2 || sdp.media.some((m) => m.media !== 'audio')) {
    fail('offer-stream-count', `expected exactly two m=audio lines, found ${sdp.media.map((m) => `m=${m.media}`).join(', ') || 'none'}`);
  }
  const streams: SiprecOfferStream[] = sdp.media.map((m, index) => {
    const own = attributes(m.lines, 'label');
    if (own.length !== 1) fail('offer-label', `m=audio #${index + 1} has ${own.length} a=label lines, expected one`);
    const rtpengineLabel = (own[0] ?? '').trim();
    const leg = labels[rtpengineLabel];
    if (!leg) fail('offer-label', `m=audio #${index + 1} has a=label:${clip(rtpengineLabel)}, which media-labels does not map (it maps ${Object.keys(labels).map((l) => `"${clip(l)}"`).join(', ') || 'nothing'})`);
    return { index, label: leg.tag === input.sellerLegTag ? OUTBOUND : INBOUND, rtpengineLabel, tag: leg.tag };
  });
  const fromSeller = streams.filter((s) => s.label === OUTBOUND).length;
  if (fromSeller !== 1) {
    const map = streams.map((s) => `a=label:${s.rtpengineLabel} → leg ${s.tag}`).join(', ');
    fail('offer-seller-leg', fromSeller === 0 ? `no stream comes from the seller's leg ${clip(input.sellerLegTag)} (${map})` : `both streams come from the seller's leg ${clip(input.sellerLegTag)} (${map}): cannot tell inbound from outbound`);
  }
  const out = cloneSdp(sdp);
  out.media.forEach((m, index) => {
    const n = `m=audio #${index + 1}`;
    if (m.proto !== 'RTP/SAVP') fail('offer-not-savp', `${n} uses ${clip(m.proto)}, not RTP/SAVP (ask rtpengine for transport-protocol RTP/SAVP)`);
    if (m.port === 0) fail('offer-connection', `${n} has port 0`);
    checkConnection(out, m, n, (msg) => fail('offer-connection', msg));
    const dir = directionsOf(out, m);
    if (dir.length !== 1 || dir[0] !== 'sendonly') fail('offer-direction', `${n} is ${dir.length ? dir.map((d) => `a=${d}`).join(' ') : 'sendrecv (no direction attribute)'}, expected a=sendonly`);
    m.lines = keepOneCrypto(m, n);
    for (const a of DTLS_ATTRIBUTES) m.lines = removeAttributes(m.lines, a);
    if (g711Formats(m).length === 0) fail('offer-codec', `${n} offers ${m.formats.join(' ')} with no PCMU/8000 or PCMA/8000`);
    if (input.codecs === 'g711-only') keepG711(m);
    const stream = streams[index];
    relabel(m, stream?.label ?? '');
  });
  return { sdp: serializeSdp(out), streams };
}

/** Every `a=label` line of the section becomes `a=label:<label>`, in place. */
function relabel(m: SdpMedia, label: string): void {
  m.lines = m.lines.map((l) => (isAttribute(l, 'label') ? { type: 'a', value: `label:${label}` } : l));
}

function keepOneCrypto(m: SdpMedia, n: string): SdpMedia['lines'] {
  const all = attributes(m.lines, 'crypto');
  const ours = all.filter((v) => v.trim().split(/[ \t]+/)[1] === AES_CM_128_HMAC_SHA1_80);
  const first = ours[0];
  if (first === undefined) fail('offer-crypto', `${n} offers no a=crypto with ${AES_CM_128_HMAC_SHA1_80}${all.length ? ` (offers ${all.map((v) => clip(v.trim().split(/[ \t]+/)[1] ?? '?', 30)).join(', ')})` : ''}`);
  try {
    receivableCrypto(parseCryptoAttribute(first));
  } catch (err) {
    if (err instanceof SrtpError) fail('offer-crypto', `${n}: ${err.message}`);
    throw err;
  }
  let kept = false;
  return removeAttributes(m.lines, 'crypto', (v) => {
    if (!kept && v === first) {
      kept = true;
      return false;
    }
    return true;
  });
}

function keepG711(m: SdpMedia): void {
  const maps = rtpmaps(m);
  const keep = (f: string) => {
    const r = maps.get(Number(f));
    if (!r || !/^\d{1,3}$/.test(f)) return false;
    const enc = r.encoding.toUpperCase();
    return r.clockRate === 8000 && (enc === 'PCMU' || enc === 'PCMA' || enc === 'TELEPHONE-EVENT');
  };
  const dropped = new Set(m.formats.filter((f) => !keep(f)));
  m.formats = m.formats.filter(keep);
  for (const a of ['rtpmap', 'fmtp']) m.lines = removeAttributes(m.lines, a, (v) => dropped.has(v.trim().split(/\s/)[0] ?? ''));
}

function checkConnection(sdp: Sdp, m: SdpMedia, n: string, onError: (message: string) => never): void {
  let c;
  try {
    c = connectionOf(sdp, m);
  } catch (err) {
    if (err instanceof SdpError) onError(`${n}: ${err.message}`);
    throw err;
  }
  if (!c) onError(`${n} has no c= line (media or session level)`);
  if (c.netType !== 'IN' || (c.addrType !== 'IP4' && c.addrType !== 'IP6')) onError(`${n}: c=${clip(`${c.netType} ${c.addrType} ${c.address}`)} is not IN IP4/IP6`);
  if (c.address === '0.0.0.0' || c.address === '::') onError(`${n}: c= address ${c.address} is unspecified`);
}

export type SrsAnswerErrorCode =
  | 'answer-syntax'
  | 'answer-stream-count'
  | 'answer-media'
  | 'answer-label'
  | 'answer-not-savp'
  | 'answer-direction'
  | 'answer-port-zero'
  | 'answer-crypto'
  | 'answer-codec'
  | 'answer-connection';

/** The recorder's answer is not one we may pass to rtpengine (it would not refuse it: it would send plain RTP or garbage). */
export class SrsAnswerError extends SiprecError {
  constructor(
    override readonly code: SrsAnswerErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'SrsAnswerError';
  }
}

export interface AcceptedStream {
  index: number;
  label: string;
  direction: 'recvonly' | 'inactive';
  /** The recorder's port (0: it declined the stream; only allowed on an inactive offer). */
  port: number;
  /** The G.711 codec the recorder accepted first (undefined when the stream is declined). */
  codec?: Rtpmap;
  /** The answer's `a=crypto` value (undefined when the stream is declined). */
  crypto?: string;
}

export type SrsAnswerCheck = { ok: true; streams: AcceptedStream[] } | { ok: false; error: SrsAnswerError };

/**
 * Checks the recorder's SDP answer against the offer we sent, the way
 * rtpengine will not (it accepts an RTP/AVP answer or a bad key and then sends
 * plain RTP): as many m= lines as offered, in the same order (labels, when the
 * answer has them, match); each RTP/SAVP; direction `recvonly` or `inactive`
 * (only `inactive` for a stream offered inactive); a stream offered active is
 * not declined (port 0); exactly one `a=crypto` with AES_CM_128_HMAC_SHA1_80,
 * one of the tags we offered, and a 30-byte inline key; a G.711 codec we
 * offered; a usable `c=`.
 */
export function checkSrsAnswer(offer: string | Sdp, answer: string): SrsAnswerCheck {
  try {
    return { ok: true, streams: checkOrThrow(offer, answer) };
  } catch (err) {
    if (err instanceof SrsAnswerError) return { ok: false, error: err };
    throw err;
  }
}

function afail(code: SrsAnswerErrorCode, message: string): never {
  throw new SrsAnswerError(code, message);
}

function checkOrThrow(offerIn: string | Sdp, answerText: string): AcceptedStream[] {
  const offer = typeof offerIn === 'string' ? parseSdp(offerIn) : offerIn;
  let answer: Sdp;
  try {
    answer = parseSdp(answerText);
  } catch (err) {
    if (err instanceof SdpError) afail('answer-syntax', `the recorder's SDP does not parse: ${err.message}`);
    throw err;
  }
  if (answer.media.length !== offer.media.length) afail('answer-stream-count', `the answer has ${answer.media.length} m= line(s), the offer ${offer.media.length} (RFC 3264 §6: one per offered stream, in order)`);
  return answer.media.map((a, index) => {
    const o = offer.media[index] as SdpMedia;
    const offeredLabel = (attributes(o.lines, 'label')[0] ?? '').trim();
    const n = `m=${a.media} #${index + 1}${offeredLabel ? ` (${offeredLabel})` : ''}`;
    if (a.media !== o.media) afail('answer-media', `${n} is m=${clip(a.media)}, the offer's is m=${o.media}`);
    const labels = attributes(a.lines, 'label').map((l) => l.trim());
    if (labels.length > 1) afail('answer-label', `${n} has ${labels.length} a=label lines`);
    const label = labels[0];
    if (label !== undefined && label !== offeredLabel) {
      const other = offer.media.findIndex((m) => (attributes(m.lines, 'label')[0] ?? '').trim() === label);
      afail('answer-label', other >= 0 ? `${n} is labelled ${clip(label)}, the label of offered m= #${other + 1}: the answer's m= lines are out of order` : `${n} is labelled ${clip(label)}, the offer's is ${offeredLabel}`);
    }
    if (a.proto !== 'RTP/SAVP') afail('answer-not-savp', `${n} uses ${clip(a.proto)}, not RTP/SAVP: rtpengine would send that stream as plain RTP`);
    const offeredDir = directionOf(offer, o);
    const dir = directionOf(answer, a);
    const allowed: string[] = offeredDir === 'inactive' ? ['inactive'] : ['recvonly', 'inactive'];
    if (dir === undefined || !allowed.includes(dir)) {
      afail('answer-direction', `${n} is ${dir === undefined ? directionsOf(answer, a).map((d) => `a=${d}`).join(' ') : dir === 'sendrecv' ? 'sendrecv (no direction attribute)' : `a=${dir}`}, expected ${allowed.map((d) => `a=${d}`).join(' or ')} in answer to a=${offeredDir ?? '?'}`);
    }
    if (a.port === 0) {
      if (offeredDir !== 'inactive') afail('answer-port-zero', `${n} has port 0: the recorder declined a stream we offered a=${offeredDir ?? '?'}`);
      return { index, label: offeredLabel, direction: 'inactive', port: 0 };
    }
    checkConnection(answer, a, n, (msg) => afail('answer-connection', msg));
    const crypto = checkAnswerCrypto(o, a, n);
    const offered = new Map(g711Formats(o).map((r) => [r.pt, r]));
    const codec = g711Formats(a).find((r) => offered.get(r.pt)?.encoding.toUpperCase() === r.encoding.toUpperCase());
    if (!codec) afail('answer-codec', `${n} answers formats ${a.formats.join(' ')}, none of the G.711 ones offered (${[...offered.values()].map((r) => `${r.pt} ${r.encoding}`).join(', ') || 'none'})`);
    return { index, label: offeredLabel, direction: dir as 'recvonly' | 'inactive', port: a.port, codec, crypto };
  });
}

function checkAnswerCrypto(o: SdpMedia, a: SdpMedia, n: string): string {
  const cryptos = attributes(a.lines, 'crypto').map((v) => v.trim());
  if (cryptos.length === 0) afail('answer-crypto', `${n} has no a=crypto: without SDES keys rtpengine would send plain RTP`);
  if (cryptos.length > 1) afail('answer-crypto', `${n} has ${cryptos.length} a=crypto lines, an answer carries exactly one (RFC 4568 §5.1.2)`);
  const value = cryptos[0] ?? '';
  let parsed;
  try {
    parsed = parseCryptoAttribute(value);
    receivableCrypto(parsed);
  } catch (err) {
    if (err instanceof SrtpError) afail('answer-crypto', `${n}: ${err.message}`);
    throw err;
  }
  const offeredTags = attributes(o.lines, 'crypto').map((v) => v.trim().split(/[ \t]+/));
  const match = offeredTags.find(([tag]) => Number(tag) === parsed.tag);
  if (!match) afail('answer-crypto', `${n} a=crypto tag ${parsed.tag} is none of the offered tags (${offeredTags.map(([t]) => t).join(', ')})`);
  if (match[1] !== parsed.suite) afail('answer-crypto', `${n} a=crypto tag ${parsed.tag} names ${parsed.suite}, the offer's tag ${parsed.tag} is ${match[1] ?? '?'}`);
  return value;
}

/**
 * The offer to pause the recording (RFC 7866 §6.1.3 via RFC 3264 §8.4): the
 * last offer with every stream `a=inactive` and the `o=` version increased.
 */
export function inactiveOffer(offer: string): string {
  const sdp = parseSdp(offer);
  for (const m of sdp.media) setDirection(m, 'inactive');
  const o = originOf(sdp);
  setOrigin(sdp, { ...o, sessionVersion: o.sessionVersion + 1n });
  return serializeSdp(sdp);
}

/**
 * A new offer in an existing SIPREC dialog (re-INVITE after rtpengine gave a
 * fresh SDP, e.g. on resume or a media change): RFC 3264 §8 wants the `o=`
 * username, session id and address of the previous offer and its version plus
 * one. Returns `next` with that `o=` line.
 */
export function continueSdpSession(previous: string, next: string): string {
  const prev = originOf(parseSdp(previous));
  const sdp = parseSdp(next);
  setOrigin(sdp, { ...prev, sessionVersion: prev.sessionVersion + 1n });
  return serializeSdp(sdp);
}

/**
 * The recorder's answer as rtpengine's `subscribe answer` wants it: the labels
 * back to rtpengine's own ids (matched by position, which RFC 3264 fixes, after
 * checkSrsAnswer confirmed the order).
 */
export function toRtpengineAnswer(offer: SiprecOffer, srsAnswer: string): string {
  const sdp = parseSdp(srsAnswer);
  sdp.media.forEach((m, i) => {
    const s = offer.streams[i];
    if (!s) return;
    relabel(m, s.rtpengineLabel);
  });
  return serializeSdp(sdp);
}
