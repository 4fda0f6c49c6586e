import { FrameEvent, FramingError, StreamFramer } from './stream-framer';

const options = (callId: string, extra = '') =>
  'OPTIONS sip:srs.example.com;transport=tcp SIP/2.0\r\n' +
  'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-' + callId + '\r\n' +
  'Max-Forwards: 70\r\n' +
  'From: <sip:src@example.com>;tag=1\r\n' +
  'To: <sip:srs.example.com>\r\n' +
  `Call-ID: ${callId}\r\n` +
  'CSeq: 1 OPTIONS\r\n' +
  extra +
  'Content-Length: 0\r\n\r\n';

// A body holding a blank line and a fake Content-Length: only the header section counts.
const sdpBody = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n\r\nContent-Length: 999\r\n\r\nm=audio 4000 RTP/AVP 0\r\n';
const invite =
  'INVITE sip:srs@127.0.0.1 SIP/2.0\r\n' +
  'Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-inv\r\n' +
  'Call-ID: inv-1\r\n' +
  'Content-Type: application/sdp\r\n' +
  `Content-Length: ${Buffer.byteLength(sdpBody)}\r\n\r\n` +
  sdpBody;

const messagesOf = (events: FrameEvent[]) => events.flatMap((e) => (e.kind === 'message' ? [e.data.toString('latin1')] : []));

function feed(framer: StreamFramer, chunks: Buffer[]): FrameEvent[] {
  return chunks.flatMap((c) => framer.push(c));
}

function framingError(fn: () => unknown): FramingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FramingError) return err;
    throw err;
  }
  throw new Error('expected a FramingError');
}

