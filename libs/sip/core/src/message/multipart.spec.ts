import { HeaderList } from './headers';
import { buildMultipart, findPart, parseMultipart } from './multipart';
import { SipParseError } from './types';

const SDP = 'v=0\r\no=SRC 1 1 IN IP4 198.51.100.10\r\ns=-\r\nc=IN IP4 198.51.100.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=label:1\r\n';
const METADATA = '<?xml version="1.0" encoding="UTF-8"?>\r\n<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode></recording>\r\n';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SipParseError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('parseMultipart', () => {
  it('splits a SIPREC offer: SDP and rs-metadata with Content-Disposition recording-session (RFC 7866 §8)', () => {
    const body = Buffer.from(
      [
        '--foobar',
        'Content-Type: application/sdp',
        '',
        SDP,
        '--foobar',
        'Content-Type: application/rs-metadata+xml',
        'Content-Disposition: recording-session',
        '',
        METADATA,
        '--foobar--',
        '',
      ].join('\r\n'),
    );
    const { parts } = parseMultipart(body, 'multipart/mixed;boundary=foobar');
    expect(parts).toHaveLength(2);
    // The CRLF before each delimiter belongs to the delimiter: SDP ends with its own CRLF, and that is all.
    expect(findPart(parts, 'application/sdp')?.body.toString()).toBe(SDP);
    const metadata = findPart(parts, 'Application/RS-Metadata+XML');
    expect(metadata?.body.toString()).toBe(METADATA);
    expect(metadata?.headers.get('content-disposition')).toBe('recording-session');
    expect(findPart(parts, 'text/plain')).toBeUndefined();
  });

  it('ignores preamble and epilogue, tolerates transport padding, and reads quoted boundaries', () => {
    const body = Buffer.from('This is the preamble.\r\n--a b:c  \r\nContent-Type: text/plain\r\n\r\none\r\n--a b:c--   \r\nepilogue --a b:c\r\n');
    const { parts } = parseMultipart(body, 'Multipart/Mixed; boundary="a b:c"');
    expect(parts.map((p) => p.body.toString())).toEqual(['one']);
  });

  it('reads parts without headers, with folded headers, and empty parts', () => {
    const body = Buffer.from('--b\r\n\r\nno headers\r\n--b\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\nfolded\r\n--b\r\n\r\n\r\n--b--');
    const { parts } = parseMultipart(body, 'multipart/mixed;boundary=b');
    expect(parts.map((p) => [p.headers.size, p.body.toString()])).toEqual([
      [0, 'no headers'],
      [1, 'folded'],
      [0, ''],
    ]);
    expect(parts[1]?.headers.get('Content-Type')).toBe('text/plain; charset=utf-8');
  });

  it('keeps binary bodies exact, and does not take a longer string for the delimiter', () => {
    const binary = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x2d, 0x2d, 0x62, 0x78]);
    const body = Buffer.concat([Buffer.from('--b\r\nContent-Type: application/octet-stream\r\n\r\n'), binary, Buffer.from('\r\n--bx not me\r\n\r\n--b--\r\n')]);
    const part = parseMultipart(body, 'multipart/mixed;boundary=b').parts[0];
    expect(part?.body).toEqual(Buffer.concat([binary, Buffer.from('\r\n--bx not me\r\n')]));
  });

  it('returns a nested multipart as one part', () => {
    const inner = '--in\r\nContent-Type: text/plain\r\n\r\nx\r\n--in--';
    const body = Buffer.from(`--out\r\nContent-Type: multipart/mixed;boundary=in\r\n\r\n${inner}\r\n--out--`);
    const outer = parseMultipart(body, 'multipart/mixed;boundary=out').parts[0];
    expect(outer?.body.toString()).toBe(inner);
    expect(parseMultipart(outer?.body ?? Buffer.alloc(0), outer?.headers.get('Content-Type') ?? '').parts[0]?.body.toString()).toBe('x');
  });

  it('throws typed errors', () => {
    const body = Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--');
    expect(code(() => parseMultipart(body, 'multipart/mixed'))).toBe('multipart-no-boundary');
    expect(code(() => parseMultipart(body, 'multipart/mixed;boundary=""'))).toBe('multipart-no-boundary');
    expect(code(() => parseMultipart(body, 'multipart/mixed;boundary=' + 'x'.repeat(71)))).toBe('multipart-no-boundary');
    expect(code(() => parseMultipart(body, 'application/sdp;boundary=b'))).toBe('bad-content-type');
    expect(code(() => parseMultipart(body, 'multipart/mixed;boundary=zz'))).toBe('multipart-no-delimiter');
    expect(code(() => parseMultipart(Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\nx\r\n'), 'multipart/mixed;boundary=b'))).toBe('multipart-unclosed');
    expect(code(() => parseMultipart(Buffer.from('--b\r\nnot a header\r\n\r\nx\r\n--b--'), 'multipart/mixed;boundary=b'))).toBe('multipart-bad-part');
  });
});

describe('buildMultipart', () => {
  it('builds what parseMultipart reads back, for the SIPREC shape', () => {
    const { body, contentType } = buildMultipart([
      { headers: { 'Content-Type': 'application/sdp' }, body: SDP },
      { headers: [['Content-Type', 'application/rs-metadata+xml'], ['Content-Disposition', 'recording-session']], body: Buffer.from(METADATA) },
    ]);
    expect(contentType).toMatch(/^multipart\/mixed;boundary=ci-[0-9a-f]{24}$/);
    const boundary = contentType.split('=')[1] ?? '';
    expect(body.toString().startsWith(`--${boundary}\r\nContent-Type: application/sdp\r\n\r\n${SDP}\r\n--${boundary}\r\n`)).toBe(true);
    expect(body.toString().endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
    const { parts } = parseMultipart(body, contentType);
    expect(parts.map((p) => [...p.headers].map((f) => `${f.name}: ${f.value}`))).toEqual([
      ['Content-Type: application/sdp'],
      ['Content-Type: application/rs-metadata+xml', 'Content-Disposition: recording-session'],
    ]);
    expect(parts.map((p) => p.body.toString())).toEqual([SDP, METADATA]);
  });

  it('takes a HeaderList, a given boundary, and quotes a boundary that is no token', () => {
    const headers = HeaderList.from([['Content-Type', 'text/plain']]);
    const { body, contentType } = buildMultipart([{ headers, body: 'x' }], 'with space');
    expect(contentType).toBe('multipart/mixed;boundary="with space"');
    expect(parseMultipart(body, contentType).parts[0]?.body.toString()).toBe('x');
  });

  it('never uses a boundary that occurs in a part', () => {
    expect(() => buildMultipart([{ headers: {}, body: 'a --sep b' }], 'sep')).toThrow(RangeError);
    expect(() => buildMultipart([{ headers: {}, body: 'x' }], 'bad\u00e9')).toThrow(RangeError);
    for (let i = 0; i < 20; i++) {
      const { body, contentType } = buildMultipart([{ headers: { 'Content-Type': 'text/plain' }, body: 'ci-' }]);
      const boundary = contentType.slice(contentType.indexOf('=') + 1);
      expect(body.toString().split(boundary)).toHaveLength(3);
    }
  });
});
