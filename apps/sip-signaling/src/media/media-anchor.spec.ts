import { HeaderList, type BodyRewriteContext, type SipMessage } from '@ci-connector/sip';
import { createRtpengineAnchor, isHoldSdp, type RtpengineControl } from './media-anchor';

const SDP = 'v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const ANCHORED = SDP.replace(/192\.0\.2\.1/g, '127.0.0.1').replace('4000', '30000');

function ctx(over: Partial<BodyRewriteContext>): BodyRewriteContext {
  const headers = new HeaderList();
  headers.append('To', '<sip:b@example.com>');
  return { from: 'a', to: 'b', method: 'INVITE', kind: 'request', sdpRole: 'offer', body: Buffer.from(SDP), contentType: 'application/sdp', message: { kind: 'request', method: 'INVITE', uri: 'sip:b@example.com', version: 'SIP/2.0', headers, body: Buffer.alloc(0) } as SipMessage, ...over };
}

function fakeRtpengine(fail: Partial<Record<'offer' | 'answer', unknown>> = {}) {
  const calls: { cmd: string; p: Record<string, unknown> }[] = [];
  const control: RtpengineControl = {
    offer: async (p) => {
      calls.push({ cmd: 'offer', p: { ...p } });
      if (fail.offer) throw fail.offer;
      return { sdp: ANCHORED };
    },
    answer: async (p) => {
      calls.push({ cmd: 'answer', p: { ...p } });
      if (fail.answer) throw fail.answer;
      return { sdp: ANCHORED };
    },
    delete: async (p) => void calls.push({ cmd: 'delete', p: { ...p } }),
    ping: async () => undefined,
    close: async () => undefined,
  };
  return { control, calls };
}

describe('rtpengine media anchor', () => {
  it('offers A\'s SDP with A\'s tag, answers B\'s with from-tag A / to-tag B, re-offers from B with both tags, deletes at the end', async () => {
    const { control, calls } = fakeRtpengine();
    const session = createRtpengineAnchor(control, { timeoutMs: 100 }).open({ rtpengineCallId: 'call-1', aTag: 'atag' });
    expect(await session.rewrite(ctx({}))).toEqual({ body: ANCHORED });
    await session.rewrite(ctx({ from: 'b', to: 'a', kind: 'response', status: 200, sdpRole: 'answer' }));
    await session.rewrite(ctx({ from: 'b', to: 'a', sdpRole: 'offer' }));
    expect(await session.rewrite(ctx({ sdpRole: 'none', method: 'INFO' }))).toBeUndefined();
    expect(await session.rewrite(ctx({ contentType: 'multipart/mixed;boundary=x' }))).toBeUndefined();
    await session.close();
    await session.close();
    expect(calls.map((c) => [c.cmd, c.p['callId'], c.p['fromTag'], c.p['toTag'] ?? (c.p['extra'] as Record<string, string> | undefined)?.['to-tag']])).toEqual([
      ['offer', 'call-1', 'atag', undefined],
      ['answer', 'call-1', 'atag', 'atag-b2b'],
      ['offer', 'call-1', 'atag-b2b', 'atag'],
      ['delete', 'call-1', undefined, undefined],
    ]);
    // the ports go back at once, not after rtpengine's delete-delay
    expect(calls.at(-1)?.p['extra']).toEqual({ 'delete delay': 0 });
    expect(session.info()).toEqual({ rtpengineCallId: 'call-1', tags: { a: 'atag', b: 'atag-b2b' }, anchored: true });
  });

  it('a failing rtpengine never fails the call: the SDP passes unchanged, the session stays un-anchored and says why', async () => {
    const { control, calls } = fakeRtpengine({ offer: 'timeout' });
    const reasons: string[] = [];
    const session = createRtpengineAnchor(control, { timeoutMs: 100 }).open({ rtpengineCallId: 'c', aTag: 't', onUnanchored: (r) => reasons.push(r) });
    expect(await session.rewrite(ctx({}))).toBeUndefined();
    expect(await session.rewrite(ctx({ from: 'b', to: 'a', kind: 'response', status: 200, sdpRole: 'answer' }))).toBeUndefined();
    expect(calls.map((c) => c.cmd)).toEqual(['offer']);
    expect(reasons).toEqual(['rtpengine offer failed: timeout']);
    expect(session.info()).toMatchObject({ anchored: false, unanchoredReason: 'rtpengine offer failed: timeout' });
  });

  it('an rtpengine that never answers is given up after its timeout', async () => {
    const control: RtpengineControl = { ...fakeRtpengine().control, offer: () => new Promise(() => undefined) };
    const session = createRtpengineAnchor(control, { timeoutMs: 10 }).open({ rtpengineCallId: 'c', aTag: 't' });
    expect(await session.rewrite(ctx({}))).toBeUndefined();
    expect(session.info().unanchoredReason).toMatch(/no answer within 510 ms/);
  });

  it('tells hold SDP apart', () => {
    expect(isHoldSdp(`${SDP}a=sendonly\r\n`)).toBe(true);
    expect(isHoldSdp(`${SDP}a=inactive\r\n`)).toBe(true);
    expect(isHoldSdp(SDP.replace('c=IN IP4 192.0.2.1', 'c=IN IP4 0.0.0.0'))).toBe(true);
    expect(isHoldSdp(`${SDP}a=sendrecv\r\n`)).toBe(false);
  });
});
