import { createResponse, newBranch } from '../message/build';
import type { SipMessage, SipRequest, SipResponse } from '../message/types';
import { ClientInviteTransaction } from './client-invite';
import { ClientNonInviteTransaction } from './client-non-invite';
import type { ClientTransaction, ClientTransactionHandlers } from './client-transaction';
import { DEFAULT_TRANSACTION_CONFIG, type TransactionConfig } from './config';
import type { TransactionHost } from './host';
import { clientKey, isRfc2543, mergeKey, responseKey, serverKey } from './keys';
import { cseqOf, responseDestination, stampReceived, tagOf, topVia } from './message-info';
import type { Destination, InboundSource, MessageSink, Timers, ViaSentBy } from './ports';
import { buildCancel } from './requests';
import { ServerInviteTransaction } from './server-invite';
import { ServerNonInviteTransaction } from './server-non-invite';
import type { ServerTransaction } from './server-transaction';

export interface TransactionLayerOptions {
  timers: Timers;
  sink: MessageSink;
  /** sent-by of the Via added to requests that have none (RFC 3261 §18.1.1). Default: 127.0.0.1. */
  viaSentBy?: ViaSentBy;
  config?: Partial<TransactionConfig>;
  /** A send outside any transaction failed (2xx ACK, 2xx retransmission, stateless answer). */
  onSendError?: (err: unknown, msg: SipMessage, dest: Destination) => void;
  /** An inbound message was dropped (malformed, stray), with why: for logs and metrics. */
  onDiscard?: (msg: SipMessage, reason: string) => void;
}

export type RequestHandler = (tx: ServerTransaction) => void;
export type AckHandler = (ack: SipRequest, source: InboundSource) => void;
export type StrayResponseHandler = (res: SipResponse, source: InboundSource) => void;

/**
 * The transaction layer (RFC 3261 §17): creates client transactions, matches
 * inbound responses to them (§17.1.3) and inbound requests to server
 * transactions (§17.2.3), hands new requests to the TU, answers CANCEL (§9.2),
 * detects merged requests (§8.2.2.2) and forgets every transaction when it
 * terminates.
 */
export class TransactionLayer {
  readonly config: TransactionConfig;
  readonly timers: Timers;
  private readonly sink: MessageSink;
  private readonly viaSentBy: ViaSentBy;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  /** CANCEL target lookup: server key with the method left out. */
  private readonly cancellable = new Map<string, ServerTransaction>();
  private readonly merged = new Map<string, string>();
  private requestHandler?: RequestHandler;
  private ackHandler?: AckHandler;
  private strayHandler?: StrayResponseHandler;
  private readonly host: TransactionHost;

  constructor(private readonly options: TransactionLayerOptions) {
    this.config = { ...DEFAULT_TRANSACTION_CONFIG, ...options.config };
    this.timers = options.timers;
    this.sink = options.sink;
    this.viaSentBy = options.viaSentBy ?? (() => ({ host: '127.0.0.1' }));
    this.host = {
      timers: this.timers,
      config: this.config,
      transmit: (msg, dest, onError) => this.transmit(msg, dest, onError),
      release: (key) => this.release(key),
    };
  }

  /** New requests (not ACK, not CANCEL) become server transactions handed here. Without a handler they get 501. */
  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  /** ACKs no transaction absorbed: the ACK for a 2xx (RFC 3261 §13.3.1.4, RFC 6026 §7.1). */
  onAck(handler: AckHandler): void {
    this.ackHandler = handler;
  }

  /** 2xx responses to INVITE that match no client transaction (§13.2.2.4, RFC 6026 §7.2): the UAC core ACKs them. */
  onStrayResponse(handler: StrayResponseHandler): void {
    this.strayHandler = handler;
  }

  /** Transactions held (client + server). */
  get size(): number {
    return this.clients.size + this.servers.size;
  }

  /** Internal indexes, for leak checks. */
  get indexSizes(): { clients: number; servers: number; cancellable: number; merged: number } {
    return { clients: this.clients.size, servers: this.servers.size, cancellable: this.cancellable.size, merged: this.merged.size };
  }

