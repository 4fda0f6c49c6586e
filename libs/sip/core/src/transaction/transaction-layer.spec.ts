import { createResponse } from '../message/build';
import type { SipRequest, SipResponse } from '../message/types';
import type { ClientInviteTransaction } from './client-invite';
import { FakeTimers } from './fake-timers';
import type { InboundSource } from './ports';
import type { ServerTransaction } from './server-transaction';
import { InMemoryNetwork, RecordingSink, buildRequest, buildResponse, isRequest, isResponse } from './test-support';
import { TransactionLayer } from './transaction-layer';

const SRC: InboundSource = { protocol: 'udp', remote: { address: '203.0.113.5', port: 5060 }, local: { address: '192.0.2.1', port: 5060 } };
const clone = (req: SipRequest): SipRequest => ({ ...req, headers: req.headers.clone() });

function setup() {
  const timers = new FakeTimers();
  const sink = new RecordingSink(timers);
  const discarded: string[] = [];
  const layer = new TransactionLayer({ timers, sink, onDiscard: (_m, why) => void discarded.push(why) });
  const txs: ServerTransaction[] = [];
  layer.onRequest((tx) => void txs.push(tx));
  return { timers, sink, layer, txs, discarded };
}

describe('request matching (RFC 3261 §17.2.3)', () => {
  it('matches on branch, sent-by and method: another sent-by or method is another transaction', () => {
    const { layer, txs } = setup();
    const a = buildRequest({ method: 'OPTIONS', via: { host: 'h1.example.com', port: 5060, branch: 'z9hG4bKsame' } });
    layer.receive(clone(a), SRC);
    layer.receive(clone(a), SRC);
    layer.receive(buildRequest({ method: 'OPTIONS', via: { host: 'h2.example.com', port: 5060, branch: 'z9hG4bKsame' } }), SRC);
    layer.receive(buildRequest({ method: 'INFO', via: { host: 'h1.example.com', port: 5060, branch: 'z9hG4bKsame' }, to: '<sip:b@x>;tag=1' }), SRC);
    expect(txs.map((t) => t.method)).toEqual(['OPTIONS', 'OPTIONS', 'INFO']);
  });

  it('matches RFC 2543 requests (no magic cookie) on Request-URI, From tag, Call-ID, CSeq and top Via; their ACK by the response To tag', () => {
    const { layer, txs, sink } = setup();
    const inv = buildRequest({ method: 'INVITE', via: { host: 'old.example.com', port: 5060, branch: '12345' }, callId: 'old@x', from: '<sip:a@x>;tag=f' });
    layer.receive(clone(inv), SRC);
    layer.receive(clone(inv), SRC);
    expect(txs).toHaveLength(1);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 486, undefined, { toTag: 'mine' }));
    const onAck = jest.fn();
    layer.onAck(onAck);
    const wrongAck = buildRequest({ method: 'ACK', via: { host: 'old.example.com', port: 5060, branch: '12345' }, callId: 'old@x', from: '<sip:a@x>;tag=f', to: '<sip:bob@example.net>;tag=other' });
    layer.receive(wrongAck, SRC);
    expect(onAck).toHaveBeenCalledTimes(1);
    expect(tx.state).toBe('completed');
    const ack = buildRequest({ method: 'ACK', via: { host: 'old.example.com', port: 5060, branch: '12345' }, callId: 'old@x', from: '<sip:a@x>;tag=f', to: '<sip:bob@example.net>;tag=mine' });
    layer.receive(ack, SRC);
    expect(tx.state).toBe('confirmed');
    // Without any branch at all too.
    const noBranch = buildRequest({ method: 'OPTIONS', callId: 'nb@x' });
    noBranch.headers.set('Via', 'SIP/2.0/UDP old.example.com');
    layer.receive(clone(noBranch), SRC);
    layer.receive(clone(noBranch), SRC);
    expect(txs).toHaveLength(2);
    expect(sink.sent.filter((r) => r.msg.kind === 'response' && r.msg.status === 400)).toHaveLength(0);
  });

  it('answers 482 to a merged request (§8.2.2.2): same From tag, Call-ID and CSeq by another branch', () => {
    const { layer, txs, sink, timers } = setup();
    const spec = { method: 'INVITE', callId: 'fork@x', from: '<sip:a@x>;tag=f1', cseq: 7 };
    layer.receive(buildRequest({ ...spec, via: { host: 'proxy1', branch: 'z9hG4bKp1' } }), SRC);
    layer.receive(buildRequest({ ...spec, via: { host: 'proxy2', branch: 'z9hG4bKp2' } }), SRC);
    expect(txs).toHaveLength(1);
    expect(sink.responses(482)).toHaveLength(1);
    // A request with To tag is never "merged".
    layer.receive(buildRequest({ method: 'INFO', callId: 'fork@x', from: '<sip:a@x>;tag=f1', cseq: 8, to: '<sip:b@x>;tag=t', via: { host: 'proxy1', branch: 'z9hG4bKi1' } }), SRC);
    layer.receive(buildRequest({ method: 'INFO', callId: 'fork@x', from: '<sip:a@x>;tag=f1', cseq: 8, to: '<sip:b@x>;tag=t', via: { host: 'proxy2', branch: 'z9hG4bKi2' } }), SRC);
    expect(txs).toHaveLength(3);
    for (const tx of txs) tx.respond(createResponse(tx.request, 486, undefined, { toTag: 'x' }));
    timers.advance(64_000);
    expect(layer.indexSizes).toEqual({ clients: 0, servers: 0, cancellable: 0, merged: 0 });
  });

  it('answers 400 to a request missing a mandatory header and drops a bad ACK silently', () => {
    const { layer, txs, sink, discarded } = setup();
    const req = buildRequest({ method: 'OPTIONS' });
    req.headers.delete('Call-ID');
    layer.receive(req, SRC);
    const mismatch = buildRequest({ method: 'OPTIONS' });
    mismatch.headers.set('CSeq', '1 INVITE');
    layer.receive(mismatch, SRC);
    const ack = buildRequest({ method: 'ACK' });
    ack.headers.delete('From');
    layer.receive(ack, SRC);
    expect(txs).toHaveLength(0);
    expect(sink.responses(400).map((r) => r.reason)).toEqual(['Bad Request (missing Call-ID)', 'Bad Request (CSeq method differs from the request method)']);
    expect(discarded).toHaveLength(3);
  });

  it('answers 501 when no TU is registered', () => {
    const timers = new FakeTimers();
    const sink = new RecordingSink(timers);
    const layer = new TransactionLayer({ timers, sink });
    layer.receive(buildRequest({ method: 'OPTIONS' }), SRC);
    expect(sink.responses(501)).toHaveLength(1);
  });
});

