import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { emulatorAnswer, emulatorCheckInvite } from '../__support__/emulator';
import { seededRandom } from '../__support__/random';
import { buildRecordingMetadata } from '../metadata/metadata';
import { attributes, parseSdp } from './sdp';
import { checkSrsAnswer, continueSdpSession, inactiveOffer, SiprecOfferError, toRtpengineAnswer, toSiprecOffer, type SiprecOffer } from './siprec-sdp';

interface Capture {
  sdp: string;
  'media-labels': Record<string, { tag: string }>;
}
const fixture = JSON.parse(readFileSync(join(__dirname, '../__fixtures__/rtpengine-subscribe-request.json'), 'utf8')) as { narrowed: Capture; default: Capture };
const narrowed = fixture.narrowed;
const wide = fixture.default;

const labelsOf = (sdp: string) => parseSdp(sdp).media.map((m) => attributes(m.lines, 'label'));
const cryptosOf = (sdp: string) => parseSdp(sdp).media.map((m) => attributes(m.lines, 'crypto'));

/** The captured SDP lists rtpengine label "1" (caller-tag) first and "0" (callee-tag) second. */
describe('toSiprecOffer on real rtpengine 10.5 output', () => {
  it('maps labels by media-labels, not by position: the seller leg is outbound wherever it sits', () => {
    expect(labelsOf(narrowed.sdp)).toEqual([['1'], ['0']]);
    const asCaller = toSiprecOffer({ rtpengineSdp: narrowed.sdp, mediaLabels: narrowed['media-labels'], sellerLegTag: 'caller-tag' });
    expect(labelsOf(asCaller.sdp)).toEqual([['outbound'], ['inbound']]);
    expect(asCaller.streams).toEqual([
      { index: 0, label: 'outbound', rtpengineLabel: '1', tag: 'caller-tag' },
      { index: 1, label: 'inbound', rtpengineLabel: '0', tag: 'callee-tag' },
    ]);
    const asCallee = toSiprecOffer({ rtpengineSdp: narrowed.sdp, mediaLabels: narrowed['media-labels'], sellerLegTag: 'callee-tag' });
    expect(labelsOf(asCallee.sdp)).toEqual([['inbound'], ['outbound']]);
  });

  it('changes nothing else in the narrowed SDP (only the a=label lines)', () => {
    const offer = toSiprecOffer({ rtpengineSdp: narrowed.sdp, mediaLabels: narrowed['media-labels'], sellerLegTag: 'caller-tag' });
    expect(offer.sdp.replace(/a=label:outbound/, 'a=label:1').replace(/a=label:inbound/, 'a=label:0')).toBe(narrowed.sdp);
  });

  it("drops the other suites and rtpengine's DTLS attributes from the unnarrowed SDP, keeping one AES_CM_128_HMAC_SHA1_80 per stream", () => {
    expect(cryptosOf(wide.sdp).map((c) => c.length)).toEqual([12, 12]);
    const offer = toSiprecOffer({ rtpengineSdp: wide.sdp, mediaLabels: wide['media-labels'], sellerLegTag: 'callee-tag' });
    const cryptos = cryptosOf(offer.sdp);
    expect(cryptos.map((c) => c.length)).toEqual([1, 1]);
    expect(cryptos.flat().every((c) => /^\d+ AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}$/.test(c))).toBe(true);
    expect(offer.sdp).not.toMatch(/a=fingerprint|a=setup|a=tls-id/);
  });

  it('passes every rule of the emulator recorder with our metadata, and the emulator-style answer passes checkSrsAnswer', async () => {
    for (const capture of [narrowed, wide]) {
      const offer = toSiprecOffer({ rtpengineSdp: capture.sdp, mediaLabels: capture['media-labels'], sellerLegTag: 'caller-tag' });
      const meta = buildRecordingMetadata({ role: 'outbound', caller: { aor: 'sip:+14155550100@carrier.example', displayName: 'Kiana Anderson' }, callee: { aor: 'tel:+442071234567' }, associateTime: 0, random: seededRandom(capture.sdp.length) });
      const result = await emulatorCheckInvite(offer.sdp, meta.xml);
      expect(result).toMatchObject({ ok: true });
      if (result.ok !== true) return;
      expect(result.accepted.offers.map((o) => o.label)).toEqual(['outbound', 'inbound']);
      const answer = emulatorAnswer(result);
      const check = checkSrsAnswer(offer.sdp, answer);
      expect(check).toMatchObject({ ok: true, streams: [{ label: 'outbound', direction: 'recvonly', codec: { encoding: 'PCMU' } }, { label: 'inbound', direction: 'recvonly' }] });
      // … and goes back to rtpengine with its own labels, in the same order.
      expect(labelsOf(toRtpengineAnswer(offer, answer))).toEqual([['1'], ['0']]);
    }
  });

  it('keeps only G.711 and telephone-event with codecs: g711-only', () => {
    const sdp = narrowed.sdp.replace(/RTP\/SAVP 0 8 101/g, 'RTP/SAVP 9 0 8 101').replace(/a=rtpmap:0 PCMU\/8000/g, 'a=rtpmap:9 G722/8000\r\na=fmtp:9 x=y\r\na=rtpmap:0 PCMU/8000');
    const kept = toSiprecOffer({ rtpengineSdp: sdp, mediaLabels: narrowed['media-labels'], sellerLegTag: 'caller-tag' });
    expect(parseSdp(kept.sdp).media[0]?.formats).toEqual(['9', '0', '8', '101']);
    const g711 = toSiprecOffer({ rtpengineSdp: sdp, mediaLabels: narrowed['media-labels'], sellerLegTag: 'caller-tag', codecs: 'g711-only' });
    expect(parseSdp(g711.sdp).media.map((m) => m.formats)).toEqual([['0', '8', '101'], ['0', '8', '101']]);
    expect(g711.sdp).not.toMatch(/G722|fmtp:9/);
  });
});

