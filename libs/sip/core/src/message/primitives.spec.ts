import { HeaderList } from './headers';
import { parseCSeq, parseMediaType, parseNameAddr, parseVia, formatNameAddr, splitNameAddr } from './header-values';
import { parseParams } from './scan';
import { parseUri, formatUri, urisEqual, isIpv6, isValidHost } from './uri';
import { createResponse } from './build';
import { SipParseError, type SipRequest } from './types';

describe('HeaderList', () => {
  it('expands compact names, compares case-insensitively and splits list headers outside quotes and <>', () => {
    const h = HeaderList.from([
      ['v', 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2'],
      ['VIA', 'SIP/2.0/UDP c.example.com;branch=z9hG4bK3'],
      ['m', '"A, B" <sip:a@x;p="1,2">, <sip:b@y>'],
      ['i', 'abc@host'],
    ]);
    expect(h.getAll('via')).toEqual(['SIP/2.0/UDP a.example.com;branch=z9hG4bK1', 'SIP/2.0/TCP b.example.com;branch=z9hG4bK2', 'SIP/2.0/UDP c.example.com;branch=z9hG4bK3']);
    expect(h.getAll('Contact')).toEqual(['"A, B" <sip:a@x;p="1,2">', '<sip:b@y>']);
    expect(h.get('Call-ID')).toBe('abc@host');
    expect([...h].map((f) => f.name)).toEqual(['Via', 'VIA', 'Contact', 'Call-ID']);
  });

  it('pops the top Via only', () => {
    const h = HeaderList.from([['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2'], ['Via', 'SIP/2.0/UDP c;branch=z9hG4bK3']]);
    expect(h.shift('Via')).toBe('SIP/2.0/UDP a;branch=z9hG4bK1');
    expect(h.getAll('Via')).toEqual(['SIP/2.0/UDP b;branch=z9hG4bK2', 'SIP/2.0/UDP c;branch=z9hG4bK3']);
  });

  it('does not split headers whose commas separate parameters', () => {
    const h = HeaderList.from([['WWW-Authenticate', 'Digest realm="a", nonce="b"']]);
    expect(h.getAll('www-authenticate')).toEqual(['Digest realm="a", nonce="b"']);
  });
});

describe('URIs', () => {
  it('parses user, password, IPv6 host, port, params and headers', () => {
    expect(parseUri('sips:alice:secret@[2001:db8::10]:5061;transport=TLS;lr?Subject=hi&Priority=urgent')).toEqual({
      scheme: 'sips', user: 'alice', password: 'secret', host: '[2001:db8::10]', port: 5061, params: { transport: 'TLS', lr: null }, headers: { Subject: 'hi', Priority: 'urgent' },
    });
    expect(parseUri('SIP:SRS@media.recording.dynamics.com:5061;transport=tls')).toMatchObject({ scheme: 'sip', user: 'SRS', host: 'media.recording.dynamics.com', port: 5061 });
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toEqual({ scheme: 'tel', host: '+1-201-555-0123', params: { 'phone-context': 'example.com' }, headers: {} });
    expect(parseUri('sip:user;par=u%40example.net@example.com').user).toBe('user;par=u%40example.net');
  });

  it('rejects what is not a SIP URI, naming it', () => {
    expect(() => parseUri('sip:user@host:99999')).toThrow(/bad port "99999"/);
    expect(() => parseUri('sip:[2001:db8::10')).toThrow(/unclosed IPv6/);
    expect(() => parseUri('http://example.com')).toThrow(SipParseError);
    expect(() => parseUri('sip:exa mple.com')).toThrow(/whitespace/);
    expect(() => parseUri('sip:300.1.1.1')).toThrow(/bad IPv4/);
  });

  it('round-trips and compares per RFC 3261 §19.1.4', () => {
    const text = 'sip:carol@chicago.com;transport=tcp?Subject=next';
    expect(formatUri(parseUri(text))).toBe(text);
    expect(urisEqual(parseUri('sip:%61lice@atlanta.com;transport=TCP'), parseUri('sip:alice@AtLanTa.CoM;Transport=tcp'))).toBe(true);
    expect(urisEqual(parseUri('sip:alice@atlanta.com'), parseUri('sip:ALICE@atlanta.com'))).toBe(false);
    expect(urisEqual(parseUri('sip:bob@biloxi.com'), parseUri('sip:bob@biloxi.com:5060'))).toBe(false);
    expect(urisEqual(parseUri('sip:bob@biloxi.com;transport=udp'), parseUri('sip:bob@biloxi.com'))).toBe(false);
  });
});

describe('typed header values', () => {
  it('parses Via with LWS, IPv6, received and rport without value', () => {
    expect(parseVia('SIP / 2.0 / tls 84.172.1.2:5061;branch=z9hG4bK4fa2.0;received=172.16.0.1;rport=40334')).toEqual({
      protocol: 'SIP/2.0', transport: 'TLS', host: '84.172.1.2', port: 5061, params: { branch: 'z9hG4bK4fa2.0', received: '172.16.0.1', rport: '40334' },
    });
    expect(parseVia('SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3;rport')).toMatchObject({ host: '[2001:db8::9:1]', port: 6050, params: { rport: null } });
  });

  it('parses name-addr and addr-spec forms, the tag belonging to the header', () => {
    expect(parseNameAddr('"Kenny \\"K\\" Smith" <sip:kenny@example.com;user=phone>;tag=abc;+sip.src')).toEqual({
      displayName: 'Kenny "K" Smith', uri: expect.objectContaining({ user: 'kenny', params: { user: 'phone' } }), params: { tag: 'abc', '+sip.src': null },
    });
    expect(parseNameAddr('sip:alice@atlanta.com;tag=88sja8x')).toEqual({ uri: expect.objectContaining({ user: 'alice', params: {} }), params: { tag: '88sja8x' } });
    expect(parseNameAddr('Alice   Liddell <sip:alice@atlanta.com>').displayName).toBe('Alice Liddell');
    expect(formatNameAddr(parseNameAddr('"A \\"B\\"" <sip:a@b>;tag=1'))).toBe('"A \\"B\\"" <sip:a@b>;tag=1');
    expect(() => parseNameAddr('<sip:a@b')).toThrow(/unclosed/);
  });

  it('parses CSeq and refuses a number of 2^31 or more', () => {
    expect(parseCSeq('4711 INVITE')).toEqual({ seq: 4711, method: 'INVITE' });
    expect(() => parseCSeq('2147483648 INVITE')).toThrow(/below 2\^31/);
    expect(() => parseCSeq('-1 INVITE')).toThrow(SipParseError);
  });

  it('reads a quoted multipart boundary', () => {
    expect(parseMediaType('multipart/mixed;boundary="----=_Part_1253;x"')).toEqual({ type: 'multipart/mixed', params: { boundary: '----=_Part_1253;x' } });
  });
});

describe('createResponse', () => {
  it('copies the dialog headers and adds a To tag above 100', () => {
    const req: SipRequest = {
      kind: 'request', method: 'INVITE', uri: 'sip:bob@b', version: 'SIP/2.0', body: Buffer.alloc(0),
      headers: HeaderList.from([['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1'], ['Via', 'SIP/2.0/UDP b;branch=z9hG4bK2'], ['From', '<sip:a@a>;tag=1'], ['To', '"Bob <x>" <sip:bob@b>'], ['Call-ID', 'c1'], ['CSeq', '1 INVITE'], ['Max-Forwards', '70']]),
    };
    const trying = createResponse(req, 100);
    expect(trying.headers.get('To')).toBe('"Bob <x>" <sip:bob@b>');
    const ok = createResponse(req, 200, undefined, { toTag: 'xyz' });
    expect(ok.reason).toBe('OK');
    expect(ok.headers.getAll('Via')).toEqual(['SIP/2.0/UDP a;branch=z9hG4bK1', 'SIP/2.0/UDP b;branch=z9hG4bK2']);
    expect(ok.headers.get('To')).toBe('"Bob <x>" <sip:bob@b>;tag=xyz');
    expect(ok.headers.has('Max-Forwards')).toBe(false);
  });
});

describe('primitives the parser leans on', () => {
  it('refuses empty parameters and values that are no token, host or quoted string (RFC 4475 §3.1.2.1)', () => {
    expect(parseParams(' tag = a1 ;lr; received=[2001:db8::9:255] ;x="a;b\\"c"')).toEqual({ tag: 'a1', lr: null, received: '[2001:db8::9:255]', x: '"a;b\\"c"' });
    expect(() => parseParams(';tag=1')).toThrow(/empty parameter/);
    expect(() => parseParams('tag=1;')).toThrow(/empty parameter/);
    expect(() => parseParams('tag=')).toThrow(/empty value/);
    expect(() => parseParams('tag=a b')).toThrow(/junk after parameter/);
    expect(() => parseParams('tag=a,b')).toThrow(/bad value/);
    expect(() => parseParams('x="a" b')).toThrow(/junk after parameter/);
    expect(() => parseParams('x="open')).toThrow(SipParseError);
    expect(() => parseParams('bad name=1')).toThrow(SipParseError);
  });

  it('tells hosts from what is none', () => {
    for (const h of ['example.com', 'example.com.', 'a-b.c', '192.0.2.1', '[2001:db8::1]', '[::ffff:192.0.2.2]', '[2001:db8:::192.0.2.1]', 'x']) expect([h, isValidHost(h)]).toEqual([h, true]);
    for (const h of ['', '-a.com', 'a-.com', 'a..b', '.', 'a_b.com', '256.0.0.1', '2001:db8::1', '[2001:db8::1', '[2001:db8:::10]', '[1:2:3:4:5:6:7:8:9]']) expect([h, isValidHost(h)]).toEqual([h, false]);
  });

  it('tolerates the three-colon IPv6 form only before an IPv4 tail (RFC 5118 §4.10)', () => {
    expect(isIpv6('2001:db8:::192.0.2.1')).toBe(true);
    expect(isIpv6(':::192.0.2.1')).toBe(true);
    expect(isIpv6('2001:db8:::1')).toBe(false);
    expect(isIpv6('2001:db8::::192.0.2.1')).toBe(false);
  });

  it('reads "?" and ";" in the user part before the headers (RFC 4475 §3.1.1.2)', () => {
    expect(parseUri("sip:odd?,/;;*:pa$$@example.net;lr?Subject=x")).toMatchObject({ user: 'odd?,/;;*', password: 'pa$$', host: 'example.net', params: { lr: null }, headers: { Subject: 'x' } });
    expect(() => parseUri('tel:+' + '1'.repeat(5000) + 'x')).toThrow(/bad telephone number/);
  });

  it('splits name-addr without parsing the URI, refusing LWS inside <> (RFC 4475 §3.1.2.14)', () => {
    expect(splitNameAddr('<http://www.example.com>;tag=3234233')).toEqual({ uriText: 'http://www.example.com', paramsText: 'tag=3234233' });
    expect(splitNameAddr('caller<sip:caller@example.com>')).toEqual({ displayName: 'caller', uriText: 'sip:caller@example.com' });
    expect(() => parseNameAddr('<sip:a@example.com>;')).toThrow(/empty parameter/);
    expect(() => parseNameAddr('"Watson, Thomas" < sip:t.watson@example.org >')).toThrow(/whitespace/);
    expect(() => parseNameAddr('Bell, Alexander <sip:a.g.bell@example.com>')).toThrow(/bad display name/);
    expect(() => parseNameAddr('<sip:a@example.com> junk')).toThrow(/junk after URI/);
  });

  it('parses Via with LWS everywhere RFC 3261 allows it, and refuses a bad sent-by', () => {
    expect(parseVia('  SIP  /  2.0 /  UDP   host.example.com  :  5060 ; branch = z9hG4bK1 ; rport')).toEqual({
      protocol: 'SIP/2.0', transport: 'UDP', host: 'host.example.com', port: 5060, params: { branch: 'z9hG4bK1', rport: null },
    });
    expect(() => parseVia('SIP/2.0/UDP')).toThrow(/no LWS before sent-by/);
    expect(() => parseVia('SIP/2.0/UDP host:99999')).toThrow(/bad port/);
    expect(() => parseVia('SIP/2.0/UDP host junk')).toThrow(/junk after sent-by/);
    expect(() => parseVia('SIP/2.0/UDP 2001:db8::1')).toThrow(/bad port/);
    expect(() => parseVia('SIP/2.0/UDP host_1.example.com')).toThrow(/bad sent-by host/);
    expect(() => parseVia('SIP/2.0/UDP 192.0.2.15;;')).toThrow(/empty parameter/);
  });
});