describe('CANCEL (RFC 3261 §9.2)', () => {
  function cancelFor(req: SipRequest): SipRequest {
    const cancel = buildRequest({ method: 'CANCEL', callId: req.headers.get('Call-ID') ?? '', from: req.headers.get('From') ?? '', to: req.headers.get('To') ?? '', cseq: 1 });
    cancel.headers.set('Via', req.headers.getAll('Via')[0] ?? '');
    return cancel;
  }

  it('answers 200 to the CANCEL and 487 to a pending INVITE, both with the tag of the provisional; the TU hears of it', () => {
    const { layer, txs, sink } = setup();
    const inv = buildRequest({ method: 'INVITE', via: { host: '203.0.113.5', branch: 'z9hG4bKc1' } });
    layer.receive(clone(inv), SRC);
    const tx = txs[0]!;
    const cancelled = jest.fn();
    tx.on('cancelled', cancelled);
    tx.respond(createResponse(tx.request, 180, undefined, { toTag: 'early' }));
    layer.receive(cancelFor(inv), SRC);
    expect(cancelled).toHaveBeenCalledTimes(1);
    const ok = sink.responses(200)[0]!;
    expect(ok.headers.get('CSeq')).toBe('1 CANCEL');
    expect(ok.headers.get('To')).toBe('<sip:bob@example.net>;tag=early');
    const terminated = sink.responses(487)[0]!;
    expect(terminated.headers.get('CSeq')).toBe('1 INVITE');
    expect(terminated.headers.get('To')).toBe('<sip:bob@example.net>;tag=early');
    expect(tx.state).toBe('completed');
    expect(txs).toHaveLength(1); // the CANCEL is not handed to the TU
  });

  it('a CANCEL after the final response gets 200 and changes nothing', () => {
    const { layer, txs, sink } = setup();
    const inv = buildRequest({ method: 'INVITE', via: { host: '203.0.113.5', branch: 'z9hG4bKc2' } });
    layer.receive(clone(inv), SRC);
    const tx = txs[0]!;
    const cancelled = jest.fn();
    tx.on('cancelled', cancelled);
    tx.respond(createResponse(tx.request, 200, undefined, { toTag: 'ans' }));
    layer.receive(cancelFor(inv), SRC);
    expect(sink.responses(200).map((r) => r.headers.get('CSeq'))).toEqual(['1 INVITE', '1 CANCEL']);
    expect(sink.responses(487)).toHaveLength(0);
    expect(cancelled).not.toHaveBeenCalled();
    expect(tx.state).toBe('accepted');
  });

  it('a CANCEL matching nothing gets 481; a retransmitted CANCEL gets the same answer again', () => {
    const { layer, sink } = setup();
    const inv = buildRequest({ method: 'INVITE', via: { host: '203.0.113.5', branch: 'z9hG4bKnone' } });
    const cancel = cancelFor(inv);
    layer.receive(clone(cancel), SRC);
    layer.receive(clone(cancel), SRC);
    expect(sink.responses(481)).toHaveLength(2);
  });

  it('a CANCEL for a non-INVITE transaction gets 200 and nothing else', () => {
    const { layer, txs, sink } = setup();
    const opt = buildRequest({ method: 'OPTIONS', via: { host: '203.0.113.5', branch: 'z9hG4bKo' } });
    layer.receive(clone(opt), SRC);
    const cancel = cancelFor(opt);
    layer.receive(cancel, SRC);
    expect(sink.responses(200).map((r) => r.headers.get('CSeq'))).toEqual(['1 CANCEL']);
    expect(txs[0]!.state).toBe('trying');
  });
});

