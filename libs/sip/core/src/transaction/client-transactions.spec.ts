import { FakeTimers } from './fake-timers';
import type { ClientInviteTransaction } from './client-invite';
import type { Destination } from './ports';
import { isSyntheticResponse } from './synthetic';
import { RecordingSink, buildRequest, buildResponse, flush, isRequest } from './test-support';
import { TransactionLayer } from './transaction-layer';

const UDP: Destination = { protocol: 'udp', host: '198.51.100.7', port: 5060 };
const TCP: Destination = { protocol: 'tcp', host: '198.51.100.7', port: 5060 };

function setup() {
  const timers = new FakeTimers();
  const sink = new RecordingSink(timers);
  const layer = new TransactionLayer({ timers, sink, viaSentBy: () => ({ host: '192.0.2.1', port: 5060 }) });
  return { timers, sink, layer };
}

/** A request as the layer would get it from a TU: no Via, the layer adds one. */
function tuRequest(method: string, extra: [string, string][] = []) {
  const req = buildRequest({ method, headers: extra });
  req.headers.delete('Via');
  return req;
}

describe('INVITE client transaction (RFC 3261 §17.1.1, RFC 6026)', () => {
  it('adds a Via with a z9hG4bK branch and rport', () => {
    const { layer } = setup();
    const tx = layer.request(tuRequest('INVITE'), UDP);
    expect(tx.request.headers.get('Via')).toMatch(/^SIP\/2\.0\/UDP 192\.0\.2\.1:5060;branch=z9hG4bK[\w-]+;rport$/);
  });

  it('over UDP retransmits with Timer A doubling (500, 1000, 2000 …) and gives a 408 at Timer B (64*T1)', async () => {
    const { timers, sink, layer } = setup();
    const onTimeout = jest.fn();
    const tx = layer.request(tuRequest('INVITE'), UDP, { onTimeout });
    timers.advance(40_000);
    expect(sink.times(isRequest('INVITE'))).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(tx.state).toBe('terminated');
    const res = await tx.result;
    expect(res.status).toBe(408);
    expect(isSyntheticResponse(res)).toBe(true);
    expect(layer.size).toBe(0);
    expect(timers.pending).toBe(0);
  });

  it('over TCP does not retransmit and still times out at Timer B', () => {
    const { timers, sink, layer } = setup();
    const onTimeout = jest.fn();
    layer.request(tuRequest('INVITE'), TCP, { onTimeout });
    timers.advance(31_999);
    expect(onTimeout).not.toHaveBeenCalled();
    timers.advance(1);
    expect(sink.times(isRequest('INVITE'))).toEqual([0]);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('stops Timer A and B on a provisional and stays in Proceeding without a timer', () => {
    const { timers, sink, layer } = setup();
    const onProvisional = jest.fn();
    const tx = layer.request(tuRequest('INVITE'), UDP, { onProvisional });
    timers.advance(600);
    layer.receive(buildResponse(tx.request, 180, { toTag: 'b1' }), { protocol: 'udp', remote: { address: UDP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } });
    expect(onProvisional).toHaveBeenCalledTimes(1);
    expect(tx.state).toBe('proceeding');
    timers.advance(100_000);
    expect(sink.times(isRequest('INVITE'))).toEqual([0, 500]);
    expect(tx.state).toBe('proceeding');
  });

  it('ACKs a non-2xx inside the transaction with the exact §17.1.1.3 headers, once per retransmitted final, TU told once', async () => {
    const { timers, sink, layer } = setup();
    const onFinal = jest.fn();
    const invite = tuRequest('INVITE', [['Route', '<sip:proxy1.example.com;lr>'], ['Route', '<sip:proxy2.example.com;lr>'], ['Contact', '<sip:alice@192.0.2.1>']]);
    invite.headers.set('Content-Type', 'application/sdp');
    invite.body = Buffer.from('v=0\r\n');
    const tx = layer.request(invite, UDP, { onFinal });
    // A proxy on the way added its Via under ours in the response; the ACK keeps only ours.
    const busy = buildResponse(tx.request, 486, { toTag: 'callee-tag' });
    const src = { protocol: 'udp' as const, remote: { address: UDP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } };
    layer.receive(busy, src);
    expect(onFinal).toHaveBeenCalledTimes(1);
    const [ack] = sink.requests('ACK');
    expect(ack).toBeDefined();
    expect(ack!.uri).toBe(invite.uri);
    expect([...ack!.headers].map((f) => [f.name, f.value])).toEqual([
      ['Via', tx.request.headers.getAll('Via')[0]],
      ['Route', '<sip:proxy1.example.com;lr>'],
      ['Route', '<sip:proxy2.example.com;lr>'],
      ['Max-Forwards', '70'],
      ['From', invite.headers.get('From')],
      ['To', '<sip:bob@example.net>;tag=callee-tag'],
      ['Call-ID', invite.headers.get('Call-ID')],
      ['CSeq', '1 ACK'],
      ['Content-Length', '0'],
    ]);
    expect(ack!.body.length).toBe(0);
    expect(sink.sent.find((r) => r.msg === ack)?.dest).toEqual(UDP);

    layer.receive(busy, src);
    layer.receive(busy, src);
    expect(sink.requests('ACK')).toHaveLength(3);
    expect(onFinal).toHaveBeenCalledTimes(1);
    expect((await tx.result).status).toBe(486);
    // Timer D: 32 s over UDP.
    timers.advance(31_999);
    expect(tx.state).toBe('completed');
    timers.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size).toBe(0);
  });

  it('over TCP Timer D is 0: Completed ends at once', () => {
    const { layer } = setup();
    const tx = layer.request(tuRequest('INVITE'), TCP);
    layer.receive(buildResponse(tx.request, 404, { toTag: 'x' }), { protocol: 'tcp', remote: { address: TCP.host, port: 40000 }, local: { address: '192.0.2.1', port: 5060 } });
    expect(tx.state).toBe('terminated');
    expect(layer.size).toBe(0);
  });

  it('moves to Accepted on 2xx, passes every further 2xx (retransmission, fork) to the TU and ends at Timer M', () => {
    const { timers, sink, layer } = setup();
    const finals: number[] = [];
    const tx = layer.request(tuRequest('INVITE'), UDP, { onFinal: (r) => finals.push(r.status) });
    const src = { protocol: 'udp' as const, remote: { address: UDP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } };
    layer.receive(buildResponse(tx.request, 200, { toTag: 'fork1' }), src);
    expect(tx.state).toBe('accepted');
    layer.receive(buildResponse(tx.request, 200, { toTag: 'fork1' }), src);
    layer.receive(buildResponse(tx.request, 200, { toTag: 'fork2' }), src);
    layer.receive(buildResponse(tx.request, 180, { toTag: 'fork3' }), src);
    expect(finals).toEqual([200, 200, 200]);
    expect(sink.requests('ACK')).toHaveLength(0); // the ACK for a 2xx is the TU's (§13.2.2.4)
    timers.advance(32_000);
    expect(tx.state).toBe('terminated');
    expect(sink.times(isRequest('INVITE'))).toEqual([0]);
  });

  it('reports a transport error to the TU as a 503 and terminates', async () => {
    const { sink, layer } = setup();
    sink.failWith = new Error('ECONNREFUSED');
    const onTransportError = jest.fn();
    const tx = layer.request(tuRequest('INVITE'), TCP, { onTransportError });
    await flush();
    expect(onTransportError).toHaveBeenCalledWith(sink.failWith);
    expect((await tx.result).status).toBe(503);
    expect(layer.size).toBe(0);
  });

  it('reports a synchronous sink failure asynchronously, after the caller has its transaction', async () => {
    const timers = new FakeTimers();
    const layer = new TransactionLayer({
      timers,
      sink: {
        send: () => {
          throw new Error('no route');
        },
      },
    });
    const tx = layer.request(tuRequest('OPTIONS'), UDP);
    const seen = jest.fn();
    tx.on('transportError', seen);
    await flush();
    expect(seen).toHaveBeenCalledTimes(1);
    expect((await tx.result).status).toBe(503);
  });

  it('holds a CANCEL until a provisional arrives (§9.1), then sends it with the INVITE branch', () => {
    const { sink, layer } = setup();
    const tx = layer.request(tuRequest('INVITE', [['Route', '<sip:p.example.com;lr>']]), UDP) as ClientInviteTransaction;
    tx.cancel('SIP;cause=487;text="caller hung up"');
    expect(sink.requests('CANCEL')).toHaveLength(0);
    const src = { protocol: 'udp' as const, remote: { address: UDP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } };
    layer.receive(buildResponse(tx.request, 100), src);
    const [cancel] = sink.requests('CANCEL');
    expect(cancel).toBeDefined();
    expect(cancel!.uri).toBe(tx.request.uri);
    expect(cancel!.headers.getAll('Via')).toEqual(tx.request.headers.getAll('Via'));
    expect(cancel!.headers.get('CSeq')).toBe('1 CANCEL');
    expect(cancel!.headers.get('To')).toBe(tx.request.headers.get('To'));
    expect(cancel!.headers.get('From')).toBe(tx.request.headers.get('From'));
    expect(cancel!.headers.getAll('Route')).toEqual(['<sip:p.example.com;lr>']);
    expect(cancel!.headers.get('Reason')).toBe('SIP;cause=487;text="caller hung up"');
    tx.cancel();
    expect(sink.requests('CANCEL')).toHaveLength(1);
    expect(layer.size).toBe(2); // INVITE and CANCEL transactions
  });

  it('does not send a CANCEL after a final response', () => {
    const { sink, layer } = setup();
    const tx = layer.request(tuRequest('INVITE'), UDP) as ClientInviteTransaction;
    layer.receive(buildResponse(tx.request, 200, { toTag: 't' }), { protocol: 'udp', remote: { address: UDP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } });
    tx.cancel();
    expect(sink.requests('CANCEL')).toHaveLength(0);
  });

  it('gives up an INVITE 64*T1 after its CANCEL when no final response comes (§9.1)', async () => {
    const { timers, layer } = setup();
    const tx = layer.request(tuRequest('INVITE'), TCP) as ClientInviteTransaction;
    layer.receive(buildResponse(tx.request, 180, { toTag: 't' }), { protocol: 'tcp', remote: { address: TCP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } });
    timers.advance(10_000);
    tx.cancel();
    timers.advance(32_000);
    expect(tx.state).toBe('terminated');
    expect((await tx.result).status).toBe(408);
  });
});

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('over UDP retransmits at 500, 1000, 2000, 4000, 4000 … ms intervals and times out at Timer F', async () => {
    const { timers, sink, layer } = setup();
    const tx = layer.request(tuRequest('OPTIONS'), UDP);
    timers.advance(32_000);
    const times = sink.times(isRequest('OPTIONS'));
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(times.slice(1).map((t, i) => t - (times[i] ?? 0))).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    expect((await tx.result).status).toBe(408);
    expect(tx.state).toBe('terminated');
  });

  it('after a provisional retransmits every T2 (Timer E reset to T2, §17.1.2.2)', () => {
    const { timers, sink, layer } = setup();
    const tx = layer.request(tuRequest('BYE'), UDP);
    timers.advance(600); // sent at 0 and 500; E next at 1500
    layer.receive(buildResponse(tx.request, 100), { protocol: 'udp', remote: { address: UDP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } });
    timers.advance(12_000);
    expect(sink.times(isRequest('BYE'))).toEqual([0, 500, 1500, 5500, 9500]);
  });

  it('over TCP sends once; Timer K is 0 so a final ends it at once', () => {
    const { timers, sink, layer } = setup();
    const onFinal = jest.fn();
    const tx = layer.request(tuRequest('OPTIONS'), TCP, { onFinal });
    timers.advance(10_000);
    layer.receive(buildResponse(tx.request, 200, { toTag: 'x' }), { protocol: 'tcp', remote: { address: TCP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } });
    expect(onFinal).toHaveBeenCalledTimes(1);
    expect(tx.state).toBe('terminated');
    expect(sink.times(isRequest('OPTIONS'))).toEqual([0]);
  });

  it('over UDP stays Completed for T4 absorbing retransmitted finals (Timer K)', () => {
    const { timers, layer } = setup();
    const onFinal = jest.fn();
    const tx = layer.request(tuRequest('OPTIONS'), UDP, { onFinal });
    const ok = buildResponse(tx.request, 200, { toTag: 'x' });
    const src = { protocol: 'udp' as const, remote: { address: UDP.host, port: 5060 }, local: { address: '192.0.2.1', port: 5060 } };
    layer.receive(ok, src);
    layer.receive(ok, src);
    expect(onFinal).toHaveBeenCalledTimes(1);
    timers.advance(4_999);
    expect(tx.state).toBe('completed');
    timers.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('uses the configured T1, T2 and T4', () => {
    const timers = new FakeTimers();
    const sink = new RecordingSink(timers);
    const layer = new TransactionLayer({ timers, sink, config: { t1: 100, t2: 300, t4: 1000 } });
    const tx = layer.request(tuRequest('OPTIONS'), UDP);
    timers.advance(1_000);
    expect(sink.times(isRequest('OPTIONS'))).toEqual([0, 100, 300, 600, 900]);
    timers.advance(5_400); // Timer F = 64*T1 = 6.4 s
    expect(tx.state).toBe('terminated');
  });

  it('refuses to send an ACK as a transaction and refuses a duplicate branch', () => {
    const { layer } = setup();
    expect(() => layer.request(tuRequest('ACK'), UDP)).toThrow(/ACK/);
    const req = buildRequest({ method: 'OPTIONS', via: { host: '192.0.2.1', branch: 'z9hG4bKsame' } });
    layer.request(req, UDP);
    expect(() => layer.request(buildRequest({ method: 'OPTIONS', via: { host: '192.0.2.1', branch: 'z9hG4bKsame' } }), UDP)).toThrow(/exists/);
  });
});
