import {
  parseMessage,
  parseVia,
  responseDestination,
  type SipResponse,
  responseForParseError,
  serializeMessage,
  SipParseError,
  type Destination,
  type InboundSource,
  type MessageSink,
  type SipMessage,
  type ViaSentBy,
} from '@ci-connector/sip-core';
import type { InboundMessage, TransportLayer } from '@ci-connector/sip-transport';

export interface WireEvents {
  /** A message that did not parse: why, and whether a 400 (or 505/416/513) went back. */
  onMalformed?: (err: SipParseError, from: InboundMessage, answered: boolean) => void;
  /** A send failed where no transaction could report it. */
  onSendError?: (err: unknown, dest: Destination) => void;
  /** Datagrams to drop before parsing (keep-alives). */
  skip?: (data: Buffer) => boolean;
}

/** The transaction layer's sink: serialize, then send through the transport (RFC 3261 §18). */
export function transportSink(transport: TransportLayer): MessageSink {
  return {
    async send(msg: SipMessage, dest: Destination): Promise<void> {
      await transport.send(
        {
          protocol: dest.protocol,
          host: dest.host,
          port: dest.port,
          ...(dest.connectionId !== undefined ? { connectionId: dest.connectionId } : {}),
          ...(dest.serverName !== undefined ? { serverName: dest.serverName } : {}),
        },
        serializeMessage(msg),
      );
    },
  };
}

/**
 * Our Via sent-by for a request over `dest.protocol` (RFC 3261 §18.1.1): the
 * address and port we listen on for that transport, so responses and later
 * requests can reach us even when the connection that carried it has closed.
 */
export function listenerSentBy(transport: TransportLayer): ViaSentBy {
  return (dest) => {
    const listener = transport.addresses().find((l) => l.protocol === dest.protocol) ?? transport.addresses()[0];
    if (!listener) return { host: '127.0.0.1' };
    return { host: listener.family === 6 ? `[${listener.address}]` : listener.address, port: listener.port };
  };
}

/**
 * Inbound path: parse each message; a malformed request that can still be
 * answered gets its 400/505/416/513 straight back to where it came from (RFC 3261
 * §8.2.2, §21.4.1), anything else malformed is dropped; good messages go to
 * `deliver` (the transaction layer).
 */
export function wireInbound(transport: TransportLayer, deliver: (msg: SipMessage, source: InboundSource) => void, events: WireEvents = {}): () => void {
  return transport.onMessage((m) => {
    if (m.protocol === 'udp' && events.skip?.(m.data)) return;
    let msg: SipMessage;
    try {
      msg = parseMessage(m.data, { stream: m.protocol !== 'udp' });
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      const answer = responseForParseError(err);
      if (answer) {
        const target = { protocol: m.protocol, host: m.remote.address, port: m.remote.port, ...(m.connectionId ? { connectionId: m.connectionId } : {}) };
        transport.send(target, serializeMessage(answer)).catch((sendErr: unknown) => events.onSendError?.(sendErr, target));
      }
      events.onMalformed?.(err, m, answer !== undefined);
      return;
    }
    const source: InboundSource = {
      protocol: m.protocol,
      remote: m.remote,
      local: m.local,
      ...(m.connectionId ? { connectionId: m.connectionId } : {}),
      ...(m.tlsPeer ? { tlsPeer: m.tlsPeer } : {}),
    };
    deliver(msg, source);
  });
}

/**
 * What an inbound screen decides for one parsed message: `'drop'` swallows it
 * (no response at all, not even 100 Trying — nothing reaches the transaction
 * layer), a response is sent statelessly back to where the request came from
 * (RFC 3261 §8.2.7, §18.2.2) and the request goes no further, `undefined`
 * passes it on.
 */
export type ScreenVerdict = 'drop' | SipResponse | undefined;
export type InboundScreen = (msg: SipMessage, source: InboundSource) => ScreenVerdict;

/**
 * Puts `screen` in front of `deliver` (the transaction layer): policy checks
 * that must pre-empt the UA's automatic answers, fault injection. `send` takes
 * the stateless responses (the stack passes the transaction layer's `send`).
 */
export function screenInbound(
  screen: InboundScreen,
  deliver: (msg: SipMessage, source: InboundSource) => void,
  send: (res: SipResponse, dest: Destination) => void,
): (msg: SipMessage, source: InboundSource) => void {
  return (msg, source) => {
    const verdict = screen(msg, source);
    if (verdict === undefined) return deliver(msg, source);
    if (verdict === 'drop' || msg.kind !== 'request' || msg.method === 'ACK') return;
    const top = msg.headers.getAll('Via')[0];
    let via: ReturnType<typeof parseVia> | undefined;
    try {
      via = top === undefined ? undefined : parseVia(top);
    } catch {
      via = undefined;
    }
    send(verdict, responseDestination(via, source));
  };
}
