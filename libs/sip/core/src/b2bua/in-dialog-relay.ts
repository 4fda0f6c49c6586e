import type { Dialog } from '../dialog/dialog';
import type { InDialogRequest } from '../dialog/dialog-inbound';
import type { SipMessage } from '../message/types';
import { rewrite, type BodyRewriter, type Leg } from './body-rewrite';

export interface RelaySettings {
  rewriteBody: BodyRewriter | undefined;
  /** Header names copied from the request to the other leg and from its response back. */
  relayHeaders: string[];
  onError: (err: unknown, context: string) => void;
}

/**
 * Relays a request received in one leg's dialog to the other leg and its
 * response back, bodies through the rewrite hook. A re-INVITE without offer
 * gets its offer in the 2xx and the answer in the ACK (RFC 3264 §5), so the
 * ACK of `from` is waited for and relayed as the ACK of `to`.
 */
export async function relayInDialog(req: InDialogRequest, from: Leg, fromDialog: Dialog, toDialog: Dialog, s: RelaySettings): Promise<void> {
  const to: Leg = from === 'a' ? 'b' : 'a';
  const method = req.method;
  const session = method === 'INVITE' || method === 'UPDATE';
  // A refresh UPDATE without offer concerns this leg only (RFC 4028: each leg has its own session timer).
  if (method === 'UPDATE' && req.request.body.length === 0) return req.respond(200);
  if (toDialog.state !== 'confirmed') return req.respond(481);
  const hasOffer = req.request.body.length > 0;
  try {
    const body = await rewrite(s.rewriteBody, req.request, { from, to, method, kind: 'request', sdpRole: session ? 'offer' : 'none' });
    const lateOffer = method === 'INVITE' && !hasOffer;
    const res = await toDialog.request(method, { ...body, headers: copyHeaders(req.request, s.relayHeaders), manualAck: lateOffer });
    if (req.answered) return;
    const ok = res.status >= 200 && res.status < 300;
    const resBody = ok ? await rewrite(s.rewriteBody, res, { from: to, to: from, method, kind: 'response', status: res.status, sdpRole: session ? (hasOffer ? 'answer' : 'offer') : 'none' }) : {};
    if (lateOffer && ok) relayAck(fromDialog, toDialog, from, s);
    req.respond(res.status, { ...resBody, reason: res.reason, headers: copyHeaders(res, s.relayHeaders) });
  } catch (err) {
    s.onError(err, `relaying ${method} from leg ${from}`);
    if (!req.answered) req.respond(500);
  }
}

/** Waits for `fromDialog`'s ACK (the answer to the offer our 2xx relayed) and sends it as `toDialog`'s ACK. */
function relayAck(fromDialog: Dialog, toDialog: Dialog, from: Leg, s: RelaySettings): void {
  const to: Leg = from === 'a' ? 'b' : 'a';
  const off = fromDialog.once('ack', (ack) => {
    rewrite(s.rewriteBody, ack, { from, to, method: 'ACK', kind: 'request', sdpRole: 'answer' }).then(
      (body) => {
        if (toDialog.awaitingAck) toDialog.ack(body);
      },
      (err: unknown) => {
        s.onError(err, 'relaying an ACK');
        if (toDialog.awaitingAck) toDialog.ack();
      },
    );
  });
  fromDialog.once('terminated', off);
}

function copyHeaders(msg: SipMessage, names: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const name of names) for (const value of msg.headers.getAll(name)) out.push([name, value]);
  return out;
}
