import {
  DialogLayer,
  type Dialog,
  parseUri,
  TransactionLayer,
  type Destination,
  type DialogLayerOptions,
  type SipProtocol,
  type SipUri,
  type TargetResolver,
  type TransactionConfig,
} from '@ci-connector/sip-core';
import {
  createSipResolver,
  createTransportLayer,
  isKeepAliveDatagram,
  type BoundListener,
  type ListenSpec,
  type SipResolver,
  type TransportLayer,
  type TransportLayerOptions,
} from '@ci-connector/sip-transport';
import { realTimers } from './real-timers';
import { listenerSentBy, screenInbound, transportSink, wireInbound, type InboundScreen, type WireEvents } from './wire';

export interface SipStackOptions {
  /** Listeners to open, e.g. `[{ protocol: 'udp', host: '127.0.0.1', port: 5060 }]` (port 0 picks one). */
  listen: ListenSpec[];
  /** TLS server/client certificates, connect and idle timeouts, framing limits. */
  transport?: TransportLayerOptions;
  /** T1/T2/T4 and 100 Trying behaviour (RFC 3261 §17). */
  transactions?: Partial<TransactionConfig>;
  /** RFC 4028 session timers; `false` turns them off. */
  sessionTimer?: DialogLayerOptions['sessionTimer'];
  userAgent?: string;
  /** User part of our Contact. Default `ci-connector`. */
  contactUser?: string;
  /** Header parameters after our Contact's `>` (e.g. `;+sip.src` for a SIPREC client). Default none. */
  contactParams?: string;
  /** The address peers reach us at, when it is not the bound one (NAT, load balancer). */
  advertisedHost?: string;
  /** DNS for RFC 3263 (tests inject SRV records). */
  resolver?: SipResolver;
  /** Peer in-dialog requests go back over the flow the INVITE came in on (RFC 5626-like). */
  reuseInboundFlow?: boolean;
  /** Option tags we support besides `timer` (Supported; a `Require` naming others gets 420), e.g. `['siprec']`. */
  supported?: string[];
  /**
   * Sees every parsed inbound message before the transaction layer: return
   * `'drop'` to swallow it (no answer at all, not even 100 Trying), a response
   * to answer it statelessly, `undefined` to pass it on (see `screenInbound`).
   */
  screen?: InboundScreen;
  events?: WireEvents & { onError?: (err: unknown, context: string) => void };
}

/** A running SIP user agent: transports, transaction layer, dialog layer. */
export interface SipStack {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  /** INVITEs in and out, out-of-dialog requests, dialogs (see libs/sip/core/src/dialog/API.md). */
  readonly ua: DialogLayer;
  /** Where each listener is bound. */
  addresses(): BoundListener[];
  /** RFC 3263 next hops for a SIP or SIPS URI, in the order to try them. */
  resolve(uri: string | SipUri): Promise<Destination[]>;
  /** Closes listeners and connections; dialogs still open are abandoned (send BYE first). */
  close(): Promise<void>;
}

function protocolOf(uri: SipUri): SipProtocol | undefined {
  const t = uri.params['transport']?.toLowerCase();
  return t === 'udp' || t === 'tcp' || t === 'tls' ? t : undefined;
}

/**
 * Keeps the TCP/TLS connection a dialog runs over open until the dialog ends:
 * otherwise the idle timeout closes it during a quiet call, and a peer that
 * cannot connect back (NAT, one connection per call, a TLS recorder) loses the
 * BYE. UAS: the connection the INVITE came in on; UAC: our connection to the
 * INVITE's next hop.
 */
function holdFlow(transport: TransportLayer, dialog: Dialog): void {
  const flow = dialog.flow;
  if (flow.protocol === 'udp') return;
  let connectionId = flow.inbound?.connectionId;
  const dest = flow.initialDestination;
  if (connectionId === undefined && dest) {
    connectionId = transport
      .connections()
      .find((c) => c.direction === 'outbound' && c.protocol === dest.protocol && c.remote.address === dest.host.replace(/^\[|\]$/g, '') && c.remote.port === dest.port)?.id;
  }
  if (connectionId === undefined) return;
  const release = transport.holdConnection(connectionId);
  if (release) dialog.once('terminated', release);
}

