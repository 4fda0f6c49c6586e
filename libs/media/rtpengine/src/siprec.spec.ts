import { completeAnswerCodecs, RTPENGINE_SDES_SUITES, siprecOfferProblems, siprecSubscribeKeys } from './siprec';

const offer = (label: string, extra: string[] = []) =>
  [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=rtpengine',
    't=0 0',
    'm=audio 30036 RTP/SAVP 0 8 101',
    'c=IN IP4 127.0.0.1',
    `a=label:${label}`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendonly',
    'a=rtcp:30037',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:prU8/bGKhkOUoWn40b/WI9e0B3D/4gTpsjGOB7c2',
    ...extra,
    'a=ptime:20',
  ].join('\r\n') + '\r\n';

const twoStreams = offer('1') + offer('0').split('\r\n').slice(4).join('\r\n');

describe('siprecSubscribeKeys', () => {
  it('asks for every leg, siprec, RTP/SAVP, only AES_CM_128_HMAC_SHA1_80 (no-<suite> for the 11 others), no DTLS, no ICE', () => {
    const k = siprecSubscribeKeys();
    expect(k['flags']).toEqual(['all', 'siprec']);
    expect(k['transport-protocol']).toBe('RTP/SAVP');
    expect(k['DTLS']).toBe('off');
    expect(k['ICE']).toBe('remove');
    expect(k['SDES']).toHaveLength(RTPENGINE_SDES_SUITES.length - 1);
    expect(k['SDES']).not.toContain('no-AES_CM_128_HMAC_SHA1_80');
    expect(k['SDES']).toContain('no-AEAD_AES_256_GCM');
    expect(k['SDES']).toContain('no-AES_CM_128_HMAC_SHA1_32');
  });
});

describe('siprecOfferProblems', () => {
  it('accepts what rtpengine 10.5 returns for the SIPREC flags', () => {
    expect(siprecOfferProblems(twoStreams, ['0', '1'])).toEqual([]);
  });

  it('names each broken rule', () => {
    const bad = twoStreams
      .replace('RTP/SAVP', 'RTP/AVP')
      .replace('a=sendonly', 'a=sendrecv')
      .replace('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:prU8/bGKhkOUoWn40b/WI9e0B3D/4gTpsjGOB7c2', 'a=crypto:1 AEAD_AES_256_GCM inline:x\r\na=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:y\r\na=fingerprint:sha-256 AA');
    const p = siprecOfferProblems(bad, ['0', '1', '7']);
    expect(p).toEqual([
      'm= line 1 uses RTP/AVP, not RTP/SAVP',
      'm= line 1 has direction sendrecv, not sendonly',
      'm= line 1 offers crypto suites [AEAD_AES_256_GCM, AES_CM_128_HMAC_SHA1_80], not exactly AES_CM_128_HMAC_SHA1_80',
      'm= line 1 has a=fingerprint (DTLS)',
      "media-labels lists '7' but no m= line carries it",
    ]);
    expect(siprecOfferProblems('v=0\r\n', [])).toEqual(['no m= line']);
    expect(siprecOfferProblems(offer('9'), ['1'])).toEqual(["m= line 1 has a=label:9, which media-labels does not list", "media-labels lists '1' but no m= line carries it"]);
  });
});

describe('completeAnswerCodecs', () => {
  const answer = (label: string, fmts: string, lines: string[]) =>
    ['v=0', 'o=srs 7 7 IN IP4 127.0.0.1', 's=recorder', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 5000 RTP/SAVP ${fmts}`, ...lines, 'a=recvonly', `a=label:${label}`].join('\r\n') + '\r\n';

  it('adds the offered codecs the recorder left out, by label, after its own rtpmaps', () => {
    const a = answer('1', '0 101', ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:yy']);
    const r = completeAnswerCodecs(twoStreams, a);
    expect(r.added).toEqual(['1:8 PCMA/8000']);
    expect(r.sdp.split('\r\n')).toEqual([
      'v=0',
      'o=srs 7 7 IN IP4 127.0.0.1',
      's=recorder',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 5000 RTP/SAVP 0 101 8',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=rtpmap:8 PCMA/8000',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:yy',
      'a=recvonly',
      'a=label:1',
      '',
    ]);
  });

  it('matches by encoding, not number, and keeps fmtp; static payload types need no rtpmap', () => {
    const a = answer('0', '8 96', ['a=rtpmap:96 telephone-event/8000']);
    const r = completeAnswerCodecs(twoStreams, a);
    expect(r.added).toEqual(['0:0 PCMU/8000']);
    expect(r.sdp).toContain('m=audio 5000 RTP/SAVP 8 96 0\r\n');
    expect(r.sdp).not.toContain('a=rtpmap:101');
  });

  it('leaves out a codec whose number the answer uses for something else, and leaves complete or rejected answers untouched', () => {
    const clash = answer('1', '0 8', ['a=rtpmap:8 G729/8000']);
    expect(completeAnswerCodecs(twoStreams, clash).added).toEqual(['1:101 telephone-event/8000']);
    const full = answer('1', '0 8 101', ['a=rtpmap:101 telephone-event/8000']);
    expect(completeAnswerCodecs(twoStreams, full)).toEqual({ sdp: full, added: [] });
    const rejected = answer('1', '0', []).replace('m=audio 5000', 'm=audio 0');
    expect(completeAnswerCodecs(twoStreams, rejected)).toEqual({ sdp: rejected, added: [] });
  });
});
