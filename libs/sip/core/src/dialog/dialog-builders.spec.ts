import { buildRequest, buildResponse, udpSource } from '../transaction/test-support';
import { uacDialogData, uasDialogData, type DialogData } from './dialog-data';
import { glareBackoffMs, OfferAnswerState, overlapRetryAfterSeconds } from './glare';
import { buildAck2xx, buildInDialogRequest } from './request-builder';
import { literalResolver } from './resolver';
import { parseUri } from '../message/uri';

const base: DialogData = {
  callId: 'cid@x',
  localTag: 'lt',
  remoteTag: 'rt',
  localParty: '"Alice" <sip:alice@a.example>;tag=lt',
  remoteParty: '<sip:bob@b.example>;tag=rt',
  remoteTarget: 'sip:bob@192.0.2.20:5070;transport=tcp',
  routeSet: [],
  localSeq: 4,
  secure: false,
};

describe('dialog state from the dialog-creating exchange (RFC 3261 §12.1)', () => {
  it('UAC: route set is the reversed Record-Route of the response, remote target its Contact, local CSeq the INVITE\'s', () => {
    const invite = buildRequest({ method: 'INVITE', from: '<sip:a@x>;tag=ft', callId: 'c@x', cseq: 7 });
    const ok = buildResponse(invite, 200, { toTag: 'tt', headers: [['Record-Route', '<sip:p1;lr>, <sip:p2;lr>'], ['Contact', '<sip:bob@192.0.2.20>']] });
    const d = uacDialogData(invite, ok, { protocol: 'udp', host: 'p1', port: 5060 });
    expect(d).toEqual({
      callId: 'c@x', localTag: 'ft', remoteTag: 'tt', localParty: '<sip:a@x>;tag=ft', remoteParty: '<sip:bob@example.net>;tag=tt',
      remoteTarget: 'sip:bob@192.0.2.20', routeSet: ['<sip:p2;lr>', '<sip:p1;lr>'], localSeq: 7, secure: false,
    });
  });

  it('UAS: route set in order, remote CSeq from the request, our tag on To; secure only for sips over TLS', () => {
    const invite = buildRequest({ method: 'INVITE', uri: 'sips:bob@b.example', from: '<sip:a@x>;tag=ft', cseq: 3, headers: [['Record-Route', '<sip:p1;lr>'], ['Record-Route', '<sip:p2;lr>'], ['Contact', '<sips:a@192.0.2.9>']] });
    const d = uasDialogData(invite, 'mine', { ...udpSource(), protocol: 'tls' });
    expect(d).toMatchObject({ localTag: 'mine', remoteTag: 'ft', localParty: '<sip:bob@example.net>;tag=mine', routeSet: ['<sip:p1;lr>', '<sip:p2;lr>'], remoteSeq: 3, localSeq: 0, secure: true });
    expect(uasDialogData(invite, 'mine', udpSource())?.secure).toBe(false);
  });
});