  /**
   * Starts a client transaction (RFC 3261 §17.1). A request without Via gets one
   * with a fresh branch; ACK is not sent this way (use `send`).
   */
  request(req: SipRequest, dest: Destination, handlers: ClientTransactionHandlers = {}): ClientTransaction {
    if (req.method === 'ACK') throw new Error('an ACK is not a transaction: use send()');
    this.ensureVia(req, dest);
    const branch = topVia(req)?.params['branch'];
    if (!branch) throw new Error('the top Via of a request must carry a branch (RFC 3261 §8.1.1.7)');
    const key = clientKey(branch, req.method);
    if (this.clients.has(key)) throw new Error(`a client transaction with branch ${branch} and method ${req.method} exists`);
    const tx =
      req.method === 'INVITE'
        ? new ClientInviteTransaction(this.host, key, req, dest, (invite, reason) => this.sendCancel(invite, reason))
        : new ClientNonInviteTransaction(this.host, key, req, dest);
    tx.attach(handlers);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Sends outside any transaction: the ACK for a 2xx, 2xx retransmissions after Timer L. A request without Via gets one. */
  send(msg: SipMessage, dest: Destination, onError?: (err: unknown) => void): void {
    if (msg.kind === 'request') this.ensureVia(msg, dest);
    this.transmit(msg, dest, (err) => (onError ?? ((e) => this.options.onSendError?.(e, msg, dest)))(err));
  }

  /** Feeds an inbound message (parsed by the caller) into the layer. */
  receive(msg: SipMessage, source: InboundSource): void {
    if (msg.kind === 'response') this.receiveResponse(msg, source);
    else this.receiveRequest(msg, source);
  }

  private receiveResponse(res: SipResponse, source: InboundSource): void {
    const key = responseKey(res);
    if (key === undefined) return this.discard(res, 'response without branch or CSeq');
    const tx = this.clients.get(key);
    if (tx) return tx.receive(res);
    if (res.status >= 200 && res.status < 300 && cseqOf(res)?.method === 'INVITE' && this.strayHandler) return this.strayHandler(res, source);
    this.discard(res, 'response matches no transaction');
  }

  private receiveRequest(req: SipRequest, source: InboundSource): void {
    const problem = checkRequest(req);
    if (problem !== undefined) {
      this.discard(req, problem);
      if (req.method !== 'ACK' && topVia(req)) this.sendStateless(createResponse(req, 400, `Bad Request (${problem})`), req, source);
      return;
    }
    // Keys come from the request as it arrived, before `received` is added.
    const key = serverKey(req);
    const anyMethodKey = serverKey(req, '*');
    if (key === undefined || anyMethodKey === undefined) return this.discard(req, 'no transaction key');
    stampReceived(req, source);

    if (req.method === 'ACK') return this.receiveAck(req, key, source);
    const existing = this.servers.get(key);
    if (existing) return existing.retransmission();
    if (req.method === 'CANCEL') return this.receiveCancel(req, key, anyMethodKey, source);

    const tx = req.method === 'INVITE' ? new ServerInviteTransaction(this.host, key, req, source) : new ServerNonInviteTransaction(this.host, key, req, source);
    this.servers.set(key, tx);
    this.cancellable.set(anyMethodKey, tx);
    const merge = mergeKey(req);
    const isMerged = merge !== undefined && this.merged.has(merge);
    if (merge !== undefined && !isMerged) this.merged.set(merge, key);
    tx.on('terminated', () => {
      if (this.cancellable.get(anyMethodKey) === tx) this.cancellable.delete(anyMethodKey);
      if (merge !== undefined && this.merged.get(merge) === key) this.merged.delete(merge);
    });
    if (isMerged) {
      tx.respond(createResponse(req, 482)); // §8.2.2.2: the same request arrived by another path
      return;
    }
    if (this.requestHandler) this.requestHandler(tx);
    else tx.respond(createResponse(req, 501));
  }

  private receiveAck(ack: SipRequest, key: string, source: InboundSource): void {
    const tx = this.servers.get(key);
    // RFC 2543 ACKs must also carry the To tag of the response they acknowledge.
    const matches = tx instanceof ServerInviteTransaction && (!isRfc2543(ack) || tagOf(ack, 'To') === tx.toTag);
    if (matches && tx.ack() === 'absorbed') return;
    if (this.ackHandler) this.ackHandler(ack, source);
    else this.discard(ack, 'ACK matches no transaction');
  }

  /** RFC 3261 §9.2: the CANCEL is its own transaction; 200 if it matches, 481 if not; 487 to a pending INVITE. */
  private receiveCancel(cancel: SipRequest, key: string, anyMethodKey: string, source: InboundSource): void {
    const tx = new ServerNonInviteTransaction(this.host, key, cancel, source);
    this.servers.set(key, tx);
    const target = this.cancellable.get(anyMethodKey);
    if (!target || target.state === 'terminated') {
      tx.respond(createResponse(cancel, 481));
      return;
    }
    tx.respond(createResponse(cancel, 200, undefined, target.toTag === undefined ? {} : { toTag: target.toTag }));
    if (target instanceof ServerInviteTransaction) target.cancel(cancel);
  }

  private sendCancel(invite: ClientInviteTransaction, reason: string | undefined): void {
    this.request(buildCancel(invite.request, reason), invite.destination);
  }

  private sendStateless(res: SipResponse, req: SipRequest, source: InboundSource): void {
    this.send(res, responseDestination(topVia(req), source));
  }

  private ensureVia(req: SipRequest, dest: Destination): void {
    if (req.headers.has('Via')) return;
    const sentBy = this.viaSentBy(dest);
    const hostport = `${sentBy.host}${sentBy.port === undefined ? '' : `:${sentBy.port}`}`;
    req.headers.prepend('Via', `SIP/2.0/${dest.protocol.toUpperCase()} ${hostport};branch=${newBranch()};rport`);
  }

  private transmit(msg: SipMessage, dest: Destination, onError: (err: unknown) => void): void {
    let result: void | Promise<void>;
    try {
      result = this.sink.send(msg, dest);
    } catch (err) {
      // Reported asynchronously, like a rejected promise, so no caller sees it mid-call.
      void Promise.resolve().then(() => onError(err));
      return;
    }
    if (result && typeof result.then === 'function') result.then(undefined, onError);
  }

  private release(key: string): void {
    this.clients.delete(key);
    this.servers.delete(key);
  }

  private discard(msg: SipMessage, reason: string): void {
    this.options.onDiscard?.(msg, reason);
  }
}

/** RFC 3261 §8.1.1: the headers every request carries; the CSeq method must be the request's (§8.2 / §17.2.3). */
function checkRequest(req: SipRequest): string | undefined {
  if (!topVia(req)) return 'missing or bad Via';
  const cseq = cseqOf(req);
  if (!cseq) return 'missing or bad CSeq';
  if (cseq.method !== req.method) return 'CSeq method differs from the request method';
  if (!req.headers.get('Call-ID')) return 'missing Call-ID';
  if (!req.headers.get('From')) return 'missing From';
  if (!req.headers.get('To')) return 'missing To';
  return undefined;
}