describe('toSiprecOffer refuses, naming the problem', () => {
  const labels = narrowed['media-labels'];
  const bad = (sdp: string, mediaLabels: unknown = labels, sellerLegTag = 'caller-tag') => () => toSiprecOffer({ rtpengineSdp: sdp, mediaLabels, sellerLegTag });
  const cases: [string, () => unknown, string, RegExp][] = [
    ['unparseable SDP', bad('nonsense'), 'offer-syntax', /does not parse: the first line must be "v=0"/],
    ['one stream only', bad(narrowed.sdp.slice(0, narrowed.sdp.lastIndexOf('m=audio'))), 'offer-stream-count', /expected exactly two m=audio lines, found m=audio$/],
    ['media-labels not a dictionary', bad(narrowed.sdp, ['0', '1']), 'offer-media-labels', /is an array/],
    ['media-labels entry without tag', bad(narrowed.sdp, { '0': { tag: 'x' }, '1': {} }), 'offer-media-labels', /media-labels\["1"\] has no tag/],
    ['a label media-labels does not map', bad(narrowed.sdp, { '0': labels['0'] }), 'offer-label', /m=audio #1 has a=label:1, which media-labels does not map \(it maps "0"\)/],
    ['a stream without label', bad(narrowed.sdp.replace('a=label:1\r\n', '')), 'offer-label', /m=audio #1 has 0 a=label lines/],
    ['seller leg on no stream', bad(narrowed.sdp, labels, 'someone-else'), 'offer-seller-leg', /no stream comes from the seller's leg someone-else \(a=label:1 → leg caller-tag, a=label:0 → leg callee-tag\)/],
    ['seller leg on both streams', bad(narrowed.sdp, { '0': { tag: 'caller-tag' }, '1': { tag: 'caller-tag' } }), 'offer-seller-leg', /both streams come from the seller's leg/],
    ['plain RTP', bad(narrowed.sdp.replace('RTP/SAVP', 'RTP/AVP')), 'offer-not-savp', /m=audio #1 uses RTP\/AVP, not RTP\/SAVP/],
    ['sendrecv', bad(narrowed.sdp.replace('a=sendonly\r\n', '')), 'offer-direction', /m=audio #1 is sendrecv \(no direction attribute\), expected a=sendonly/],
    ['no AES_CM_128_HMAC_SHA1_80', bad(narrowed.sdp.replace(/AES_CM_128_HMAC_SHA1_80/, 'AES_256_CM_HMAC_SHA1_80')), 'offer-crypto', /m=audio #1 offers no a=crypto with AES_CM_128_HMAC_SHA1_80 \(offers AES_256_CM_HMAC_SHA1_80\)/],
    ['a short key', bad(narrowed.sdp.replace(/inline:[A-Za-z0-9+/]+/, 'inline:AAAA')), 'offer-crypto', /m=audio #1: .*30 octets/],
    ['no G.711', bad(narrowed.sdp.replace(/RTP\/SAVP 0 8 101/, 'RTP/SAVP 101')), 'offer-codec', /m=audio #1 offers 101 with no PCMU\/8000 or PCMA\/8000/],
    ['port 0', bad(narrowed.sdp.replace(/m=audio \d+/, 'm=audio 0')), 'offer-connection', /m=audio #1 has port 0/],
    ['no c=', bad(narrowed.sdp.replace(/c=IN IP4 127.0.0.1\r\n/, '')), 'offer-connection', /m=audio #1 has no c= line/],
  ];
  it.each(cases)('%s', (_name, fn, code, message) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SiprecOfferError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
  });
});

const offer = (): SiprecOffer => toSiprecOffer({ rtpengineSdp: narrowed.sdp, mediaLabels: narrowed['media-labels'], sellerLegTag: 'caller-tag' });
const KEY_A = Buffer.alloc(30, 0x5a).toString('base64');
const KEY_B = Buffer.alloc(30, 0xa5).toString('base64');
const goodAnswer = (over: { a?: string[]; b?: string[]; head?: string[] } = {}) =>
  [
    'v=0',
    'o=srs 7 1 IN IP4 127.0.0.1',
    's=recorder',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    ...(over.head ?? []),
    ...(over.a ?? ['m=audio 31000 RTP/SAVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`, 'a=recvonly', 'a=label:outbound']),
    ...(over.b ?? ['m=audio 31002 RTP/SAVP 8', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}`, 'a=recvonly', 'a=label:inbound']),
    '',
  ].join('\r\n');

describe('checkSrsAnswer', () => {
  it('accepts a good answer and reports codec, key and direction per stream', () => {
    const r = checkSrsAnswer(offer().sdp, goodAnswer());
    expect(r).toEqual({
      ok: true,
      streams: [
        { index: 0, label: 'outbound', direction: 'recvonly', port: 31000, codec: { pt: 0, encoding: 'PCMU', clockRate: 8000 }, crypto: `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}` },
        { index: 1, label: 'inbound', direction: 'recvonly', port: 31002, codec: { pt: 8, encoding: 'PCMA', clockRate: 8000 }, crypto: `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}` },
      ],
    });
  });

  it('accepts inactive streams (the recorder does not want them now) and answers without labels', () => {
    const r = checkSrsAnswer(offer().sdp, goodAnswer().replace('a=recvonly\r\na=label:outbound', 'a=inactive'));
    expect(r).toMatchObject({ ok: true, streams: [{ direction: 'inactive', label: 'outbound' }, { direction: 'recvonly' }] });
  });

  const mA = (lines: string[]) => ({ a: lines });
  const cases: [string, string, string, RegExp][] = [
    ['unparseable', 'SIP/2.0 200 OK', 'answer-syntax', /the recorder's SDP does not parse/],
    ['one m= line for two', goodAnswer({ b: [] }), 'answer-stream-count', /the answer has 1 m= line\(s\), the offer 2/],
    ['plain RTP (rtpengine would silently send RTP)', goodAnswer().replace('31000 RTP/SAVP', '31000 RTP/AVP'), 'answer-not-savp', /m=audio #1 \(outbound\) uses RTP\/AVP, not RTP\/SAVP: rtpengine would send that stream as plain RTP/],
    ['no crypto', goodAnswer().replace(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\S+\r\n/, ''), 'answer-crypto', /m=audio #1 \(outbound\) has no a=crypto/],
    ['two cryptos', goodAnswer().replace('a=recvonly\r\na=label:outbound', `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B}\r\na=recvonly\r\na=label:outbound`), 'answer-crypto', /has 2 a=crypto lines/],
    ['wrong suite', goodAnswer().replace(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`, `1 AES_CM_128_HMAC_SHA1_32 inline:${KEY_A}`), 'answer-crypto', /AES_CM_128_HMAC_SHA1_32 is not accepted/],
    ['a 29-byte key', goodAnswer().replace(KEY_A, Buffer.alloc(29, 1).toString('base64')), 'answer-crypto', /30 octets.*decodes to 29/],
    ['a tag we did not offer', goodAnswer().replace(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`, `a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`), 'answer-crypto', /tag 5 is none of the offered tags \(1\)/],
    ['sendrecv', goodAnswer().replace('a=recvonly\r\na=label:outbound', 'a=label:outbound'), 'answer-direction', /m=audio #1 \(outbound\) is sendrecv \(no direction attribute\), expected a=recvonly or a=inactive/],
    ['sendonly', goodAnswer().replace('a=recvonly\r\na=label:outbound', 'a=sendonly'), 'answer-direction', /is a=sendonly, expected a=recvonly or a=inactive in answer to a=sendonly/],
    ['swapped m= lines', goodAnswer({ a: goodAnswer().split('\r\n').slice(11, 15), b: goodAnswer().split('\r\n').slice(5, 11) }), 'answer-label', /m=audio #1 \(outbound\) is labelled inbound, the label of offered m= #2: the answer's m= lines are out of order/],
    ['an unknown label', goodAnswer().replace('a=label:inbound', 'a=label:mixed'), 'answer-label', /m=audio #2 \(inbound\) is labelled mixed, the offer's is inbound/],
    ['no common codec', goodAnswer().replace('m=audio 31002 RTP/SAVP 8', 'm=audio 31002 RTP/SAVP 18').replace('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QU', 'a=rtpmap:18 G729/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QU'), 'answer-codec', /m=audio #2 \(inbound\) answers formats 18, none of the G.711 ones offered \(0 PCMU, 8 PCMA\)/],
    ['port 0 on an active stream', goodAnswer().replace('m=audio 31002', 'm=audio 0'), 'answer-port-zero', /m=audio #2 \(inbound\) has port 0: the recorder declined a stream we offered a=sendonly/],
    ['no c=', goodAnswer().replace('c=IN IP4 127.0.0.1\r\n', ''), 'answer-connection', /has no c= line/],
    ['video instead of audio', goodAnswer({ ...mA(['m=video 31000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`, 'a=recvonly']) }), 'answer-media', /m=video #1 \(outbound\) is m=video, the offer's is m=audio/],
  ];
  it.each(cases)('refuses %s with a typed error naming it', (_name, answer, code, message) => {
    const r = checkSrsAnswer(offer().sdp, answer);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.message).toMatch(message);
  });

  it('to an inactive offer: only inactive, and port 0 is allowed', () => {
    const paused = inactiveOffer(offer().sdp);
    expect(checkSrsAnswer(paused, goodAnswer())).toMatchObject({ ok: false, error: { code: 'answer-direction', message: expect.stringMatching(/expected a=inactive in answer to a=inactive/) } });
    const inactive = goodAnswer().replace(/a=recvonly/g, 'a=inactive');
    expect(checkSrsAnswer(paused, inactive)).toMatchObject({ ok: true, streams: [{ direction: 'inactive' }, { direction: 'inactive' }] });
    expect(checkSrsAnswer(paused, inactive.replace('m=audio 31002', 'm=audio 0'))).toMatchObject({ ok: true, streams: [{ port: 31000 }, { port: 0, direction: 'inactive' }] });
  });

  it('property: any answer text gives ok or a typed error, never a throw', () => {
    const sent = offer().sdp;
    const lines = goodAnswer().split('\r\n');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...lines), fc.string({ maxLength: 40 })), { maxLength: 30 }), (picked) => {
        const r = checkSrsAnswer(sent, picked.join('\r\n'));
        if (!r.ok) expect(r.error.code).toMatch(/^answer-/);
      }),
    );
  });
});

