import { Writable } from 'node:stream';
import { createLogger } from '@ci-connector/platform-logging';
import { createRtpengine, RtpengineError, type NgMethod, type NgTransport, type RtpengineLogger } from './index';

/** A fake transport (our own interface): records requests, answers from a script. */
function fakeTransport(answer: (method: NgMethod, dict: Record<string, unknown>) => unknown) {
  const sent: { method: NgMethod; dict: Record<string, unknown> }[] = [];
  let closed = false;
  const t: NgTransport = {
    request: async (method, dict) => {
      sent.push({ method, dict });
      const r = answer(method, dict);
      if (r instanceof Error) throw r;
      return r;
    },
    close: async () => {
      closed = true;
    },
  };
  return { t, sent, isClosed: () => closed };
}

function logger(): RtpengineLogger & { warns: unknown[] } {
  const warns: unknown[] = [];
  return { warns, warn: (obj) => warns.push(obj), debug: () => undefined };
}

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const stream = (label: string, port: number) =>
  `m=audio ${port} RTP/SAVP 0 8 101\r\nc=IN IP4 127.0.0.1\r\na=label:${label}\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendonly\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:prU8/bGKhkOUoWn40b/WI9e0B3D/4gTpsjGOB7c2\r\n`;
const SIPREC_OFFER = `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=rtpengine\r\nt=0 0\r\n${stream('1', 30000)}${stream('0', 30010)}`;
const SUB_REPLY = {
  result: 'ok',
  sdp: SIPREC_OFFER,
  'media-labels': { '0': { tag: 'B', index: 1, type: 'audio', mode: 'sendrecv' }, '1': { tag: 'A', index: 1, type: 'audio', mode: 'sendrecv' } },
  'from-tags': ['A', 'B'],
  'to-tag': 'srs',
};
const base = { host: '127.0.0.1', port: 22222, timeoutMs: 1000 };

describe('createRtpengine: what it sends', () => {
  it('offer and answer carry call-id, tags, SDP, flags, ICE and extra keys', async () => {
    const f = fakeTransport(() => ({ result: 'ok', sdp: SDP }));
    const rtp = createRtpengine({ ...base, logger: logger(), transport: f.t });
    await expect(rtp.offer({ callId: 'c1', fromTag: 'A', sdp: SDP, flags: ['trust-address'], iceRemove: true, extra: { replace: ['origin'], 'record call': 'no', flags: ['symmetric'] } })).resolves.toEqual({ sdp: SDP });
    await rtp.answer({ callId: 'c1', fromTag: 'A', toTag: 'B', sdp: SDP });
    expect(f.sent).toEqual([
      { method: 'offer', dict: { replace: ['origin'], 'record call': 'no', 'call-id': 'c1', 'from-tag': 'A', sdp: SDP, flags: ['symmetric', 'trust-address'], ICE: 'remove' } },
      { method: 'answer', dict: { 'call-id': 'c1', 'from-tag': 'A', 'to-tag': 'B', sdp: SDP } },
    ]);
  });

  it('subscribe request carries the SIPREC keys, and returns labels mapped to legs', async () => {
    const f = fakeTransport(() => SUB_REPLY);
    const rtp = createRtpengine({ ...base, logger: logger(), transport: f.t });
    const r = await rtp.subscribeRequest({ callId: 'c1', fromTag: 'A', toTag: 'srs', flags: ['pad-crypto'] });
    expect(f.sent[0]).toEqual({
      method: 'subscribeRequest',
      dict: expect.objectContaining({ 'call-id': 'c1', 'from-tag': 'A', 'to-tag': 'srs', flags: ['all', 'siprec', 'pad-crypto'], 'transport-protocol': 'RTP/SAVP', DTLS: 'off', ICE: 'remove' }),
    });
    expect(r).toEqual({
      sdp: SIPREC_OFFER,
      mediaLabels: { '0': { tag: 'B', label: '0', index: 1, type: 'audio', mode: 'sendrecv' }, '1': { tag: 'A', label: '1', index: 1, type: 'audio', mode: 'sendrecv' } },
      fromTags: ['A', 'B'],
      toTag: 'srs',
    });
  });

  it('subscribe answer completes the codecs from the remembered offer, or sends allow transcoding, or sends the answer as is', async () => {
    const f = fakeTransport((m) => (m === 'subscribeRequest' ? SUB_REPLY : { result: 'ok' }));
    const rtp = createRtpengine({ ...base, logger: logger(), transport: f.t });
    await rtp.subscribeRequest({ callId: 'c1', toTag: 'srs' });
    const answer = `v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=srs\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 0\r\na=recvonly\r\na=label:1\r\nm=audio 5002 RTP/SAVP 0\r\na=recvonly\r\na=label:0\r\n`;
    await rtp.subscribeAnswer({ callId: 'c1', toTag: 'srs', sdp: answer });
    const sentSdp = f.sent[1]!.dict['sdp'] as string;
    expect(sentSdp.match(/^m=.*$/gm)).toEqual(['m=audio 5000 RTP/SAVP 0 8 101', 'm=audio 5002 RTP/SAVP 0 8 101']);
    expect(sentSdp).toContain('a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n');
    await rtp.subscribeAnswer({ callId: 'c1', toTag: 'srs', sdp: answer, codecs: 'allow-transcoding' });
    expect(f.sent[2]!.dict).toEqual({ 'call-id': 'c1', 'to-tag': 'srs', sdp: answer, flags: ['allow transcoding'] });
    await rtp.subscribeAnswer({ callId: 'c1', toTag: 'srs', sdp: answer, codecs: 'as-is' });
    expect(f.sent[3]!.dict).toEqual({ 'call-id': 'c1', 'to-tag': 'srs', sdp: answer });
    // unsubscribe forgets the offer: the answer then goes unchanged
    await rtp.unsubscribe({ callId: 'c1', toTag: 'srs' });
    await rtp.subscribeAnswer({ callId: 'c1', toTag: 'srs', sdp: answer });
    expect(f.sent[5]!.dict['sdp']).toBe(answer);
    // unless the offer is given
    await rtp.subscribeAnswer({ callId: 'c1', toTag: 'srs', sdp: answer, offerSdp: SIPREC_OFFER });
    expect(f.sent[6]!.dict['sdp']).toBe(sentSdp);
  });

  it('ping expects pong; close closes the transport', async () => {
    const f = fakeTransport(() => ({ result: 'pong' }));
    const rtp = createRtpengine({ ...base, logger: logger(), transport: f.t });
    await expect(rtp.ping()).resolves.toBeUndefined();
    expect(f.sent[0]).toEqual({ method: 'ping', dict: {} });
    await rtp.close();
    expect(f.isClosed()).toBe(true);
  });
});

