import fc from 'fast-check';
import { attributes, connectionOf, directionOf, isAttribute, originOf, parseSdp, removeAttributes, SDP_MAX_LENGTH, SdpError, serializeSdp, setDirection, splitAttribute, type SdpLine } from './sdp';

const sample = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=x',
  't=0 0',
  'a=tool:whatever',
  'm=audio 30000 RTP/SAVP 0 8 101',
  'c=IN IP4 127.0.0.1',
  'a=label:1',
  'a=rtpmap:0 PCMU/8000',
  'x=unknown line kept',
  'a=sendonly',
  'm=video 0/2 RTP/AVP 96',
  '',
].join('\r\n');

describe('parseSdp / serializeSdp', () => {
  it('keeps every line, known or not, in order, with CRLF', () => {
    const sdp = parseSdp(sample);
    expect(serializeSdp(sdp)).toBe(sample);
    expect(sdp.session.map((l) => l.type)).toEqual(['v', 'o', 's', 't', 'a']);
    expect(sdp.media[0]).toMatchObject({ media: 'audio', port: 30000, proto: 'RTP/SAVP', formats: ['0', '8', '101'] });
    expect(sdp.media[1]).toMatchObject({ media: 'video', port: 0, portCount: 2 });
    expect(sdp.media[0]?.lines).toContainEqual({ type: 'x', value: 'unknown line kept' });
  });

  it('accepts LF line ends and writes CRLF', () => {
    expect(serializeSdp(parseSdp(sample.replace(/\r\n/g, '\n')))).toBe(sample);
  });

  it.each([
    ['', /first line must be "v=0"/],
    ['v=1\r\n', /first line must be "v=0"/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\ngarbage\r\n', /line 5 "garbage" is not <type>=<value>/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n\r\nm=audio 1 RTP/AVP 0\r\n', /line 5 "" is not/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n', /line 5 "m=audio x RTP\/AVP 0" is not "m=<media> <port>/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n', /line 5/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP\r\n', /line 5/],
    ['v=0\r\ns=-\r\nt=0 0\r\n', /no session-level o= line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n', /no session-level s= line/],
  ])('names what is wrong in %j', (text, message) => {
    expect(() => parseSdp(text)).toThrow(SdpError);
    expect(() => parseSdp(text)).toThrow(message);
  });

  it('refuses an SDP longer than SDP_MAX_LENGTH and a non-string', () => {
    expect(() => parseSdp(`v=0\r\n${'a=x\r\n'.repeat(SDP_MAX_LENGTH / 4)}`)).toThrow(/characters long/);
    expect(() => parseSdp(42 as unknown as string)).toThrow(/not a string/);
  });

  it('reads direction (session-level fallback, sendrecv by default, undefined when conflicting), c= and o=', () => {
    const sdp = parseSdp('v=0\r\no=me 42 7 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\na=recvonly\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\na=sendonly\r\na=inactive\r\n');
    const [a, b] = sdp.media as [NonNullable<(typeof sdp.media)[0]>, NonNullable<(typeof sdp.media)[1]>];
    expect(directionOf(sdp, a)).toBe('recvonly');
    expect(directionOf(sdp, b)).toBeUndefined();
    expect(connectionOf(sdp, a)).toEqual({ netType: 'IN', addrType: 'IP4', address: '10.0.0.2' });
    expect(originOf(sdp)).toMatchObject({ username: 'me', sessionId: '42', sessionVersion: 7n });
    setDirection(b, 'inactive');
    expect(attributes(b.lines, 'inactive')).toEqual(['']);
    expect(attributes(b.lines, 'sendonly')).toEqual([]);
    expect(b.lines.map((l) => l.value)).toEqual(['inactive']);
  });

  it('finds attributes by name, case-insensitively, a flag as empty, never by a prefix of the name', () => {
    const lines: SdpLine[] = ['label:1', 'Label:2', 'labels:3', 'label', 'lab', 'crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x', 'LABEL:'].map((value) => ({ type: 'a', value }));
    lines.push({ type: 'b', value: 'label:9' });
    expect(attributes(lines, 'label')).toEqual(['1', '2', '', '']);
    expect(attributes(lines, 'LaBeL')).toEqual(['1', '2', '', '']);
    expect(attributes(lines, 'labels')).toEqual(['3']);
    expect(attributes(lines, 'crypto')).toEqual(['1 AES_CM_128_HMAC_SHA1_80 inline:x']);
    expect(lines.filter((l) => isAttribute(l, 'label')).map((l) => l.value)).toEqual(['label:1', 'Label:2', 'label', 'LABEL:']);
    expect(removeAttributes(lines, 'label', (v) => v === '2').map((l) => l.value)).toEqual(['label:1', 'labels:3', 'label', 'lab', 'crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x', 'LABEL:', 'label:9']);
  });

  it('property: attributes agrees with splitting each line at its first colon', () => {
    const word = fc.stringMatching(/^[a-zA-Z-]{0,6}$/);
    const line = fc.tuple(fc.constantFrom('a', 'a', 'b'), word, fc.option(fc.stringMatching(/^[\x20-\x7e]{0,8}$/))).map(([type, n, v]): SdpLine => ({ type, value: v === null ? n : `${n}:${v}` }));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), word, (lines, name) => {
        const expected = lines.filter((l) => l.type === 'a' && splitAttribute(l.value).name.toLowerCase() === name.toLowerCase()).map((l) => splitAttribute(l.value).value ?? '');
        expect(attributes(lines, name)).toEqual(expected);
      }),
    );
  });

  it('property: serialize ∘ parse is the identity on what parse accepts (modulo a final CRLF)', () => {
    const value = fc.stringMatching(/^[\x20-\x7e]{0,30}$/);
    const attr = fc.tuple(fc.constantFrom('a', 'b', 'c', 'k', 'x', 'i'), value).map(([t, v]) => `${t}=${v}`);
    const media = fc
      .tuple(fc.constantFrom('audio', 'video', 'application'), fc.integer({ min: 0, max: 65535 }), fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'UDP/TLS/RTP/SAVPF'), fc.array(fc.integer({ min: 0, max: 127 }), { minLength: 1, maxLength: 5 }), fc.array(attr, { maxLength: 6 }))
      .map(([m, p, proto, fmts, lines]) => [`m=${m} ${p} ${proto} ${fmts.join(' ')}`, ...lines]);
    fc.assert(
      fc.property(fc.array(attr, { maxLength: 4 }), fc.array(media, { maxLength: 4 }), fc.boolean(), (sessionAttrs, medias, lf) => {
        const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', ...sessionAttrs, ...medias.flat()];
        const text = lines.join(lf ? '\n' : '\r\n') + (lf ? '\n' : '\r\n');
        const once = serializeSdp(parseSdp(text));
        expect(once).toBe(lines.join('\r\n') + '\r\n');
        expect(serializeSdp(parseSdp(once))).toBe(once);
      }),
    );
  });

  it('property: any string either parses or throws SdpError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.stringMatching(/^[a-z]=.{0,20}$/), { maxLength: 12 }).map((l) => ['v=0', ...l].join('\r\n'))), (text) => {
        try {
          parseSdp(text);
        } catch (err) {
          expect(err).toBeInstanceOf(SdpError);
        }
      }),
    );
  });
});