describe('requests within a dialog (RFC 3261 §12.2.1.1)', () => {
  it('without route set: Request-URI is the remote target, no Route', () => {
    const { request, nextHop } = buildInDialogRequest(base, 'INFO', 5);
    expect(request.uri).toBe('sip:bob@192.0.2.20:5070;transport=tcp');
    expect(request.headers.has('Route')).toBe(false);
    expect(request.headers.get('CSeq')).toBe('5 INFO');
    expect(request.headers.get('From')).toBe(base.localParty);
    expect(request.headers.get('To')).toBe(base.remoteParty);
    expect(request.headers.has('Contact')).toBe(false);
    expect(nextHop).toBe(base.remoteTarget);
  });

  it('loose routing: Route = route set, next hop the first route; Contact on target refresh requests', () => {
    const d = { ...base, routeSet: ['<sip:p1.example;lr>', '<sip:p2.example;lr>'] };
    const { request, nextHop } = buildInDialogRequest(d, 'INVITE', 5, '<sip:alice@192.0.2.1>');
    expect(request.uri).toBe(base.remoteTarget);
    expect(request.headers.getAll('Route')).toEqual(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    expect(request.headers.get('Contact')).toBe('<sip:alice@192.0.2.1>');
    expect(nextHop).toBe('sip:p1.example;lr');
  });

  it('strict routing: the first route is the Request-URI, the remote target the last Route', () => {
    const d = { ...base, routeSet: ['<sip:strict.example>', '<sip:p2.example;lr>'] };
    const { request, nextHop } = buildInDialogRequest(d, 'BYE', 6);
    expect(request.uri).toBe('sip:strict.example');
    expect(request.headers.getAll('Route')).toEqual(['<sip:p2.example;lr>', `<${base.remoteTarget}>`]);
    expect(nextHop).toBe('sip:strict.example');
  });

  it('the ACK for a 2xx keeps the INVITE\'s CSeq number and credentials (§13.2.2.4)', () => {
    const invite = buildRequest({ method: 'INVITE', cseq: 9, headers: [['Proxy-Authorization', 'Digest username="a"']] });
    const { request } = buildAck2xx({ ...base, localSeq: 9 }, invite);
    expect(request.method).toBe('ACK');
    expect(request.headers.get('CSeq')).toBe('9 ACK');
    expect(request.headers.get('Proxy-Authorization')).toBe('Digest username="a"');
    expect(request.headers.has('Via')).toBe(false); // the layer adds one with a new branch
  });

  it('literal resolution: transport param, sips → TLS, default ports, maddr', () => {
    expect(literalResolver.resolve(parseUri('sip:bob@192.0.2.20:5070;transport=tcp'))).toEqual({ protocol: 'tcp', host: '192.0.2.20', port: 5070 });
    expect(literalResolver.resolve(parseUri('sips:srs.example.com'))).toEqual({ protocol: 'tls', host: 'srs.example.com', port: 5061 });
    expect(literalResolver.resolve(parseUri('sip:[2001:db8::1];maddr=192.0.2.7'))).toEqual({ protocol: 'udp', host: '192.0.2.7', port: 5060 });
    expect(literalResolver.resolve(parseUri('sip:[2001:db8::1]'))).toMatchObject({ host: '2001:db8::1' });
  });
});

describe('glare (RFC 3261 §14, RFC 3311 §5)', () => {
  it('the owner of the Call-ID waits 2.1–4 s, the other 0–2 s, in 10 ms units', () => {
    expect(glareBackoffMs(true, () => 0)).toBe(2100);
    expect(glareBackoffMs(true, () => 0.999999)).toBe(4000);
    expect(glareBackoffMs(false, () => 0)).toBe(0);
    expect(glareBackoffMs(false, () => 0.999999)).toBe(2000);
    for (let i = 0; i < 1000; i++) {
      const owner = glareBackoffMs(true);
      const other = glareBackoffMs(false);
      expect(owner % 10).toBe(0);
      expect(other % 10).toBe(0);
      expect(owner).toBeGreaterThanOrEqual(2100);
      expect(owner).toBeLessThanOrEqual(4000);
      expect(other).toBeGreaterThanOrEqual(0);
      expect(other).toBeLessThanOrEqual(2000);
    }
    expect(overlapRetryAfterSeconds(() => 0.9999)).toBe(10);
  });

  it('an INVITE while ours is pending is 491; while theirs is pending 500; an UPDATE without offer never collides', () => {
    const oa = new OfferAnswerState();
    expect(oa.check('INVITE', true)).toBeUndefined();
    oa.inviteOut = true;
    oa.offerOut = true;
    expect(oa.check('INVITE', true)).toBe(491);
    expect(oa.check('UPDATE', true)).toBe(491);
    expect(oa.check('UPDATE', false)).toBeUndefined();
    const theirs = new OfferAnswerState();
    theirs.inviteIn = true;
    theirs.offerIn = true;
    expect(theirs.check('INVITE', true)).toBe(500);
    expect(theirs.check('UPDATE', true)).toBe(500);
  });
});
