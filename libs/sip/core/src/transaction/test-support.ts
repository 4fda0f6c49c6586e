/**
 * Test helpers for the transaction, dialog and B2BUA layers: message builders,
 * a recording sink and an in-memory network joining several layers, all on a
 * FakeTimers clock. Not used by production code.
 */
import { createResponse, newBranch, newCallId, newTag } from '../message/build';
import { HeaderList } from '../message/headers';
import type { SipMessage, SipRequest, SipResponse } from '../message/types';
import type { FakeTimers } from './fake-timers';
import { cloneMessage } from './message-info';
import type { Destination, Endpoint, InboundSource, MessageSink } from './ports';

export interface RequestSpec {
  method: string;
  uri?: string;
  /** Via sent-by and transport; a fresh z9hG4bK branch unless `branch` is given. */
  via?: { host: string; port?: number; transport?: string; branch?: string; rport?: boolean };
  from?: string;
  to?: string;
  callId?: string;
  cseq?: number;
  headers?: [string, string][];
  body?: string;
}

/** A request as a UAC would build it (RFC 3261 §8.1.1). */
export function buildRequest(spec: RequestSpec): SipRequest {
  const via = spec.via ?? { host: '192.0.2.10', port: 5060 };
  const headers = HeaderList.from([
    ['Via', `SIP/2.0/${via.transport ?? 'UDP'} ${via.host}${via.port === undefined ? '' : `:${via.port}`};branch=${via.branch ?? newBranch()}${via.rport ? ';rport' : ''}`],
    ['Max-Forwards', '70'],
    ['From', spec.from ?? `<sip:alice@example.com>;tag=${newTag()}`],
    ['To', spec.to ?? '<sip:bob@example.net>'],
    ['Call-ID', spec.callId ?? newCallId('test')],
    ['CSeq', `${spec.cseq ?? 1} ${spec.method}`],
    ...(spec.headers ?? []),
  ]);
  const body = Buffer.from(spec.body ?? '');
  headers.set('Content-Length', String(body.length));
  return { kind: 'request', version: 'SIP/2.0', method: spec.method, uri: spec.uri ?? 'sip:bob@example.net', headers, body };
}

/** A response to `req` (createResponse plus extra headers). */
export function buildResponse(req: SipRequest, status: number, opts: { toTag?: string; headers?: [string, string][]; body?: string } = {}): SipResponse {
  const res = createResponse(req, status, undefined, opts.toTag === undefined ? {} : { toTag: opts.toTag });
  for (const [n, v] of opts.headers ?? []) res.headers.append(n, v);
  if (opts.body !== undefined) {
    res.body = Buffer.from(opts.body);
    res.headers.set('Content-Length', String(res.body.length));
  }
  return res;
}

export const udpSource = (remote: Endpoint = { address: '192.0.2.10', port: 5060 }, local: Endpoint = { address: '192.0.2.1', port: 5060 }): InboundSource => ({ protocol: 'udp', remote, local });

export interface SentRecord {
  at: number;
  msg: SipMessage;
  dest: Destination;
}

/** A sink that records what is sent and can be told to fail. */
export class RecordingSink implements MessageSink {
  readonly sent: SentRecord[] = [];
  /** When set, sends fail with this error (rejected promise). */
  failWith?: Error;

  constructor(private readonly timers: { now(): number }) {}

  send(msg: SipMessage, dest: Destination): Promise<void> {
    this.sent.push({ at: this.timers.now(), msg, dest });
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve();
  }

  /** Times at which messages matching `pred` were sent. */
  times(pred: (msg: SipMessage) => boolean): number[] {
    return this.sent.filter((r) => pred(r.msg)).map((r) => r.at);
  }

  requests(method?: string): SipRequest[] {
    return this.sent.map((r) => r.msg).filter((m): m is SipRequest => m.kind === 'request' && (method === undefined || m.method === method));
  }

  responses(status?: number): SipResponse[] {
    return this.sent.map((r) => r.msg).filter((m): m is SipResponse => m.kind === 'response' && (status === undefined || m.status === status));
  }

