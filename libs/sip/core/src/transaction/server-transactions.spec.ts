import { createResponse } from '../message/build';
import type { SipRequest } from '../message/types';
import { FakeTimers } from './fake-timers';
import type { InboundSource } from './ports';
import type { ServerTransaction } from './server-transaction';
import { RecordingSink, buildRequest, buildResponse, flush, isResponse } from './test-support';
import { TransactionLayer } from './transaction-layer';
import type { TransactionConfig } from './config';

const UDP_SRC: InboundSource = { protocol: 'udp', remote: { address: '203.0.113.5', port: 5070 }, local: { address: '192.0.2.1', port: 5060 } };
const TCP_SRC: InboundSource = { protocol: 'tcp', remote: { address: '203.0.113.5', port: 49152 }, local: { address: '192.0.2.1', port: 5060 }, connectionId: 'conn-7' };

function setup(config: Partial<TransactionConfig> = {}) {
  const timers = new FakeTimers();
  const sink = new RecordingSink(timers);
  const layer = new TransactionLayer({ timers, sink, config });
  const txs: ServerTransaction[] = [];
  layer.onRequest((tx) => void txs.push(tx));
  return { timers, sink, layer, txs };
}

const clone = (req: SipRequest): SipRequest => ({ ...req, headers: req.headers.clone() });

function invite(transport = 'UDP') {
  return buildRequest({ method: 'INVITE', via: { host: '203.0.113.5', port: 5070, transport, branch: 'z9hG4bKinv1' }, from: '<sip:a@x>;tag=ft', callId: 'c1@x' });
}