describe('createRtpengine: checking replies', () => {
  it('result error → RtpengineError with command, result, reason and call id', async () => {
    const rtp = createRtpengine({ ...base, logger: logger(), transport: fakeTransport(() => ({ result: 'error', 'error-reason': 'Unknown call-id' })).t });
    const err = await rtp.query({ callId: 'gone' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtpengineError);
    expect(err).toMatchObject({ code: 'error', command: 'query', result: 'error', reason: 'Unknown call-id', callId: 'gone' });
    expect((err as Error).message).toBe("rtpengine query for call 'gone' failed (error): Unknown call-id");
  });

  it('a result other than ok (e.g. load limit) is an error; ping must say pong', async () => {
    const rtp = createRtpengine({ ...base, logger: logger(), transport: fakeTransport(() => ({ result: 'load limit', message: 'too many sessions' })).t });
    await expect(rtp.offer({ callId: 'c', fromTag: 'a', sdp: SDP })).rejects.toMatchObject({ code: 'error', result: 'load limit', reason: "result is 'load limit', not 'ok': too many sessions" });
    const okPing = createRtpengine({ ...base, logger: logger(), transport: fakeTransport(() => ({ result: 'ok' })).t });
    await expect(okPing.ping()).rejects.toMatchObject({ code: 'error', command: 'ping' });
  });

  it('a warning fails the command when strict, and is logged otherwise', async () => {
    const reply = () => ({ result: 'ok', warning: 'Call-ID not found or tags didn\u2019t match' });
    const strict = createRtpengine({ ...base, logger: logger(), strictWarnings: true, transport: fakeTransport(reply).t });
    await expect(strict.delete({ callId: 'c' })).rejects.toMatchObject({ code: 'warning', command: 'delete', callId: 'c' });
    const log = logger();
    const lenient = createRtpengine({ ...base, logger: log, transport: fakeTransport(reply).t });
    await expect(lenient.delete({ callId: 'c' })).resolves.toBeUndefined();
    expect(log.warns).toEqual([{ command: 'delete', callId: 'c', warning: 'Call-ID not found or tags didn\u2019t match' }]);
  });

  it('an offer reply without SDP, or no dictionary at all, is a bad reply', async () => {
    const noSdp = createRtpengine({ ...base, logger: logger(), transport: fakeTransport(() => ({ result: 'ok' })).t });
    await expect(noSdp.offer({ callId: 'c', fromTag: 'a', sdp: SDP })).rejects.toMatchObject({ code: 'bad-reply', reason: 'the reply carries no SDP' });
    const junk = createRtpengine({ ...base, logger: logger(), transport: fakeTransport(() => 'junk').t });
    await expect(junk.offer({ callId: 'c', fromTag: 'a', sdp: SDP })).rejects.toMatchObject({ code: 'bad-reply' });
  });

  it('a SIPREC offer that is not what was asked for is a bad reply, and the subscription is undone', async () => {
    const f = fakeTransport((m) => (m === 'subscribeRequest' ? { ...SUB_REPLY, sdp: SIPREC_OFFER.replace('AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_256_GCM') } : { result: 'ok' }));
    const rtp = createRtpengine({ ...base, logger: logger(), transport: f.t });
    const err = await rtp.subscribeRequest({ callId: 'c1', toTag: 'srs' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad-reply', command: 'subscribe request' });
    expect((err as RtpengineError).reason).toContain('not exactly AES_CM_128_HMAC_SHA1_80');
    expect(f.sent[1]).toEqual({ method: 'unsubscribe', dict: { 'call-id': 'c1', 'to-tag': 'srs' } });
    const wrongTag = createRtpengine({ ...base, logger: logger(), transport: fakeTransport((m) => (m === 'subscribeRequest' ? { ...SUB_REPLY, 'to-tag': 'other' } : { result: 'ok' })).t });
    await expect(wrongTag.subscribeRequest({ callId: 'c1', toTag: 'srs' })).rejects.toMatchObject({ reason: "the reply's to-tag is 'other', not 'srs'" });
    const noLabels = createRtpengine({ ...base, logger: logger(), transport: fakeTransport((m) => (m === 'subscribeRequest' ? { ...SUB_REPLY, 'media-labels': undefined } : { result: 'ok' })).t });
    await expect(noLabels.subscribeRequest({ callId: 'c1', toTag: 'srs' })).rejects.toMatchObject({ reason: 'the reply carries no media-labels dictionary' });
  });

  it('transport errors pass through as they are', async () => {
    const timeout = new RtpengineError({ code: 'timeout', command: 'offer', callId: 'c', reason: 'no answer' });
    const rtp = createRtpengine({ ...base, logger: logger(), transport: fakeTransport(() => timeout).t });
    await expect(rtp.offer({ callId: 'c', fromTag: 'a', sdp: SDP })).rejects.toBe(timeout);
  });
});

describe('createRtpengine: bad input is refused before anything is sent', () => {
  const f = fakeTransport(() => ({ result: 'ok', sdp: SDP }));
  const rtp = createRtpengine({ ...base, logger: logger(), transport: f.t });
  afterEach(() => expect(f.sent).toEqual([]));

  it.each([
    ['an empty call id', () => rtp.offer({ callId: '', fromTag: 'a', sdp: SDP }), 'callId must be a non-empty string, got an empty string'],
    ['a missing from-tag', () => rtp.offer({ callId: 'c', fromTag: undefined as unknown as string, sdp: SDP }), 'fromTag must be a non-empty string, got nothing'],
    ['a tag with a newline', () => rtp.answer({ callId: 'c', fromTag: 'a', toTag: 'b\n', sdp: SDP }), 'toTag contains a control character'],
    ['no SDP', () => rtp.answer({ callId: 'c', fromTag: 'a', toTag: 'b', sdp: 42 as unknown as string }), 'sdp must be a non-empty string, got number'],
    ['a boolean in extra', () => rtp.offer({ callId: 'c', fromTag: 'a', sdp: SDP, extra: { 'record call': true } }), "extra.record call is boolean: the ng protocol (bencode) carries strings, integers, lists and dictionaries only (write 'yes'/'no' for a boolean)"],
    ['a fraction in extra', () => rtp.offer({ callId: 'c', fromTag: 'a', sdp: SDP, extra: { ptime: 20.5 } }), 'extra.ptime is 20.5: the ng protocol (bencode) carries integers only'],
    ['extra overriding call-id', () => rtp.offer({ callId: 'c', fromTag: 'a', sdp: SDP, extra: { 'call-id': 'x' } }), 'extra.call-id is set by offer itself and cannot be overridden'],
    ['flags not strings', () => rtp.offer({ callId: 'c', fromTag: 'a', sdp: SDP, flags: [1 as unknown as string] }), 'flags must be an array of non-empty strings'],
    ['an unknown codec policy', () => rtp.subscribeAnswer({ callId: 'c', toTag: 't', sdp: SDP, codecs: 'maybe' as 'as-is' }), "codecs must be keep-source, allow-transcoding or as-is, got 'maybe'"],
  ])('%s', async (_what, run, reason) => {
    await expect(run()).rejects.toMatchObject({ code: 'bad-request', reason });
  });

  it('bad options are refused at creation', () => {
    expect(() => createRtpengine({ ...base, port: 0, logger: logger(), transport: f.t })).toThrow('port must be an integer 1-65535, got 0');
    expect(() => createRtpengine({ ...base, host: '', logger: logger(), transport: f.t })).toThrow('host must be a non-empty string');
    expect(() => createRtpengine({ ...base, timeoutMs: -1, logger: logger(), transport: f.t })).toThrow('timeoutMs must be a positive number, got -1');
  });
});

describe('createRtpengine with the platform logger', () => {
  it('takes a pino logger from createLogger and logs warnings with the call id', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const log = createLogger({ name: 'rtpengine-spec', destination });
    const rtp = createRtpengine({ ...base, logger: log, transport: fakeTransport(() => ({ result: 'ok', warning: 'odd' })).t });
    await rtp.unsubscribe({ callId: 'c9', toTag: 't' });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([expect.objectContaining({ callId: 'c9', warning: 'odd', command: 'unsubscribe' })]);
  });
});