  clear(): void {
    this.sent.length = 0;
  }
}

/** A short label for logs and assertions: `INVITE`, `200/INVITE`. */
export function label(msg: SipMessage): string {
  if (msg.kind === 'request') return msg.method;
  return `${msg.status}/${msg.headers.get('CSeq')?.split(/\s+/)[1] ?? '?'}`;
}

export interface WireRecord {
  at: number;
  from: string;
  to: string;
  msg: SipMessage;
  dropped: boolean;
}

type Receiver = (msg: SipMessage, source: InboundSource) => void;

/**
 * An in-memory network: each node listens on address:port; a message sent to
 * host:port arrives `latencyMs` later on the fake clock as a copy (as if
 * serialized and parsed). Drop rules let tests lose messages to make
 * retransmission timers fire. Sending to nobody fails like a refused connection.
 */
export class InMemoryNetwork {
  readonly log: WireRecord[] = [];
  private readonly nodes = new Map<string, Receiver>();
  private readonly dropRules: ((msg: SipMessage, from: string, to: string) => boolean)[] = [];

  constructor(
    private readonly timers: FakeTimers,
    private readonly latencyMs = 5,
  ) {}

  /** A node: its sink to give to a TransactionLayer, and `listen` to connect the layer's receive(). */
  node(local: Endpoint): { sink: MessageSink; listen(receiver: Receiver): void; address: Endpoint } {
    const self = `${local.address}:${local.port}`;
    return {
      address: local,
      listen: (receiver) => void this.nodes.set(self, receiver),
      sink: {
        send: (msg, dest) => {
          const to = `${dest.host}:${dest.port}`;
          const receiver = this.nodes.get(to);
          const dropped = this.dropRules.some((rule) => rule(msg, self, to));
          this.log.push({ at: this.timers.now(), from: self, to, msg, dropped });
          if (!receiver) return Promise.reject(new Error(`nothing listens on ${to}`));
          if (dropped) return Promise.resolve();
          const copy = cloneMessage(msg);
          const source: InboundSource = { protocol: dest.protocol, remote: local, local: { address: dest.host, port: dest.port } };
          this.timers.setTimer(this.latencyMs, () => receiver(copy, source));
          return Promise.resolve();
        },
      },
    };
  }

  /** Drops messages matching `rule` until the returned function is called. */
  drop(rule: (msg: SipMessage, from: string, to: string) => boolean): () => void {
    this.dropRules.push(rule);
    return () => {
      const at = this.dropRules.indexOf(rule);
      if (at >= 0) this.dropRules.splice(at, 1);
    };
  }

  /** Drops the next `count` messages matching `pred`. */
  dropNext(pred: (msg: SipMessage) => boolean, count = 1): void {
    let left = count;
    const off = this.drop((msg) => {
      if (left <= 0 || !pred(msg)) return false;
      left--;
      if (left === 0) queueMicrotask(off);
      return true;
    });
  }

  /** What crossed the wire (or was dropped), as `from>to LABEL` lines. */
  trace(filter: (r: WireRecord) => boolean = () => true): string[] {
    return this.log.filter(filter).map((r) => `${r.from}>${r.to} ${label(r.msg)}${r.dropped ? ' (dropped)' : ''}`);
  }
}

/** Lets pending promise callbacks run (the fake clock does not drive them). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Advances the fake clock in steps, running promise callbacks between due timers. */
export async function run(timers: FakeTimers, ms: number): Promise<void> {
  const end = timers.now() + ms;
  await flush();
  for (let next = timers.nextDue(); next !== undefined && next <= end; next = timers.nextDue()) {
    timers.advanceTo(next);
    await flush();
  }
  timers.advanceTo(end);
  await flush();
}

/** Quick matchers for `RecordingSink.times` and `InMemoryNetwork.trace`. */
export const isRequest = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;
export const isResponse = (status: number, method?: string) => (m: SipMessage) =>
  m.kind === 'response' && m.status === status && (method === undefined || m.headers.get('CSeq')?.split(/\s+/)[1] === method);
