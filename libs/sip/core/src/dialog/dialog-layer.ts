import { createResponse, EMPTY_BODY, newCallId, newTag, warningValue } from '../message/build';
import { HeaderList } from '../message/headers';
import type { SipMessage, SipRequest, SipResponse } from '../message/types';
import { cseqOf, tagOf } from '../transaction/message-info';
import type { Destination, SipProtocol, Timers } from '../transaction/ports';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { TransactionLayer } from '../transaction/transaction-layer';
import type { DialogContext } from './context';
import type { Dialog } from './dialog';
import { dialogKey } from './dialog-data';
import { IncomingInvite } from './incoming-invite';
import { applyOptions, respondTo } from './messages';
import { OutgoingInvite } from './outgoing-invite';
import { literalResolver, type TargetResolver } from './resolver';
import { DEFAULT_SESSION_TIMER, decideAsUas, uacHeaders, type SessionTimerSettings } from './session-timer';
import type { DialogId, MessageOptions } from './types';

export interface DialogLayerOptions {
  transactions: TransactionLayer;
  /** Our Contact URI for a transport, e.g. `sip:sbc@192.0.2.1:5061;transport=tls` (no angle brackets). */
  contact: (protocol: SipProtocol, secure: boolean) => string;
  /**
   * Header parameters appended after our Contact's `>` in every request and
   * response this layer sends, e.g. `;+sip.src` (RFC 7866 §6.1.1: a SIPREC
   * client's Contact carries the `+sip.src` feature tag). Default none.
   */
  contactParams?: string;
  /** Next-hop resolution for in-dialog requests (RFC 3263). Default: `literalResolver` (no DNS). */
  resolver?: TargetResolver;
  /** RFC 4028 settings; `false` turns session timers off. Default on, 1800 s, Min-SE 90 s. */
  sessionTimer?: Partial<SessionTimerSettings> | false;
  /** For the glare back-off and Retry-After. Default Math.random. */
  random?: () => number;
  /** User-Agent of our requests (and Server of our responses). */
  userAgent?: string;
  /** Methods we accept (Allow). */
  allow?: string[];
  /** Option tags we support besides `timer` (Supported; a Require with others gets 420). */
  supported?: string[];
  /**
   * UAS dialogs without Record-Route send their in-dialog requests back to the
   * address, port and connection the INVITE came from instead of the Contact
   * (for peers behind NAT or reachable only over their own TLS connection).
   */
  reuseInboundFlow?: boolean;
  /** Errors nobody else can receive (a background BYE that failed to resolve, …). */
  onError?: (err: unknown, context: string) => void;
  /**
   * Each new dialog (early or confirmed), e.g. for the stack to keep the stream
   * connection it runs over open for the dialog's life (`dialog.flow`).
   */
  onDialogCreated?: (dialog: Dialog) => void;
}

export interface InviteOptions extends MessageOptions {
  /** Request-URI. */
  uri: string;
  /** The next hop (resolved by the caller). */
  dest: Destination;
  /** From without tag, e.g. `"Recorder" <sip:src@example.com>`; a tag is added. */
  from: string;
  /** To; default `<uri>`. */
  to?: string;
  callId?: string;
  /** Hold the ACK for the 2xx until `dialog.ack()` (offer in the 2xx). */
  manualAck?: boolean;
  /** What to do with 2xx from further forks: end them with BYE (default) or keep them. */
  extraForks?: 'bye' | 'keep';
  /** In-dialog requests go to `dest` too, e.g. an outbound proxy that does not Record-Route. */
  keepDestination?: boolean;
  /** Ask for a session timer (RFC 4028) on this call; default: when the layer has them on. */
  sessionTimer?: boolean;
  /** Max-Forwards (0-255); default 70 (RFC 3261 §8.1.1.6). A B2BUA passes the A leg's value minus one (RFC 7332). */
  maxForwards?: number;
}

export interface OutOfDialogRequestOptions extends MessageOptions {
  method: string;
  uri: string;
  dest: Destination;
  from: string;
  to?: string;
  callId?: string;
}

export type InviteHandler = (invite: IncomingInvite) => void;
export type OutOfDialogHandler = (tx: ServerTransaction) => void;

const DEFAULT_ALLOW = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'UPDATE', 'INFO'];
const DIALOG_ONLY = new Set(['BYE', 'UPDATE', 'PRACK', 'ACK']);

/**
 * The UA core above the transaction layer (RFC 3261 §8, §12–§15): dialog
 * creation both ways, dispatch of in-dialog requests, ACKs and stray 2xx to
 * their dialog, 481 for unknown dialogs, 420 for unsupported extensions.
 */
