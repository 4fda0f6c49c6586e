import type { SipRequest } from '../message/types';
import { cseqOf } from '../transaction/message-info';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { Dialog } from './dialog';
import { overlapRetryAfterSeconds } from './glare';
import { bodyOf } from './messages';
import { decideAsUas, formatSessionExpires, type UasDecision } from './session-timer';
import type { ResponseOptions } from './types';

/** An in-dialog request handed to the application; answer it once with `respond`. */
export interface InDialogRequest {
  readonly dialog: Dialog;
  readonly method: string;
  readonly request: SipRequest;
  readonly transaction: ServerTransaction;
  /** True once a final response went out. */
  readonly answered: boolean;
  /**
   * Answers the request. For a 2xx to re-INVITE or UPDATE the dialog adds
   * Contact and the session timer headers, refreshes the remote target and the
   * session timer, and (re-INVITE) retransmits the 2xx until the ACK.
   */
  respond(status: number, opts?: ResponseOptions): void;
}

/**
 * Requests within a dialog (RFC 3261 §12.2.2): CSeq order, BYE (§15.1.2),
 * re-INVITE and UPDATE with their glare rules (§14.2, RFC 3311 §5.2) and
 * session timer negotiation (RFC 4028 §9), everything else to the application.
 */
export function handleInDialogRequest(dialog: Dialog, tx: ServerTransaction): void {
  const req = tx.request;
  const seq = cseqOf(req)?.seq ?? 0;
  const reply = (status: number, opts?: ResponseOptions) => void tx.respond(dialog.responseFor(req, status, opts));
  if (dialog.state === 'terminated') return reply(481);
  const data = dialog.data;
  // §12.2.2: a lower CSeq than the last one is out of order.
  if (data.remoteSeq !== undefined && seq < data.remoteSeq) return reply(500, { reason: 'Server Internal Error (CSeq out of order)' });
  data.remoteSeq = seq;

  switch (req.method) {
    case 'BYE':
      reply(200);
      dialog.terminate({ cause: 'bye-received', request: req });
      return;
    case 'INVITE':
    case 'UPDATE':
      return sessionRequest(dialog, tx, reply);
    default: {
      const wrapped = wrap(dialog, tx, (status, opts) => reply(status, opts));
      if (!dialog.deliver(wrapped)) reply(req.method === 'OPTIONS' ? 200 : 501);
    }
  }
}

function sessionRequest(dialog: Dialog, tx: ServerTransaction, reply: (status: number, opts?: ResponseOptions) => void): void {
  const req = tx.request;
  const method = req.method as 'INVITE' | 'UPDATE';
  const hasOffer = req.body.length > 0;
  const oa = dialog.oa;
  const collision = oa.check(method, hasOffer);
  if (collision === 491) return reply(491);
  if (collision === 500) return reply(500, { headers: [['Retry-After', String(overlapRetryAfterSeconds(dialog.ctx.random))]] });

  let timer: UasDecision = { kind: 'none' };
  const cfg = dialog.ctx.sessionTimer;
  if (cfg) {
    timer = decideAsUas(req, cfg, dialog.timer.active);
    if (timer.kind === 'reject') return reply(422, { headers: [['Min-SE', String(timer.minSE)]] });
  }

  const previousRemote = dialog.remoteBody;
  if (method === 'INVITE') {
    oa.inviteIn = true;
    dialog.pendingInvite = tx;
  }
  if (hasOffer) {
    oa.offerIn = true;
    dialog.remoteBody = bodyOf(req);
  }

  let finalSent = false;
  const answer = (status: number, opts: ResponseOptions = {}) => {
    if (finalSent) return;
    if (status < 200) return reply(status, opts);
    finalSent = true;
    if (dialog.pendingInvite === tx) dialog.pendingInvite = undefined;
    const ok = status < 300;
    const headers: [string, string][] = [...(opts.headers ?? [])];
    if (ok) {
      headers.push(['Contact', dialog.ctx.contact(tx.source.protocol, dialog.secure)]);
      if (timer.kind === 'grant') {
        headers.push(['Session-Expires', formatSessionExpires({ interval: timer.interval, refresher: timer.localRefresher ? 'uas' : 'uac' })]);
        if (timer.requireTimer) headers.push(['Require', 'timer']);
      }
    }
    const res = dialog.responseFor(req, status, { ...opts, headers });
    dialog.ctx.decorate(res);
    if (hasOffer) oa.offerIn = false;
    if (ok) {
      dialog.refreshTarget(req);
      if (res.body.length > 0) dialog.localBody = bodyOf(res);
      if (!hasOffer && res.body.length > 0 && method === 'INVITE') oa.offerOut = true; // the answer comes in the ACK
      if (timer.kind === 'grant') dialog.sessionRefreshed(timer.interval, timer.localRefresher);
      else if (cfg) dialog.timer.stop(); // §9: the request did without the extension
    } else if (hasOffer) {
      dialog.remoteBody = previousRemote; // §14.2: a failed re-INVITE changes nothing
    }
    tx.respond(res);
    if (method === 'INVITE') {
      if (ok) dialog.startUas2xx(tx, res);
      else oa.inviteIn = false;
    }
  };

  const wrapped = wrap(dialog, tx, answer);
  if (dialog.deliver(wrapped)) return;
  // Nobody listens: an UPDATE without offer or a re-INVITE repeating the last
  // offer is a session refresh (RFC 4028 §10), answered with what we have.
  const sameOffer = hasOffer && previousRemote !== undefined && previousRemote.body.equals(req.body);
  if (!hasOffer && method === 'UPDATE') return answer(200);
  if (sameOffer && dialog.localBody) return answer(200, { body: dialog.localBody.body, contentType: dialog.localBody.contentType });
  answer(488);
}

function wrap(dialog: Dialog, tx: ServerTransaction, respond: (status: number, opts?: ResponseOptions) => void): InDialogRequest {
  let answered = false;
  return {
    dialog,
    method: tx.request.method,
    request: tx.request,
    transaction: tx,
    get answered() {
      return answered;
    },
    respond(status, opts) {
      if (answered) return;
      if (status >= 200) answered = true;
      respond(status, opts);
    },
  };
}