describe('responses (RFC 3261 §17.1.3, RFC 6026 §7.2)', () => {
  it('passes a 2xx to INVITE that matches no transaction to the stray handler and drops others', () => {
    const { layer, discarded } = setup();
    const stray: SipResponse[] = [];
    layer.onStrayResponse((r) => void stray.push(r));
    const inv = buildRequest({ method: 'INVITE' });
    layer.receive(buildResponse(inv, 200, { toTag: 'x' }), SRC);
    layer.receive(buildResponse(inv, 486, { toTag: 'x' }), SRC);
    layer.receive(buildResponse(buildRequest({ method: 'OPTIONS' }), 200), SRC);
    expect(stray.map((r) => r.status)).toEqual([200]);
    expect(discarded).toEqual(['response matches no transaction', 'response matches no transaction']);
  });

  it('matches on CSeq method too: the 200 to a CANCEL does not end the INVITE', () => {
    const { layer } = setup();
    const tx = layer.request(buildRequest({ method: 'INVITE' }), { protocol: 'udp', host: '203.0.113.5', port: 5060 }) as ClientInviteTransaction;
    layer.receive(buildResponse(tx.request, 180, { toTag: 't' }), SRC);
    tx.cancel();
    const cancelOk = buildResponse(tx.request, 200, { toTag: 't' });
    cancelOk.headers.set('CSeq', '1 CANCEL');
    layer.receive(cancelOk, SRC);
    expect(tx.state).toBe('proceeding');
  });
});

