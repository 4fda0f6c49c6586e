import type { InboundMessage, SendTarget, TransportLayer } from '@ci-connector/sip-transport';
import { createResponse, parseMessage, serializeMessage, type Destination, type InboundSource, type SipMessage, type SipRequest, type SipResponse } from '@ci-connector/sip-core';
import { listenerSentBy, screenInbound, transportSink, wireInbound } from './wire';
import { realTimers } from './real-timers';

/** A stand-in for our TransportLayer interface: records sends, lets the test inject inbound messages. */
function fakeTransport(listeners = [{ protocol: 'udp' as const, address: '127.0.0.1', port: 5062, family: 4 as const }]) {
  let handler: ((m: InboundMessage) => void) | undefined;
  const sent: { target: SendTarget; data: Buffer }[] = [];
  const transport = {
    onMessage: (h: (m: InboundMessage) => void) => ((handler = h), () => (handler = undefined)),
    send: async (target: SendTarget, data: Buffer) => (sent.push({ target, data }), { local: { address: '127.0.0.1', port: 5062 } }),
    addresses: () => listeners,
  } as unknown as TransportLayer;
  const inject = (data: string | Buffer, extra: Partial<InboundMessage> = {}) =>
    handler?.({ data: Buffer.from(data), protocol: 'udp', remote: { address: '127.0.0.1', port: 40000 }, local: { address: '127.0.0.1', port: 5062 }, ...extra });
  return { transport, sent, inject };
}