/** Starts a SIP stack: opens the listeners and wires parser, transactions and dialogs to them. */
export async function createSipStack(opts: SipStackOptions): Promise<SipStack> {
  const transport = createTransportLayer(opts.transport ?? {});
  const dns = opts.resolver ?? createSipResolver();
  try {
    for (const spec of opts.listen) await transport.listen(spec);
  } catch (err) {
    await transport.close();
    throw err;
  }

  const resolve = async (target: string | SipUri): Promise<Destination[]> => {
    const uri = typeof target === 'string' ? parseUri(target) : target;
    const host = uri.params['maddr'] ?? uri.host;
    const transportParam = protocolOf(uri);
    const targets = await dns.resolve({
      host,
      secure: uri.scheme === 'sips',
      ...(uri.port !== undefined ? { port: uri.port } : {}),
      ...(transportParam ? { transport: transportParam } : {}),
    });
    return targets.map((t) => ({ protocol: t.protocol, host: t.host, port: t.port, ...(t.serverName ? { serverName: t.serverName } : {}) }));
  };
  const dialogResolver: TargetResolver = {
    async resolve(uri: SipUri) {
      const [first] = await resolve(uri);
      if (!first) throw new Error(`no target for ${uri.host}`);
      return first;
    },
  };

  const transactions = new TransactionLayer({
    timers: realTimers,
    sink: transportSink(transport),
    viaSentBy: listenerSentBy(transport),
    ...(opts.transactions ? { config: opts.transactions } : {}),
    ...(opts.events?.onSendError ? { onSendError: (err: unknown, _msg: unknown, dest: Destination) => opts.events?.onSendError?.(err, dest) } : {}),
  });

  const contact = (protocol: SipProtocol, secure: boolean): string => {
    const own = transport.addresses().find((x) => x.protocol === protocol);
    const l = own ?? transport.addresses()[0];
    const host = opts.advertisedHost ?? (l?.family === 6 ? `[${l.address}]` : (l?.address ?? '127.0.0.1'));
    const scheme = secure ? 'sips' : 'sip';
    // No listener for this transport (a client-only stack, e.g. the SIPREC one): no port, rather than another
    // transport's or a wrong default; the peer reaches us over the connection we opened.
    return `${scheme}:${opts.contactUser ?? 'ci-connector'}@${host}${own ? `:${own.port}` : ''}${protocol === 'udp' || secure ? '' : `;transport=${protocol}`}`;
  };

  const ua = new DialogLayer({
    transactions,
    contact,
    ...(opts.contactParams ? { contactParams: opts.contactParams } : {}),
    resolver: dialogResolver,
    ...(opts.sessionTimer !== undefined ? { sessionTimer: opts.sessionTimer } : {}),
    ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
    ...(opts.reuseInboundFlow !== undefined ? { reuseInboundFlow: opts.reuseInboundFlow } : {}),
    ...(opts.supported ? { supported: opts.supported } : {}),
    ...(opts.events?.onError ? { onError: opts.events.onError } : {}),
    onDialogCreated: (dialog) => holdFlow(transport, dialog),
  });

  const receive = opts.screen ? screenInbound(opts.screen, (msg, source) => transactions.receive(msg, source), (res, dest) => transactions.send(res, dest)) : (msg: Parameters<TransactionLayer['receive']>[0], source: Parameters<TransactionLayer['receive']>[1]) => transactions.receive(msg, source);
  wireInbound(
    transport,
    (msg, source) => {
      // A handler that throws must not take the listener (or the process) down with it.
      try {
        receive(msg, source);
      } catch (err) {
        opts.events?.onError?.(err, 'receive');
      }
    },
    { ...opts.events, skip: isKeepAliveDatagram },
  );

  return {
    transport,
    transactions,
    ua,
    addresses: () => transport.addresses(),
    resolve,
    close: () => transport.close(),
  };
}