export class DialogLayer {
  private readonly dialogs = new Map<string, Dialog>();
  private readonly ctx: DialogContext;
  private readonly allow: string[];
  private readonly supported: string[];
  private inviteHandler?: InviteHandler;
  private requestHandler?: OutOfDialogHandler;

  constructor(private readonly options: DialogLayerOptions) {
    const tl = options.transactions;
    const sessionTimer = options.sessionTimer === false ? undefined : { ...DEFAULT_SESSION_TIMER, ...options.sessionTimer };
    this.allow = options.allow ?? DEFAULT_ALLOW;
    this.supported = [...(sessionTimer ? ['timer'] : []), ...(options.supported ?? [])];
    this.ctx = {
      transactions: tl,
      timers: tl.timers,
      resolver: options.resolver ?? literalResolver,
      sessionTimer,
      random: options.random ?? Math.random,
      reuseInboundFlow: options.reuseInboundFlow ?? false,
      contact: (protocol, secure) => `<${options.contact(protocol, secure)}>${options.contactParams ?? ''}`,
      decorate: (msg) => this.decorate(msg),
      register: (d) => {
        this.dialogs.set(d.key, d);
        options.onDialogCreated?.(d);
      },
      unregister: (d) => {
        if (this.dialogs.get(d.key) === d) this.dialogs.delete(d.key);
      },
      report: (err, context) => options.onError?.(err, context),
    };
    tl.onRequest((tx) => this.route(tx));
    tl.onAck((ack) => this.findByRequest(ack)?.receiveAck(ack));
    tl.onStrayResponse((res) => this.findByResponse(res)?.receive2xx(res));
  }

  get timers(): Timers {
    return this.ctx.timers;
  }

  /** Dialog-creating INVITEs. Without a handler they get 480. */
  onInvite(handler: InviteHandler): void {
    this.inviteHandler = handler;
  }

  /** Requests outside any dialog other than INVITE (OPTIONS, MESSAGE, …). Without a handler: 200 to OPTIONS, 405 otherwise. */
  onRequest(handler: OutOfDialogHandler): void {
    this.requestHandler = handler;
  }

  /** Sends a dialog-creating INVITE (RFC 3261 §13.2.1). */
  invite(opts: InviteOptions): OutgoingInvite {
    const timer = this.ctx.sessionTimer && opts.sessionTimer !== false ? this.ctx.sessionTimer : undefined;
    const headers = HeaderList.from([
      ['Max-Forwards', String(opts.maxForwards ?? 70)],
      ['From', `${opts.from};tag=${newTag()}`],
      ['To', opts.to ?? `<${opts.uri}>`],
      ['Call-ID', opts.callId ?? newCallId()],
      ['CSeq', '1 INVITE'],
      ['Contact', this.ctx.contact(opts.dest.protocol, opts.dest.protocol === 'tls' && opts.uri.toLowerCase().startsWith('sips:'))],
    ]);
    const req: SipRequest = { kind: 'request', version: 'SIP/2.0', method: 'INVITE', uri: opts.uri, headers, body: EMPTY_BODY };
    this.decorate(req);
    if (timer) for (const [n, v] of uacHeaders(timer.interval, timer.minSE)) headers.append(n, v);
    applyOptions(req, opts);
    const invite = new OutgoingInvite(this.ctx, req, {
      dest: opts.dest,
      manualAck: opts.manualAck ?? false,
      extraForks: opts.extraForks ?? 'bye',
      keepDestination: opts.keepDestination ?? false,
      retries422: timer ? 1 : 0,
    });
    invite.start();
    return invite;
  }

  /** A request outside any dialog (OPTIONS ping, MESSAGE); resolves with the final response (408/503 synthetic on failure). */
  request(opts: OutOfDialogRequestOptions): Promise<SipResponse> {
    const headers = HeaderList.from([
      ['Max-Forwards', '70'],
      ['From', `${opts.from};tag=${newTag()}`],
      ['To', opts.to ?? `<${opts.uri}>`],
      ['Call-ID', opts.callId ?? newCallId()],
      ['CSeq', `1 ${opts.method}`],
    ]);
    const req: SipRequest = { kind: 'request', version: 'SIP/2.0', method: opts.method, uri: opts.uri, headers, body: EMPTY_BODY };
    this.decorate(req);
    applyOptions(req, opts);
    return this.ctx.transactions.request(req, opts.dest).result;
  }

  findDialog(id: DialogId): Dialog | undefined {
    return this.dialogs.get(dialogKey(id));
  }

  /** Dialogs held (early and confirmed). */
  get size(): number {
    return this.dialogs.size;
  }