const OPTIONS = ['OPTIONS sip:ci@127.0.0.1:5062 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-abc', 'From: <sip:a@127.0.0.1>;tag=1', 'To: <sip:ci@127.0.0.1>', 'Call-ID: wire-1', 'CSeq: 1 OPTIONS', 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n');

describe('wireInbound', () => {
  it('delivers a parsed message with where it came from', () => {
    const { transport, inject } = fakeTransport();
    const got: [SipMessage, InboundSource][] = [];
    wireInbound(transport, (m, s) => got.push([m, s]));
    inject(OPTIONS, { protocol: 'tcp', connectionId: 'c7' });
    expect(got).toHaveLength(1);
    expect(got[0]![0]).toMatchObject({ kind: 'request', method: 'OPTIONS' });
    expect(got[0]![1]).toEqual({ protocol: 'tcp', remote: { address: '127.0.0.1', port: 40000 }, local: { address: '127.0.0.1', port: 5062 }, connectionId: 'c7' });
  });

  it('answers a malformed request with a 400 naming the problem, sent back to its source, and delivers nothing', async () => {
    const { transport, sent, inject } = fakeTransport();
    const delivered: SipMessage[] = [];
    const malformed: string[] = [];
    wireInbound(transport, (m) => delivered.push(m), { onMalformed: (err, _m, answered) => malformed.push(`${err.code}:${answered}`) });
    inject(OPTIONS.replace('Call-ID: wire-1\r\n', ''));
    await Promise.resolve();
    expect(delivered).toEqual([]);
    expect(malformed).toEqual(['missing-header:true']);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.target).toEqual({ protocol: 'udp', host: '127.0.0.1', port: 40000 });
    // The answer cannot carry the Call-ID the request lacked: check the bytes on the wire.
    const text = sent[0]!.data.toString();
    expect(text).toMatch(/^SIP\/2\.0 400 Missing Call-ID header\r\n/);
    expect(text).toContain('Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-abc');
    expect(text).toContain('CSeq: 1 OPTIONS');
  });

  it('drops what it is told to skip (keep-alives) before parsing', () => {
    const { transport, sent, inject } = fakeTransport();
    const delivered: SipMessage[] = [];
    wireInbound(transport, (m) => delivered.push(m), { skip: (d) => d.toString() === '\r\n\r\n' });
    inject('\r\n\r\n');
    expect(delivered).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe('transportSink and listenerSentBy', () => {
  it('serializes and sends to the destination, keeping the connection and server name', async () => {
    const { transport, sent } = fakeTransport();
    const msg = parseMessage(Buffer.from(OPTIONS));
    await transportSink(transport).send(msg, { protocol: 'tls', host: '192.0.2.10', port: 5061, connectionId: 'c1', serverName: 'srs.example.com' });
    expect(sent[0]!.target).toEqual({ protocol: 'tls', host: '192.0.2.10', port: 5061, connectionId: 'c1', serverName: 'srs.example.com' });
    expect(sent[0]!.data.equals(serializeMessage(msg))).toBe(true);
  });

  it('uses the listener of the same transport as sent-by, IPv6 in brackets', () => {
    const { transport } = fakeTransport([
      { protocol: 'udp', address: '127.0.0.1', port: 5060, family: 4 },
      { protocol: 'tcp', address: '::1', port: 5070, family: 6 } as never,
    ]);
    const sentBy = listenerSentBy(transport);
    expect(sentBy({ protocol: 'udp', host: 'x', port: 1 })).toEqual({ host: '127.0.0.1', port: 5060 });
    expect(sentBy({ protocol: 'tcp', host: 'x', port: 1 })).toEqual({ host: '[::1]', port: 5070 });
  });
});

describe('realTimers', () => {
  it('fires after the delay and can be cleared', async () => {
    const fired: string[] = [];
    realTimers.setTimer(5, () => fired.push('a'));
    const b = realTimers.setTimer(5, () => fired.push('b'));
    realTimers.clearTimer(b);
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toEqual(['a']);
  });
});

describe('screenInbound', () => {
  const source: InboundSource = { protocol: 'tls', remote: { address: '127.0.0.1', port: 40001 }, local: { address: '127.0.0.1', port: 5061 }, connectionId: 'tls-3' };
  const setup = (verdict: (m: SipMessage) => 'drop' | SipResponse | undefined) => {
    const delivered: SipMessage[] = [];
    const sent: [SipResponse, Destination][] = [];
    const receive = screenInbound(verdict, (m) => delivered.push(m), (res, dest) => sent.push([res, dest]));
    return { delivered, sent, receive };
  };

  it('passes on what the screen lets through', () => {
    const { delivered, sent, receive } = setup(() => undefined);
    receive(parseMessage(Buffer.from(OPTIONS)), source);
    expect(delivered).toHaveLength(1);
    expect(sent).toEqual([]);
  });

  it('swallows a dropped request: nothing delivered, nothing sent', () => {
    const { delivered, sent, receive } = setup(() => 'drop');
    receive(parseMessage(Buffer.from(OPTIONS)), source);
    expect(delivered).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('answers statelessly over the connection the request came in on, and delivers nothing', () => {
    const { delivered, sent, receive } = setup((m) => {
      const res = createResponse(m as SipRequest, 403, 'Forbidden (rule)');
      res.headers.append('Warning', '399 127.0.0.1:5061 "rule: why"');
      return res;
    });
    receive(parseMessage(Buffer.from(OPTIONS)), source);
    expect(delivered).toEqual([]);
    expect(sent).toHaveLength(1);
    const [res, dest] = sent[0]!;
    expect(dest).toEqual({ protocol: 'tls', host: '127.0.0.1', port: 40000, connectionId: 'tls-3' });
    expect(serializeMessage(res).toString()).toMatch(/^SIP\/2\.0 403 Forbidden \(rule\)\r\n[\s\S]*Warning: 399 127\.0\.0\.1:5061 "rule: why"\r\n/);
  });

  it('never answers a response or an ACK, even when the screen returns one', () => {
    const { delivered, sent, receive } = setup(() => createResponse(parseMessage(Buffer.from(OPTIONS)) as SipRequest, 500));
    receive(parseMessage(Buffer.from(OPTIONS.replace(/OPTIONS/g, 'ACK'))), source);
    expect(delivered).toEqual([]);
    expect(sent).toEqual([]);
  });
});