describe('inactiveOffer and continueSdpSession', () => {
  it('inactiveOffer: every stream a=inactive (one direction line each), o= version + 1, everything else unchanged', () => {
    const sent = offer().sdp;
    const paused = inactiveOffer(sent);
    const before = parseSdp(sent);
    const after = parseSdp(paused);
    expect(after.media.map((m) => attributes(m.lines, 'inactive').length)).toEqual([1, 1]);
    expect(paused).not.toMatch(/a=sendonly/);
    const [, id, version] = /^o=- (\d+) (\d+) /m.exec(sent) ?? [];
    expect(paused).toMatch(new RegExp(`^o=- ${id} ${BigInt(version ?? '0') + 1n} IN IP4 127.0.0.1`, 'm'));
    expect(paused.replace(/a=inactive/g, 'a=sendonly').replace(/^o=.*$/m, '')).toBe(sent.replace(/^o=.*$/m, ''));
    expect(before.media.length).toBe(after.media.length);
  });

  it("continueSdpSession keeps the dialog's o= username/id/address with version + 1 over rtpengine's new SDP", () => {
    const first = offer().sdp;
    const again = toSiprecOffer({ rtpengineSdp: wide.sdp, mediaLabels: wide['media-labels'], sellerLegTag: 'caller-tag' }).sdp;
    const next = continueSdpSession(first, again);
    const o1 = /^o=(.*)$/m.exec(first)?.[1]?.split(' ') ?? [];
    const o2 = /^o=(.*)$/m.exec(next)?.[1]?.split(' ') ?? [];
    expect(o2[0]).toBe(o1[0]);
    expect(o2[1]).toBe(o1[1]);
    expect(BigInt(o2[2] ?? '0')).toBe(BigInt(o1[2] ?? '0') + 1n);
    expect(next.replace(/^o=.*$/m, '')).toBe(again.replace(/^o=.*$/m, ''));
  });
});
