import { parseUri } from '../message/uri';
import type { SipRequest, SipResponse } from '../message/types';
import { cseqOf, tagOf } from '../transaction/message-info';
import type { Destination, InboundSource } from '../transaction/ports';
import { uriOfNameAddr } from './messages';
import type { DialogId } from './types';

/** The state RFC 3261 §12 keeps for a dialog. */
export interface DialogData {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** The From (as UAC) or To (as UAS) value we put in our requests: our URI with our tag. */
  localParty: string;
  /** The other side's URI with its tag: the To of our requests. */
  remoteParty: string;
  /** Contact URI of the peer: the Request-URI of our requests (§12.2.1.1). */
  remoteTarget: string;
  /** Route values in the order our requests carry them. */
  routeSet: string[];
  /** The last CSeq number we used; 0 when none yet (UAS, §12.1.1). */
  localSeq: number;
  /** The highest CSeq number seen from the peer; undefined when none yet (UAC, §12.1.2). */
  remoteSeq?: number;
  /** §12.1.1: request over TLS with a sips: Request-URI. */
  secure: boolean;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}\n${id.localTag}\n${id.remoteTag}`;
}

const isSips = (uri: string): boolean => {
  try {
    return parseUri(uri).scheme === 'sips';
  } catch {
    return false;
  }
};

/**
 * UAC side (§12.1.2): from our INVITE and a 1xx/2xx with To tag. Route set is
 * the Record-Route of the response reversed; remote target its Contact.
 */
export function uacDialogData(invite: SipRequest, res: SipResponse, dest: Destination): DialogData | undefined {
  const localTag = tagOf(invite, 'From');
  const remoteTag = tagOf(res, 'To');
  const callId = invite.headers.get('Call-ID');
  const localParty = invite.headers.get('From');
  const remoteParty = res.headers.get('To');
  if (!localTag || !remoteTag || !callId || !localParty || !remoteParty) return undefined;
  return {
    callId,
    localTag,
    remoteTag,
    localParty,
    remoteParty,
    remoteTarget: uriOfNameAddr(res.headers.getAll('Contact')[0]) ?? invite.uri,
    routeSet: [...res.headers.getAll('Record-Route')].reverse(),
    localSeq: cseqOf(invite)?.seq ?? 1,
    secure: dest.protocol === 'tls' && isSips(invite.uri),
  };
}

/** §13.2.2.4: a 2xx confirming an early dialog recomputes its route set; its Contact is the remote target. */
export function confirmUacData(data: DialogData, res: SipResponse): void {
  data.routeSet = [...res.headers.getAll('Record-Route')].reverse();
  const target = uriOfNameAddr(res.headers.getAll('Contact')[0]);
  if (target) data.remoteTarget = target;
}

/** UAS side (§12.1.1): route set is the Record-Route of the request in order; remote target its Contact. */
export function uasDialogData(req: SipRequest, localTag: string, source: InboundSource): DialogData | undefined {
  const remoteTag = tagOf(req, 'From');
  const callId = req.headers.get('Call-ID');
  const to = req.headers.get('To');
  const remoteParty = req.headers.get('From');
  const remoteTarget = uriOfNameAddr(req.headers.getAll('Contact')[0]);
  if (!remoteTag || !callId || !to || !remoteParty || !remoteTarget) return undefined;
  return {
    callId,
    localTag,
    remoteTag,
    localParty: `${to};tag=${localTag}`,
    remoteParty,
    remoteTarget,
    routeSet: req.headers.getAll('Record-Route'),
    localSeq: 0,
    remoteSeq: cseqOf(req)?.seq ?? 0,
    secure: source.protocol === 'tls' && isSips(req.uri),
  };
}