  private route(tx: ServerTransaction): void {
    const req = tx.request;
    const unsupported = req.headers
      .getAll('Require')
      .flatMap((v) => v.split(','))
      .map((t) => t.trim())
      .filter((t) => t && !this.supported.includes(t.toLowerCase()));
    if (unsupported.length) {
      // §8.2.2.3
      tx.respond(respondTo(req, 420, undefined, { headers: [['Unsupported', unsupported.join(', ')]] }));
      return;
    }
    if (tagOf(req, 'To') !== undefined) {
      const dialog = this.findByRequest(req);
      if (dialog) dialog.receiveRequest(tx);
      else tx.respond(createResponse(req, 481)); // §12.2.2
      return;
    }
    if (req.method === 'INVITE') return this.incomingInvite(tx);
    if (DIALOG_ONLY.has(req.method)) return void tx.respond(createResponse(req, 481)); // §15.1.2 for BYE
    if (this.requestHandler) return this.requestHandler(tx);
    const res = createResponse(req, req.method === 'OPTIONS' ? 200 : 405);
    this.decorate(res);
    if (res.status === 405) res.headers.set('Allow', this.allow.join(', '));
    tx.respond(res);
  }

  private incomingInvite(tx: ServerTransaction): void {
    const req = tx.request;
    const problem = invitePrerequisite(req);
    if (problem) {
      // §8.1.1.3 (From tag), §8.1.1.8 (exactly one Contact in a dialog-creating INVITE): the reason names what is missing.
      const res = createResponse(req, 400, problem.reason);
      res.headers.append('Warning', warningValue(problem.detail));
      tx.respond(res);
      return;
    }
    const decision = this.ctx.sessionTimer ? decideAsUas(req, this.ctx.sessionTimer) : ({ kind: 'none' } as const);
    if (decision.kind === 'reject') {
      // RFC 4028 §9
      tx.respond(respondTo(req, 422, undefined, { headers: [['Min-SE', String(decision.minSE)]] }));
      return;
    }
    const invite = new IncomingInvite(this.ctx, tx, decision);
    if (this.inviteHandler) this.inviteHandler(invite);
    else invite.reject(480);
  }

  /** A request's dialog: To tag is ours, From tag theirs. */
  private findByRequest(req: SipRequest): Dialog | undefined {
    const callId = req.headers.get('Call-ID');
    const localTag = tagOf(req, 'To');
    const remoteTag = tagOf(req, 'From');
    if (callId === undefined || localTag === undefined || remoteTag === undefined) return undefined;
    return this.dialogs.get(dialogKey({ callId, localTag, remoteTag }));
  }

  /** A response's dialog: From tag is ours, To tag theirs. */
  private findByResponse(res: SipResponse): Dialog | undefined {
    const callId = res.headers.get('Call-ID');
    const localTag = tagOf(res, 'From');
    const remoteTag = tagOf(res, 'To');
    if (callId === undefined || localTag === undefined || remoteTag === undefined) return undefined;
    return this.dialogs.get(dialogKey({ callId, localTag, remoteTag }));
  }

  /** Allow and Supported where they belong (§20.5, §20.37), User-Agent / Server when configured. */
  private decorate(msg: SipMessage): void {
    const method = msg.kind === 'request' ? msg.method : cseqOf(msg)?.method;
    const advertise = method === 'INVITE' || method === 'UPDATE' || method === 'OPTIONS';
    const okish = msg.kind === 'request' || (msg.status >= 200 && msg.status < 300);
    if (advertise && okish) {
      if (!msg.headers.has('Allow')) msg.headers.append('Allow', this.allow.join(', '));
      if (this.supported.length && !msg.headers.has('Supported')) msg.headers.append('Supported', this.supported.join(', '));
    }
    const agent = this.options.userAgent;
    if (agent !== undefined) {
      const name = msg.kind === 'request' ? 'User-Agent' : 'Server';
      if (!msg.headers.has(name)) msg.headers.append(name, agent);
    }
  }
}

/** Why an INVITE cannot create a dialog, as a Reason-Phrase and the detail for a Warning; undefined when it can. */
function invitePrerequisite(req: SipRequest): { reason: string; detail: string } | undefined {
  if (tagOf(req, 'From') === undefined) return { reason: 'Missing From tag', detail: `the From header has no tag: ${req.headers.get('From') ?? ''}` };
  const contacts = req.headers.getAll('Contact').flatMap((v) => (v.trim() === '' ? [] : [v]));
  if (contacts.length === 0) return { reason: 'Missing Contact header', detail: 'a dialog-creating INVITE needs a Contact' };
  if (contacts.length > 1 || contacts[0] === '*') return { reason: 'Bad Contact header', detail: `a dialog-creating INVITE needs exactly one Contact URI, got: ${contacts.join(', ')}` };
  return undefined;
}