function ackFor(inv: SipRequest, toTag: string, branch = 'z9hG4bKinv1') {
  return buildRequest({ method: 'ACK', via: { host: '203.0.113.5', port: 5070, branch }, from: inv.headers.get('From') ?? '', to: `<sip:bob@example.net>;tag=${toTag}`, callId: 'c1@x' });
}

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026)', () => {
  it('sends 100 Trying after 200 ms when the TU has not answered', () => {
    const { timers, sink, layer } = setup();
    layer.receive(invite(), UDP_SRC);
    timers.advance(199);
    expect(sink.responses(100)).toHaveLength(0);
    timers.advance(1);
    const [trying] = sink.responses(100);
    expect(trying?.headers.get('To')).toBe('<sip:bob@example.net>'); // no tag on 100
  });

  it('sends no 100 when the TU answers within 200 ms, and at once when configured to', () => {
    const a = setup();
    a.layer.receive(invite(), UDP_SRC);
    a.timers.advance(50);
    a.txs[0]!.respond(createResponse(a.txs[0]!.request, 180, undefined, { toTag: 'u' }));
    a.timers.advance(1000);
    expect(a.sink.responses(100)).toHaveLength(0);

    const b = setup({ tryingDelayMs: 0 });
    b.layer.receive(invite(), UDP_SRC);
    expect(b.sink.responses(100)).toHaveLength(1);
  });

  it('answers a retransmitted INVITE with the latest provisional and does not pass it to the TU', () => {
    const { sink, layer, txs } = setup();
    const inv = invite();
    layer.receive(clone(inv), UDP_SRC);
    txs[0]!.respond(createResponse(txs[0]!.request, 180, undefined, { toTag: 'u' }));
    layer.receive(clone(inv), UDP_SRC);
    expect(txs).toHaveLength(1);
    expect(sink.responses(180)).toHaveLength(2);
  });

  it('sends responses to the source port when rport was asked for, and stamps received/rport on the Via', () => {
    const { sink, layer, txs } = setup();
    const inv = buildRequest({ method: 'INVITE', via: { host: '10.0.0.5', port: 5060, rport: true, branch: 'z9hG4bKnat' } });
    layer.receive(inv, UDP_SRC);
    txs[0]!.respond(createResponse(txs[0]!.request, 486));
    expect(sink.sent[0]?.dest).toEqual({ protocol: 'udp', host: '203.0.113.5', port: 5070 });
    expect(sink.responses(486)[0]?.headers.getAll('Via')[0]).toBe('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKnat;rport=5070;received=203.0.113.5');
  });

  it('without rport sends to received and the sent-by port; over TCP on the same connection', () => {
    const a = setup();
    a.layer.receive(buildRequest({ method: 'OPTIONS', via: { host: '10.0.0.5', port: 5080 } }), UDP_SRC);
    a.txs[0]!.respond(createResponse(a.txs[0]!.request, 200));
    expect(a.sink.sent[0]?.dest).toEqual({ protocol: 'udp', host: '203.0.113.5', port: 5080 });

    const b = setup();
    b.layer.receive(buildRequest({ method: 'OPTIONS', via: { host: 'client.example.com', transport: 'TCP' } }), TCP_SRC);
    b.txs[0]!.respond(createResponse(b.txs[0]!.request, 200));
    expect(b.sink.sent[0]?.dest).toEqual({ protocol: 'tcp', host: '203.0.113.5', port: 5060, connectionId: 'conn-7' });
  });

  it('over UDP retransmits a 3xx–6xx with Timer G (500, 1000, 2000, 4000, 4000 …) until Timer H, then tells the TU', () => {
    const { timers, sink, layer, txs } = setup();
    layer.receive(invite(), UDP_SRC);
    const tx = txs[0]!;
    const onTimeout = jest.fn();
    tx.on('timeout', onTimeout);
    tx.respond(createResponse(tx.request, 486, undefined, { toTag: 'u' }));
    timers.advance(32_000);
    expect(sink.times(isResponse(486))).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size).toBe(0);
  });

  it('absorbs the ACK for a non-2xx (Confirmed), then ends after Timer I = T4 over UDP', () => {
    const { timers, sink, layer, txs } = setup();
    const inv = invite();
    layer.receive(inv, UDP_SRC);
    const onAck = jest.fn();
    layer.onAck(onAck);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 486, undefined, { toTag: 'u' }));
    timers.advance(600);
    layer.receive(ackFor(inv, 'u'), UDP_SRC);
    expect(tx.state).toBe('confirmed');
    expect(onAck).not.toHaveBeenCalled();
    layer.receive(ackFor(inv, 'u'), UDP_SRC);
    timers.advance(10_000);
    expect(sink.times(isResponse(486))).toEqual([0, 500]);
    expect(tx.state).toBe('terminated');
    timers.advance(0);
  });

  it('over TCP does not retransmit the final and Timer I is 0', () => {
    const { timers, sink, layer, txs } = setup();
    const inv = invite('TCP');
    layer.receive(inv, TCP_SRC);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 603, undefined, { toTag: 'u' }));
    timers.advance(20_000);
    expect(sink.responses(603)).toHaveLength(1);
    const ack = ackFor(inv, 'u');
    ack.headers.set('Via', 'SIP/2.0/TCP 203.0.113.5:5070;branch=z9hG4bKinv1');
    layer.receive(ack, TCP_SRC);
    expect(tx.state).toBe('terminated');
  });

  it('in Accepted (RFC 6026): sends the 2xx retransmissions the TU passes, never on its own, absorbs the INVITE, passes the ACK up, ends at Timer L', () => {
    const { timers, sink, layer, txs } = setup();
    const inv = invite();
    layer.receive(clone(inv), UDP_SRC);
    const acks: SipRequest[] = [];
    layer.onAck((ack) => void acks.push(ack));
    const tx = txs[0]!;
    const ok = createResponse(tx.request, 200, undefined, { toTag: 'u' });
    expect(tx.respond(ok)).toBe(true);
    expect(tx.state).toBe('accepted');
    timers.advance(5_000);
    expect(sink.responses(200)).toHaveLength(1);
    layer.receive(clone(inv), UDP_SRC);
    expect(sink.responses(200)).toHaveLength(1);
    expect(tx.respond(ok)).toBe(true);
    expect(sink.responses(200)).toHaveLength(2);
    expect(tx.respond(createResponse(tx.request, 500))).toBe(false);
    layer.receive(ackFor(inv, 'u', 'z9hG4bKinv1'), UDP_SRC);
    layer.receive(ackFor(inv, 'u', 'z9hG4bKother'), UDP_SRC);
    expect(acks).toHaveLength(2);
    timers.advance(27_000);
    expect(tx.state).toBe('terminated');
  });

  it('reports a transport error on a response to the TU', async () => {
    const { sink, layer, txs } = setup();
    layer.receive(invite(), UDP_SRC);
    const onErr = jest.fn();
    txs[0]!.on('transportError', onErr);
    sink.failWith = new Error('EHOSTUNREACH');
    txs[0]!.respond(createResponse(txs[0]!.request, 486));
    await flush();
    expect(onErr).toHaveBeenCalledTimes(1);
    expect(layer.size).toBe(0);
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('absorbs retransmissions in Trying, resends the provisional in Proceeding and the final in Completed until Timer J', () => {
    const { timers, sink, layer, txs } = setup();
    const req = buildRequest({ method: 'BYE', via: { host: '203.0.113.5', port: 5070 }, to: '<sip:b@x>;tag=t' });
    layer.receive(clone(req), UDP_SRC);
    layer.receive(clone(req), UDP_SRC);
    expect(sink.sent).toHaveLength(0);
    const tx = txs[0]!;
    tx.respond(createResponse(tx.request, 100));
    layer.receive(clone(req), UDP_SRC);
    expect(sink.responses(100)).toHaveLength(2);
    tx.respond(createResponse(tx.request, 200));
    layer.receive(clone(req), UDP_SRC);
    expect(sink.responses(200)).toHaveLength(2);
    expect(txs).toHaveLength(1);
    timers.advance(31_999);
    expect(tx.state).toBe('completed');
    timers.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('over TCP Timer J is 0', () => {
    const { layer, txs } = setup();
    layer.receive(buildRequest({ method: 'OPTIONS', via: { host: 'h', transport: 'TCP' } }), TCP_SRC);
    txs[0]!.respond(createResponse(txs[0]!.request, 200));
    expect(txs[0]!.state).toBe('terminated');
    expect(layer.size).toBe(0);
  });

  it('drops a request the TU never answers after 64*T1 so nothing accumulates', () => {
    const { timers, layer, txs } = setup();
    layer.receive(buildRequest({ method: 'OPTIONS' }), UDP_SRC);
    const onTimeout = jest.fn();
    txs[0]!.on('timeout', onTimeout);
    timers.advance(32_000);
    expect(onTimeout).toHaveBeenCalled();
    expect(layer.size).toBe(0);
  });

  it('refuses a second final response', () => {
    const { layer, txs } = setup();
    layer.receive(buildRequest({ method: 'OPTIONS' }), UDP_SRC);
    expect(txs[0]!.respond(buildResponse(txs[0]!.request, 200))).toBe(true);
    expect(txs[0]!.respond(buildResponse(txs[0]!.request, 500))).toBe(false);
  });
});
