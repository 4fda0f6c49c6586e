import { warningValue } from './build';
import { HeaderList } from './headers';
import { DEFAULT_PARSE_LIMITS, parseMessage, responseForParseError, type ParseOptions } from './parser';
import { serializeMessage } from './serializer';
import { SipParseError, type SipRequest, type SipResponse } from './types';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

function options(extra: string[] = [], body = ''): Buffer {
  return crlf([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@example.com>',
    'From: Alice <sip:alice@example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    'CSeq: 63104 OPTIONS',
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ]);
}

function fails(data: Buffer, opts?: ParseOptions): SipParseError {
  try {
    parseMessage(data, opts);
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error('parsed, but should not have');
}

describe('parseMessage', () => {
  it('reads a request: start line, headers in order with names as written, body', () => {
    const m = parseMessage(options(['x-custom-header:   spaced  out  ', 'v: SIP/2.0/UDP second.example.com;branch=z9hG4bK2'], 'hello')) as SipRequest;
    expect(m).toMatchObject({ kind: 'request', method: 'OPTIONS', uri: 'sip:bob@example.com', version: 'SIP/2.0' });
    expect([...m.headers].map((f) => f.name)).toEqual(['Via', 'Max-Forwards', 'To', 'From', 'Call-ID', 'CSeq', 'x-custom-header', 'Via', 'Content-Length']);
    expect(m.headers.get('X-Custom-Header')).toBe('spaced  out');
    expect(m.headers.getAll('via')).toHaveLength(2);
    expect(m.body.toString()).toBe('hello');
  });

  it('reads a response with its reason phrase as written', () => {
    const m = parseMessage(crlf(['SIP/2.0 180 Ringing  now', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'To: <sip:b@h>;tag=2', 'From: <sip:a@h>;tag=1', 'Call-ID: c', 'CSeq: 1 INVITE', 'Content-Length: 0', '', ''])) as SipResponse;
    expect(m).toMatchObject({ kind: 'response', status: 180, reason: 'Ringing  now' });
  });

  it('unfolds each fold to one SP and keeps the rest of the value as written', () => {
    const m = parseMessage(options(['Subject: one  two\r\n\t three\r\n    four', 'X-Empty:', 'X-Folded-Empty:\r\n ']));
    expect(m.headers.get('Subject')).toBe('one  two three four');
    expect(m.headers.get('X-Empty')).toBe('');
    expect(m.headers.get('X-Folded-Empty')).toBe('');
  });

  it('keeps UTF-8 text, and reads a head that is not UTF-8 as Latin-1', () => {
    expect(parseMessage(options(['Subject: Grüße, 東京'])).headers.get('Subject')).toBe('Grüße, 東京');
    const head = options().indexOf('\r\n') + 2;
    const latin1 = Buffer.concat([options().subarray(0, head), Buffer.from('X-Name: M\xfcller\r\n', 'latin1'), options().subarray(head)]);
    expect(parseMessage(latin1).headers.get('X-Name')).toBe('Müller');
  });

  it('does not normalize the method: methods are case-sensitive (RFC 3261 §7.1)', () => {
    const lower = Buffer.from(options().toString().replace('OPTIONS sip', 'options sip').replace('63104 OPTIONS', '63104 options'));
    expect((parseMessage(lower) as SipRequest).method).toBe('options');
    expect(fails(Buffer.from(options().toString().replace('OPTIONS sip', 'Options sip'))).code).toBe('cseq-method-mismatch');
  });

  it('frames datagrams by Content-Length: the rest of the packet, cut to it, never short of it (RFC 3261 §18.3)', () => {
    const data = Buffer.concat([options([], 'abc'), Buffer.from('garbage after the message')]);
    expect(parseMessage(data).body.toString()).toBe('abc');
    const noLength = Buffer.from(options([], 'abc').toString().replace('Content-Length: 3\r\n', ''));
    expect(parseMessage(noLength).body.toString()).toBe('abc');
    const short = Buffer.from(options([], 'abc').toString().replace('Content-Length: 3', 'Content-Length: 4'));
    expect(fails(short).code).toBe('content-length-mismatch');
  });

  it('requires Content-Length on streams, equal to the body', () => {
    expect(parseMessage(options([], 'abc'), { stream: true }).body.toString()).toBe('abc');
    const noLength = Buffer.from(options([], 'abc').toString().replace('Content-Length: 3\r\n', ''));
    expect(fails(noLength, { stream: true })).toMatchObject({ code: 'missing-content-length' });
    expect(fails(Buffer.concat([options([], 'abc'), Buffer.from('x')]), { stream: true }).code).toBe('content-length-mismatch');
  });

  it('copies the body out of the input buffer', () => {
    const data = options([], 'abc');
    const m = parseMessage(data);
    data.fill(0x20);
    expect(m.body.toString()).toBe('abc');
  });

  it('accepts Content-Length and Max-Forwards with leading zeros, refuses them out of range', () => {
    const m = parseMessage(Buffer.from(options([], 'abc').toString().replace('Content-Length: 3', 'Content-Length: 0003').replace('Max-Forwards: 70', 'Max-Forwards: 0070')));
    expect(m.body.toString()).toBe('abc');
    expect(fails(Buffer.from(options().toString().replace('Max-Forwards: 70', 'Max-Forwards: 256'))).code).toBe('bad-max-forwards');
    expect(fails(Buffer.from(options().toString().replace('Content-Length: 0', 'Content-Length: 99999999999'))).code).toBe('bad-content-length');
    expect(fails(Buffer.from(options().toString().replace('Content-Length: 0', 'Content-Length: 1 2'))).code).toBe('bad-content-length');
  });

  it('ignores CRLFs before the start line and refuses a message that is nothing else', () => {
    expect(parseMessage(Buffer.concat([Buffer.from('\r\n\r\n\r\n'), options()])).kind).toBe('request');
    expect(fails(Buffer.from('\r\n\r\n')).code).toBe('empty-message');
    expect(fails(Buffer.alloc(0)).code).toBe('empty-message');
  });

  it('refuses header lines that are no header', () => {
    expect(fails(options(['this line has no colon'])).code).toBe('bad-header');
    expect(fails(options(['Bad Name: x'])).code).toBe('bad-header');
    expect(fails(options([': no name'])).code).toBe('bad-header');
    expect(fails(Buffer.from(options().toString().replace('\r\nVia', '\r\n Via'))).message).toMatch(/folded line follows the start line/);
    expect(fails(options(['X-Ctl: a\x01b'])).code).toBe('bad-header');
    expect(fails(options(['X-Cr: a\rb'])).code).toBe('bad-line-ending');
  });

  it('refuses singletons given twice, a comma-joined To included', () => {
    expect(fails(options(['Call-ID: other'])).message).toBe('Duplicate Call-ID header');
    expect(fails(Buffer.from(options().toString().replace('To: Bob <sip:bob@example.com>', 'To: <sip:bob@example.com>, <sip:carol@example.com>'))).code).toBe('bad-name-addr');
    expect(fails(options(['Content-Type: text/plain', 'c: text/html'])).code).toBe('duplicate-header');
  });

  it('checks the typed values it relies on', () => {
    const swap = (from: string, to: string) => fails(Buffer.from(options().toString().replace(from, to)));
    expect(swap('CSeq: 63104 OPTIONS', 'CSeq: OPTIONS').code).toBe('bad-cseq');
    expect(swap('Call-ID: a84b4c76e66710@pc33.example.com', 'Call-ID: two words').code).toBe('bad-call-id');
    expect(swap('Call-ID: a84b4c76e66710@pc33.example.com', 'Call-ID: a@b@c').code).toBe('bad-call-id');
    expect(swap('pc33.example.com;branch', 'pc33_bad.example.com;branch').code).toBe('bad-via');
    expect(swap('pc33.example.com;branch', '2001:db8::1;branch').code).toBe('bad-via');
    expect(swap('From: Alice <sip:alice@example.com>;tag=1928301774', 'From: Alice <sip:alice@example.com>;tag=').code).toBe('bad-name-addr');
    expect(fails(options(['Content-Type: text'])).code).toBe('bad-content-type');
    expect(fails(options(['Date: Sat, 13 Nov 2010 23:29:00 PST'])).code).toBe('bad-date');
    expect(parseMessage(options(['Date: Sat, 13 Nov 2010 23:29:00 GMT', 'Contact: *'])).headers.get('Date')).toBe('Sat, 13 Nov 2010 23:29:00 GMT');
  });

  it('refuses headers in the Request-URI and garbage schemes, answers unknown schemes with 416', () => {
    const uri = (u: string) => fails(Buffer.from(options().toString().replace('OPTIONS sip:bob@example.com', `OPTIONS ${u}`)));
    expect(uri('sip:bob@example.com?Subject=hi').code).toBe('bad-request-uri');
    expect(uri('://nothing').code).toBe('bad-request-uri');
    expect(uri('sip:bob@exa mple.com').code).toBe('bad-start-line');
    const unknown = uri('mailto:bob@example.com');
    expect(unknown.code).toBe('unsupported-uri-scheme');
    expect(responseForParseError(unknown)?.status).toBe(416);
    expect((parseMessage(Buffer.from(options().toString().replace('OPTIONS sip:bob@example.com', 'OPTIONS tel:+1-201-555-0123'))) as SipRequest).uri).toBe('tel:+1-201-555-0123');
  });

  it('refuses what is no SIP/2.0 start line', () => {
    expect(fails(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')).code).toBe('bad-start-line');
    expect(fails(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).code).toBe('bad-start-line');
    expect(fails(Buffer.from('SIP/3.0 200 OK\r\n\r\n')).code).toBe('unsupported-version');
    expect(fails(Buffer.from('SIP/2.0 099 Too low\r\n\r\n')).code).toBe('bad-start-line');
    expect(fails(Buffer.from('SIP/2.0 20 Short\r\n\r\n')).code).toBe('bad-start-line');
    expect(fails(Buffer.from('OPTIONS sip:a@b SIP/2.0\x00\r\n\r\n')).code).toBe('bad-start-line');
  });

  it('enforces its limits with code too-large', () => {
    expect(DEFAULT_PARSE_LIMITS).toEqual({ maxMessageBytes: 65535, maxHeaders: 256, maxLineLength: 8192 });
    expect(fails(Buffer.alloc(65536, 0x41)).code).toBe('too-large');
    expect(fails(options(['X-Big: ' + 'a'.repeat(8200)])).code).toBe('too-large');
    expect(fails(options(['X-Folded: a' + '\r\n b'.repeat(3000)])).code).toBe('too-large');
    expect(fails(options([]), { limits: { maxHeaders: 6 } }).message).toBe('Message Too Large: more than 6 headers');
    expect(parseMessage(options([]), { limits: { maxHeaders: 7 } }).headers.size).toBe(7);
    expect(fails(options([], 'x'.repeat(100)), { limits: { maxMessageBytes: 300 } }).code).toBe('too-large');
    expect(fails(options([]), { limits: { maxLineLength: 30 } }).code).toBe('too-large');
    const many = Array.from({ length: 249 }, (_, i) => `X-${i}: ${i}`);
    expect(parseMessage(options(many)).headers.size).toBe(256);
    expect(fails(options([...many, 'X-One-Too-Many: 1'])).code).toBe('too-large');
  });

  it('answers a header longer than its limit with 513 naming the header, reading the rest of the head', () => {
    const err = fails(options(['X-Huge: ' + 'a'.repeat(9000)]));
    expect(err.code).toBe('too-large');
    expect(err.message).toBe('Message Too Large: the X-Huge header is longer than 8192 characters');
    expect(err.request?.headers.get('CSeq')).toBe('63104 OPTIONS');
    const res = responseForParseError(err);
    expect(`${res?.status} ${res?.reason}`).toBe('513 Message Too Large');
    expect(res?.headers.get('Warning')).toBe('399 - "Message Too Large: the X-Huge header is longer than 8192 characters"');
    expect(res?.headers.get('Call-ID')).toBe('a84b4c76e66710@pc33.example.com');
    // Limits that stop reading at once still carry nothing to answer.
    expect(responseForParseError(fails(Buffer.alloc(65536, 0x41)))).toBeUndefined();
    expect(fails(options(Array.from({ length: 250 }, (_, i) => `X-${i}: ${i}`))).request).toBeUndefined();
  });

  it('formats Warning values as quoted strings of printable ASCII (RFC 3261 §20.43)', () => {
    expect(warningValue('plain')).toBe('399 - "plain"');
    expect(warningValue('say "hi" \\ bye', { code: 305, agent: 'sbc.example:5060' })).toBe('305 sbc.example:5060 "say \\"hi\\" \\\\ bye"');
    expect(warningValue('caf\u00e9\r\nX: y')).toBe('399 - "caf???X: y"');
    expect(warningValue('x'.repeat(300))).toHaveLength(200 + 8);
  });

  it('carries the request on errors only when a Via can route the answer', () => {
    const missing = fails(Buffer.from(options().toString().replace('Call-ID: a84b4c76e66710@pc33.example.com\r\n', '')));
    expect(missing).toMatchObject({ code: 'missing-header', message: 'Missing Call-ID header' });
    expect(missing.request?.method).toBe('OPTIONS');
    expect(missing.request?.headers.get('CSeq')).toBe('63104 OPTIONS');
    expect(fails(Buffer.from(options().toString().replace(/Via: [^\r]*\r\n/, ''))).request).toBeUndefined();
    const response = options().toString().replace('OPTIONS sip:bob@example.com SIP/2.0', 'SIP/2.0 200 OK').replace('Call-ID: a84b4c76e66710@pc33.example.com\r\n', '');
    expect(fails(Buffer.from(response))).toMatchObject({ code: 'missing-header', request: undefined });
  });
});

describe('responseForParseError', () => {
  const broken = (from: string, to: string) => fails(Buffer.from(options().toString().replace(from, to)));

  it('answers 400 naming the problem, with a 399 Warning and the dialog headers copied', () => {
    const res = responseForParseError(broken('Call-ID: a84b4c76e66710@pc33.example.com\r\n', ''));
    expect(res).toMatchObject({ kind: 'response', status: 400, reason: 'Missing Call-ID header' });
    expect(res?.headers.get('Warning')).toBe('399 - "Missing Call-ID header"');
    expect(res?.headers.get('Via')).toBe('SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds');
    expect(res?.headers.get('CSeq')).toBe('63104 OPTIONS');
    expect(res?.headers.get('To')).toMatch(/^Bob <sip:bob@example\.com>;tag=[0-9a-f]+$/);
    expect([...(res?.headers ?? [])].map((f) => f.name).slice(-2)).toEqual(['Warning', 'Content-Length']);
  });

  it('answers 505 for another SIP version and puts the details in the Warning, quoted safely', () => {
    const err = broken('sip:bob@example.com SIP/2.0', 'sip:bob@example.com SIP/3.0');
    expect(responseForParseError(err)).toMatchObject({ status: 505, reason: 'Version Not Supported' });
    const quoted = responseForParseError(broken('Call-ID: a84b4c76e66710@pc33.example.com', 'Call-ID: "quoted\\ id'));
    expect(quoted?.reason).toBe('Bad Call-ID header');
    expect(quoted?.headers.get('Warning')).toBe('399 - "Bad Call-ID header: \\"\\"quoted\\\\ id\\""');
  });

  it('keeps non-ASCII and control characters out of the response', () => {
    const err = fails(options(['Content-Type: tëxt/plain']));
    const res = responseForParseError(err);
    expect(res?.headers.get('Warning')).toMatch(/^399 - "[\x20-\x7e]+"$/);
    expect(() => serializeMessage(res as SipResponse)).not.toThrow();
  });

  it('never answers an ACK, nor what carries no request', () => {
    const ack = Buffer.from(options().toString().replace('OPTIONS sip', 'ACK sip').replace('63104 OPTIONS', '63104 ACK').replace('Call-ID: a84b4c76e66710@pc33.example.com\r\n', ''));
    const err = fails(ack);
    expect(err.request?.method).toBe('ACK');
    expect(responseForParseError(err)).toBeUndefined();
    expect(responseForParseError(new SipParseError('bad-start-line', 'Bad start line'))).toBeUndefined();
  });
});

describe('serializeMessage', () => {
  const request = (headers: [string, string][], body = ''): SipRequest => ({
    kind: 'request', method: 'MESSAGE', uri: 'sip:bob@example.com', version: 'SIP/2.0', headers: HeaderList.from(headers), body: Buffer.from(body),
  });

  it('writes the start line, headers in order, CRLFs, and the body', () => {
    const wire = serializeMessage(request([['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['X-Any', 'v']], 'hi'));
    expect(wire.toString()).toBe('MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX-Any: v\r\nContent-Length: 2\r\n\r\nhi');
    const res: SipResponse = { kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers: new HeaderList(), body: Buffer.alloc(0) };
    expect(serializeMessage(res).toString()).toBe('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
  });

  it('corrects Content-Length where it stands and drops extra ones, without touching the message', () => {
    const msg = request([['l', '99'], ['X-A', '1'], ['Content-Length', '5']], 'héllo');
    expect(serializeMessage(msg).toString()).toBe('MESSAGE sip:bob@example.com SIP/2.0\r\nContent-Length: 6\r\nX-A: 1\r\n\r\nhéllo');
    expect([...msg.headers].map((f) => f.value)).toEqual(['99', '1', '5']);
  });

  it('writes binary bodies byte for byte', () => {
    const msg = parseMessage(options()) as SipRequest;
    msg.body = Buffer.from([0, 255, 13, 10, 13, 10, 1]);
    const wire = serializeMessage(msg);
    expect(wire.subarray(wire.length - 7)).toEqual(msg.body);
    expect(parseMessage(wire, { stream: true }).body).toEqual(msg.body);
  });

  it('refuses what would break the framing', () => {
    expect(() => serializeMessage(request([['X-Evil', 'a\r\nVia: injected']]))).toThrow(TypeError);
    expect(() => serializeMessage(request([['Bad Name', 'x']]))).toThrow(/bad header name/);
    expect(() => serializeMessage({ ...request([]), uri: 'sip:a b' })).toThrow(/Request-URI/);
    expect(() => serializeMessage({ kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK\r\nX: y', headers: new HeaderList(), body: Buffer.alloc(0) })).toThrow(/reason/);
  });
});