describe('two layers over an in-memory network', () => {
  function pair(protocol: 'udp' | 'tcp' = 'udp') {
    const timers = new FakeTimers();
    const net = new InMemoryNetwork(timers, 5);
    const a = net.node({ address: '10.0.0.1', port: 5060 });
    const b = net.node({ address: '10.0.0.2', port: 5060 });
    const uac = new TransactionLayer({ timers, sink: a.sink, viaSentBy: () => ({ host: '10.0.0.1', port: 5060 }) });
    const uas = new TransactionLayer({ timers, sink: b.sink, viaSentBy: () => ({ host: '10.0.0.2', port: 5060 }) });
    a.listen((m, s) => uac.receive(m, s));
    b.listen((m, s) => uas.receive(m, s));
    const toB = { protocol, host: '10.0.0.2', port: 5060 } as const;
    return { timers, net, uac, uas, toB };
  }

  it('recovers a lost request and a lost response by retransmission', async () => {
    const { timers, net, uac, uas, toB } = pair();
    uas.onRequest((tx) => tx.respond(createResponse(tx.request, 200)));
    net.dropNext(isRequest('OPTIONS'));
    net.dropNext(isResponse(200));
    const req = buildRequest({ method: 'OPTIONS' });
    req.headers.delete('Via');
    const tx = uac.request(req, toB);
    timers.advance(2_000);
    expect((await tx.result).status).toBe(200);
    expect(net.trace()).toEqual([
      '10.0.0.1:5060>10.0.0.2:5060 OPTIONS (dropped)',
      '10.0.0.1:5060>10.0.0.2:5060 OPTIONS',
      '10.0.0.2:5060>10.0.0.1:5060 200/OPTIONS (dropped)',
      '10.0.0.1:5060>10.0.0.2:5060 OPTIONS',
      '10.0.0.2:5060>10.0.0.1:5060 200/OPTIONS',
    ]);
  });

  it('a lost ACK for a 486 brings the 486 again and the ACK again', () => {
    const { timers, net, uac, uas, toB } = pair();
    uas.onRequest((tx) => tx.respond(createResponse(tx.request, 486, undefined, { toTag: 'busy' })));
    net.dropNext(isRequest('ACK'));
    const req = buildRequest({ method: 'INVITE' });
    req.headers.delete('Via');
    uac.request(req, toB);
    timers.advance(40_000);
    expect(net.trace((r) => r.msg.kind === 'request' || r.msg.status !== 100)).toEqual([
      '10.0.0.1:5060>10.0.0.2:5060 INVITE',
      '10.0.0.2:5060>10.0.0.1:5060 486/INVITE',
      '10.0.0.1:5060>10.0.0.2:5060 ACK (dropped)',
      '10.0.0.2:5060>10.0.0.1:5060 486/INVITE',
      '10.0.0.1:5060>10.0.0.2:5060 ACK',
    ]);
    expect(uac.size + uas.size).toBe(0);
  });

  it('holds no transaction and no timer after 10,000 completed transactions', () => {
    const { timers, uac, uas, toB } = pair();
    let n = 0;
    uas.onRequest((tx) => {
      n++;
      if (tx.method === 'INVITE') tx.respond(createResponse(tx.request, n % 2 ? 486 : 200, undefined, { toTag: `t${n}` }));
      else tx.respond(createResponse(tx.request, 200));
    });
    const acks: SipRequest[] = [];
    uas.onAck((ack) => void acks.push(ack));
    let finals = 0;
    for (let i = 0; i < 10_000; i++) {
      const req = buildRequest({ method: i % 4 === 0 ? 'INVITE' : 'OPTIONS' });
      req.headers.delete('Via');
      uac.request(req, toB, { onFinal: () => void finals++ });
      if (i % 500 === 499) timers.advance(100);
    }
    timers.advance(1_000);
    expect(uac.size).toBeGreaterThan(0);
    timers.runAll();
    expect(finals).toBe(10_000);
    expect(uac.size).toBe(0);
    expect(uas.size).toBe(0);
    expect(uac.indexSizes).toEqual({ clients: 0, servers: 0, cancellable: 0, merged: 0 });
    expect(uas.indexSizes).toEqual({ clients: 0, servers: 0, cancellable: 0, merged: 0 });
    expect(timers.pending).toBe(0);
  });
});