describe('StreamFramer', () => {
  it('delivers a message with a body holding CRLFCRLF and a fake Content-Length', () => {
    const events = new StreamFramer().push(Buffer.from(invite));
    expect(messagesOf(events)).toEqual([invite]);
  });

  it('delivers the same messages whichever byte boundary the stream is split at', () => {
    const stream = Buffer.from(options('a') + invite + options('b'));
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new StreamFramer();
      const got = messagesOf(feed(framer, [stream.subarray(0, cut), stream.subarray(cut)]));
      expect(got).toEqual([options('a'), invite, options('b')]);
      expect(framer.bufferedBytes).toBe(0);
    }
  });

  it('delivers messages split at every pair of boundaries inside the body and header end', () => {
    const stream = Buffer.from(invite);
    const headerEnd = stream.indexOf('\r\n\r\n');
    for (let a = headerEnd - 2; a < stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 7) {
        const got = messagesOf(feed(new StreamFramer(), [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]));
        expect(got).toEqual([invite]);
      }
    }
  });

  it('delivers a stream fed one byte at a time', () => {
    const stream = Buffer.from(invite + options('c'));
    const framer = new StreamFramer();
    const got = messagesOf(feed(framer, [...stream].map((byte) => Buffer.from([byte]))));
    expect(got).toEqual([invite, options('c')]);
  });

  it('delivers several messages from one chunk, in order', () => {
    const many = Array.from({ length: 20 }, (_, i) => options(`m${i}`));
    expect(messagesOf(new StreamFramer().push(Buffer.from(many.join(''))))).toEqual(many);
  });

  it('reads compact, lower-case, spaced and folded Content-Length', () => {
    const head = 'MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\n';
    for (const cl of ['l: 5', 'L:5', 'content-length: 5', 'CONTENT-LENGTH   :   5  ', 'Content-Length:\r\n   5', 'Content-Length:\t5']) {
      const msg = `${head}${cl}\r\n\r\nhello`;
      expect(messagesOf(new StreamFramer().push(Buffer.from(msg + 'OPTIONS')))).toEqual([msg]);
    }
  });

  it('does not take look-alike headers for Content-Length', () => {
    const msg = 'MESSAGE sip:a@b SIP/2.0\r\nX-l: 99\r\nContent-Length-Hint: 99\r\nl: 2\r\n\r\nhi';
    expect(messagesOf(new StreamFramer().push(Buffer.from(msg)))).toEqual([msg]);
  });

  it('accepts repeated equal Content-Length headers', () => {
    const msg = 'MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nhi';
    expect(messagesOf(new StreamFramer().push(Buffer.from(msg)))).toEqual([msg]);
  });

  describe('keep-alives (RFC 5626 §4.4.1, RFC 3261 §7.5)', () => {
    it('reports a double CRLF as a ping and skips a single CRLF', () => {
      const framer = new StreamFramer();
      expect(framer.push(Buffer.from('\r\n\r\n'))).toEqual([{ kind: 'ping' }]);
      expect(framer.push(Buffer.from('\r\n' + options('k')))).toEqual([{ kind: 'message', data: Buffer.from(options('k')) }]);
    });

    it('recognises a ping split across chunks and between messages', () => {
      const framer = new StreamFramer();
      const events = feed(framer, ['\r', '\n', '\r', '\n', options('p').slice(0, 9), options('p').slice(9) + '\r\n', '\r\n'].map((s) => Buffer.from(s)));
      expect(events.map((e) => e.kind)).toEqual(['ping', 'message', 'ping']);
      expect(framer.bufferedBytes).toBe(0);
    });

    it('reports two pings for four CRLFs', () => {
      expect(new StreamFramer().push(Buffer.from('\r\n\r\n\r\n\r\n'))).toEqual([{ kind: 'ping' }, { kind: 'ping' }]);
    });
  });

  describe('errors', () => {
    it('refuses a message without Content-Length', () => {
      const err = framingError(() => new StreamFramer().push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nCall-ID: 1\r\n\r\n')));
      expect(err.code).toBe('missing-content-length');
    });

    it.each(['abc', '-1', '1.5', '', '0x10', '12345678901', '5 5'])('refuses Content-Length %j', (value) => {
      const err = framingError(() => new StreamFramer().push(Buffer.from(`OPTIONS sip:a SIP/2.0\r\nContent-Length: ${value}\r\n\r\n`)));
      expect(err.code).toBe('bad-content-length');
    });

    it('refuses conflicting Content-Length headers', () => {
      const err = framingError(() => new StreamFramer().push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab')));
      expect(err.code).toBe('bad-content-length');
      expect(err.message).toContain('1, 2');
    });

    it('refuses a header section that never ends, before buffering more than the limit plus one chunk', () => {
      const framer = new StreamFramer({ maxHeaderBytes: 1024 });
      const line = Buffer.from('X-Filler: ' + 'a'.repeat(90) + '\r\n');
      let err: FramingError | undefined;
      for (let i = 0; i < 100 && !err; i++) {
        try {
          framer.push(line);
        } catch (e) {
          err = e as FramingError;
        }
        expect(framer.bufferedBytes).toBeLessThanOrEqual(1024 + line.length);
      }
      expect(err?.code).toBe('headers-too-large');
    });

    it('refuses a complete header section above the limit', () => {
      const big = 'OPTIONS sip:a SIP/2.0\r\nX: ' + 'b'.repeat(200) + '\r\nContent-Length: 0\r\n\r\n';
      expect(framingError(() => new StreamFramer({ maxHeaderBytes: 100 }).push(Buffer.from(big))).code).toBe('headers-too-large');
    });

    it('refuses an oversize body from its Content-Length, before any body byte arrives', () => {
      const framer = new StreamFramer({ maxBodyBytes: 1000 });
      const err = framingError(() => framer.push(Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 1001\r\n\r\n')));
      expect(err.code).toBe('body-too-large');
      expect(framer.bufferedBytes).toBe(0);
    });

    it('refuses more buffered bytes than maxBufferedBytes', () => {
      const framer = new StreamFramer({ maxBufferedBytes: 100 });
      const err = framingError(() => framer.push(Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 500\r\n\r\n' + 'x'.repeat(100))));
      expect(err.code).toBe('buffer-overflow');
    });

    it('keeps failing after an error: the connection must be closed', () => {
      const framer = new StreamFramer();
      const first = framingError(() => framer.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\n\r\n')));
      expect(framingError(() => framer.push(Buffer.from(options('after'))))).toBe(first);
    });
  });

  it('frames a maximum-size message dribbled one byte at a time without quadratic copying', () => {
    const body = 'z'.repeat(64 * 1024);
    const msg = Buffer.from(`MESSAGE sip:a SIP/2.0\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const framer = new StreamFramer();
    const started = performance.now();
    let got: FrameEvent[] = [];
    for (let i = 0; i < msg.length; i++) got = got.concat(framer.push(msg.subarray(i, i + 1)));
    expect(messagesOf(got)).toEqual([msg.toString('latin1')]);
    // Quadratic copying of 64 KiB would move ~2 GB; linear takes milliseconds.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
