import { checkInviteBody, sdpProblem } from './offer-check';

const SDP = ['v=0', 'o=uac 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
const sdp = (edit: (lines: string[]) => string[]) => edit(SDP.split('\r\n')).join('\r\n');

describe('checkInviteBody: what a new call may carry', () => {
  it('takes no body (late offer) and a usable SDP offer', () => {
    expect(checkInviteBody(undefined, undefined, Buffer.alloc(0))).toBeUndefined();
    expect(checkInviteBody('application/sdp', undefined, Buffer.from(SDP))).toBeUndefined();
    expect(checkInviteBody('Application/SDP; charset=utf-8', 'identity', Buffer.from(SDP))).toBeUndefined();
  });

  it('refuses another Content-Type with 415, Accept: application/sdp and a Warning naming the type', () => {
    const p = checkInviteBody('text/plain', undefined, Buffer.from('hello'));
    expect(p?.status).toBe(415);
    expect(p?.headers).toEqual([
      ['Accept', 'application/sdp'],
      ['Warning', '399 - "the INVITE body is text/plain; only application/sdp can be anchored"'],
    ]);
    expect(checkInviteBody('multipart/mixed;boundary=x', undefined, Buffer.from('--x--'))?.status).toBe(415);
    expect(checkInviteBody(undefined, undefined, Buffer.from(SDP))?.problem).toMatch(/of no Content-Type/);
  });

  it('refuses an encoded body with 415 and Accept-Encoding: identity', () => {
    const p = checkInviteBody('application/sdp', 'gzip', Buffer.from(SDP));
    expect(p?.status).toBe(415);
    expect(p?.headers[0]).toEqual(['Accept-Encoding', 'identity']);
  });

  it('refuses an SDP rtpengine cannot anchor with 488 and a Warning saying why', () => {
    const p = checkInviteBody('application/sdp', undefined, Buffer.from('hello world\r\n'));
    expect(p?.status).toBe(488);
    expect(p?.headers).toEqual([['Warning', '399 - "bad SDP offer: it must start with v=0, not \\"hello world\\""']]);
    const named = sdp((l) => l.map((x) => (x.startsWith('c=') ? 'c=IN IP4 pbx.example.com' : x)));
    expect(checkInviteBody('application/sdp', undefined, Buffer.from(named))?.headers).toEqual([['Warning', '301 - "bad SDP offer: the c= address \\"pbx.example.com\\" is not an IP4 address"']]);
  });
});

describe('sdpProblem (RFC 8866 §5, what rtpengine 10.5 refuses)', () => {
  it('accepts what rtpengine anchors: LF line ends, c= per media, IPv6, several media, port 0, a port count', () => {
    expect(sdpProblem(SDP)).toBeUndefined();
    expect(sdpProblem(SDP.replace(/\r\n/g, '\n'))).toBeUndefined();
    expect(sdpProblem(sdp((l) => [...l.filter((x) => !x.startsWith('c=')).slice(0, -1), 'c=IN IP4 127.0.0.1', '']))).toBeUndefined();
    expect(sdpProblem(sdp((l) => l.map((x) => (x.startsWith('c=') ? 'c=IN IP6 ::1' : x))))).toBeUndefined();
    expect(sdpProblem(sdp((l) => [...l.slice(0, -1), 'm=video 0 RTP/AVP 96', 'm=audio 4002/2 RTP/AVP 8', '']))).toBeUndefined();
  });

  it('names the first problem', () => {
    const problem = (edit: (lines: string[]) => string[]) => sdpProblem(sdp(edit))?.text;
    expect(sdpProblem('')?.text).toBe('it must start with v=0, not ""');
    expect(problem((l) => ['v=1', ...l.slice(1)])).toBe('it must start with v=0, not "v=1"');
    expect(problem((l) => [...l.slice(0, 3), 'this is not SDP', ...l.slice(3)])).toBe('line 4 is not <type>=<value>: "this is not SDP"');
    expect(problem((l) => [...l.slice(0, 3), '', ...l.slice(3)])).toBe('line 4 is not <type>=<value>: ""');
    expect(problem((l) => l.map((x) => x.replace('c=', 'C=')))).toBe('line 4 is not <type>=<value>: "C=IN IP4 127.0.0.1"');
    expect(problem((l) => l.map((x) => x.replace('m=audio 4000', 'm=audio 99999')))).toBe('bad m= line "m=audio 99999 RTP/AVP 0 101"');
    expect(problem((l) => l.map((x) => x.replace('m=audio 4000 RTP/AVP 0 101', 'm=audio')))).toBe('bad m= line "m=audio"');
    expect(problem((l) => l.map((x) => x.replace('c=IN IP4 127.0.0.1', 'c= IN IP4 127.0.0.1')))).toBe('bad c= line "c= IN IP4 127.0.0.1"');
    expect(problem((l) => l.map((x) => x.replace('127.0.0.1', '1.2.3.999')))).toBe('the c= address "1.2.3.999" is not an IP4 address');
    expect(sdpProblem(sdp((l) => l.filter((x) => !x.startsWith('m='))))).toEqual({ code: 304, text: 'no m= line: there is no media to anchor' });
    expect(problem((l) => l.filter((x) => !x.startsWith('c=')))).toBe('no c= line for "m=audio 4000 RTP/AVP 0 101"');
    expect(problem((l) => [...l.filter((x) => !x.startsWith('c=')).slice(0, -1), 'c=IN IP4 127.0.0.1', 'm=audio 4002 RTP/AVP 0', ''])).toBe('no c= line for "m=audio 4002 RTP/AVP 0"');
  });
});
