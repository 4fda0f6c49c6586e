/** Two (or more) user agents on an in-memory network, for dialog and B2BUA tests. Not used by production code. */
import type { SipMessage } from '../message/types';
import { FakeTimers } from '../transaction/fake-timers';
import type { Destination, InboundSource, MessageSink, SipProtocol } from '../transaction/ports';
import { InMemoryNetwork } from '../transaction/test-support';
import { TransactionLayer } from '../transaction/transaction-layer';
import { DialogLayer, type DialogLayerOptions } from './dialog-layer';

export interface TestUa {
  name: string;
  address: string;
  port: number;
  transactions: TransactionLayer;
  ua: DialogLayer;
  /** Destination of this UA for others. */
  dest: Destination;
  uri: string;
}

export interface UaOptions extends Partial<Omit<DialogLayerOptions, 'transactions' | 'contact'>> {
  protocol?: SipProtocol;
  /** The address put in Contact when it is not the UA's own (a UA behind NAT). */
  contactAddress?: string;
}

export function makeUa(net: InMemoryNetwork, timers: FakeTimers, name: string, address: string, opts: UaOptions = {}, port = 5060): TestUa {
  const node = net.node({ address, port });
  const protocol = opts.protocol ?? 'udp';
  const transactions = new TransactionLayer({ timers, sink: node.sink, viaSentBy: () => ({ host: address, port }) });
  node.listen((m, s) => transactions.receive(m, s));
  const { contactAddress, ...layerOptions } = opts;
  const ua = new DialogLayer({
    transactions,
    contact: (p) => `sip:${name}@${contactAddress ?? address}:${port}${p === 'udp' ? '' : `;transport=${p}`}`,
    random: () => 0.5,
    ...layerOptions,
  });
  return { name, address, port, transactions, ua, dest: { protocol, host: address, port }, uri: `sip:${name}@${address}:${port}` };
}

export function world(protocol: SipProtocol = 'udp') {
  const timers = new FakeTimers();
  const net = new InMemoryNetwork(timers, 5);
  const alice = makeUa(net, timers, 'alice', '10.0.0.1', { protocol });
  const bob = makeUa(net, timers, 'bob', '10.0.0.2', { protocol });
  return { timers, net, alice, bob };
}

/** A bare node that records what it gets and can answer by hand (a fake forking proxy, a rogue peer). */
export function rawPeer(net: InMemoryNetwork, address: string, port = 5060) {
  const node = net.node({ address, port });
  const inbox: { msg: SipMessage; source: InboundSource }[] = [];
  node.listen((msg, source) => void inbox.push({ msg, source }));
  const sink: MessageSink = node.sink;
  return { inbox, sink, dest: (protocol: SipProtocol = 'udp'): Destination => ({ protocol, host: address, port }) };
}

export const SDP_A = 'v=0\r\no=alice 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
export const SDP_B = 'v=0\r\no=bob 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';
