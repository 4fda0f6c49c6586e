import { isSyntheticResponse, pooledRandomBytes, type Destination, type Dialog, type DialogLayer, type OutgoingInvite, type SipResponse } from '@ci-connector/sip';
import type { RecorderFailure, RecorderTarget } from '@ci-connector/siprec';

/**
 * The SIPREC dialogs with the recorders (SRS), over TLS with the carrier's
 * client certificate (the stack passed in is the recording stack, not the
 * trunk's). Builds the seed's INVITE: Request-URI and To = the target URI,
 * From `<sip:SRC@<domain>>;tag`, Call-ID = the call id, Contact
 * `<sip:SRC@…;transport=tls>;+sip.src` (the stack's contact user and params),
 * `Require: siprec`, `X-AccountId`, multipart/mixed (SDP + RFC 7865 metadata).
 */
export interface SrsInviteRequest {
  target: RecorderTarget;
  callId: string;
  accountId: string;
  sdp: string;
  metadataXml: string;
}

export type SrsInviteOutcome = { ok: true; dialog: Dialog; sdp: string } | { ok: false; failure: RecorderFailure; status?: number };

export interface SrsClientOptions {
  ua: Pick<DialogLayer, 'invite'>;
  /** Host part of From (`<sip:SRC@<fromDomain>>`): the carrier's domain. */
  fromDomain: string;
  /** How long to wait for a final answer before CANCELling and reporting `timeout`. */
  attemptTimeoutMs: number;
}

export function multipartBody(sdp: string, metadataXml: string, boundary = `ci-connector-${pooledRandomBytes(8).toString('hex')}`): { body: string; contentType: string } {
  const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n').replace(/(\r\n)*$/, '\r\n');
  const body =
    `--${boundary}\r\nContent-Type: application/sdp\r\n\r\n${crlf(sdp)}` +
    `--${boundary}\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n${crlf(metadataXml)}` +
    `--${boundary}--\r\n`;
  return { body, contentType: `multipart/mixed;boundary=${boundary}` };
}

export function targetDestination(target: RecorderTarget): Destination {
  const host = target.host.replace(/^\[|\]$/g, '');
  return { protocol: 'tls', host, port: target.port, serverName: host };
}

function retryAfterSeconds(res: SipResponse): number | undefined {
  const v = res.headers.get('Retry-After');
  const n = v === undefined ? NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A failed final response as a RecorderFailure (synthetic 408 = no answer, synthetic 503 = transport). */
export function failureOf(res: SipResponse): RecorderFailure {
  if (isSyntheticResponse(res)) {
    if (res.status === 408) return { kind: 'timeout' };
    return { kind: 'transport', message: res.reason || `no connection (${res.status})` };
  }
  const retryAfter = retryAfterSeconds(res);
  return { kind: 'status', status: res.status, ...(res.reason ? { reason: res.reason } : {}), ...(retryAfter !== undefined ? { retryAfter } : {}) };
}

export class SrsClient {
  constructor(private readonly o: SrsClientOptions) {}

  /**
   * Sends the SIPREC INVITE. Resolves with the dialog and the recorder's SDP,
   * or a failure (a timeout CANCELs the INVITE). A 2xx arriving after the
   * timeout goes to `onLate` (the caller BYEs it).
   */
  invite(req: SrsInviteRequest, onLate: (dialog: Dialog) => void): { result: Promise<SrsInviteOutcome>; cancel(): void } {
    const { body, contentType } = multipartBody(req.sdp, req.metadataXml);
    let call: OutgoingInvite;
    try {
      call = this.o.ua.invite({
        uri: req.target.uri,
        dest: targetDestination(req.target),
        from: `<sip:SRC@${this.o.fromDomain}>`,
        to: `<${req.target.uri}>`,
        callId: req.callId,
        headers: [
          ['Require', 'siprec'],
          ['X-AccountId', req.accountId],
        ],
        body,
        contentType,
        sessionTimer: false,
      });
    } catch (err) {
      return { result: Promise.resolve({ ok: false, failure: { kind: 'transport', message: err instanceof Error ? err.message : String(err) } }), cancel: () => undefined };
    }
    let abandoned = false;
    // A 2xx crossing the CANCEL is BYE'd by the stack: with X-AccountId, which the recorder requires on every BYE (else it keeps the session).
    const cancelOpts = { byeHeaders: [['X-AccountId', req.accountId]] as [string, string][] };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<SrsInviteOutcome>((resolve) => {
      timer = setTimeout(() => {
        abandoned = true;
        try {
          call.cancel('no answer in time', cancelOpts);
        } catch {
          // nothing to cancel
        }
        resolve({ ok: false, failure: { kind: 'timeout' } });
      }, this.o.attemptTimeoutMs);
      timer.unref();
    });
    const answered = call.result.then(
      (outcome): SrsInviteOutcome => {
        if (outcome.answered) {
          if (abandoned) {
            onLate(outcome.dialog);
            return { ok: false, failure: { kind: 'timeout' } };
          }
          return { ok: true, dialog: outcome.dialog, sdp: outcome.response.body.toString('utf8') };
        }
        return { ok: false, failure: failureOf(outcome.response), status: outcome.response.status };
      },
      (err: unknown): SrsInviteOutcome => ({ ok: false, failure: { kind: 'transport', message: err instanceof Error ? err.message : String(err) } }),
    );
    const result = Promise.race([answered, timeout]).finally(() => clearTimeout(timer));
    return {
      result,
      cancel: () => {
        abandoned = true;
        try {
          call.cancel('recording stopped', cancelOpts);
        } catch {
          // already final
        }
      },
    };
  }

  /** A re-INVITE with SDP only (the metadata did not change), X-AccountId included. */
  async reinvite(dialog: Dialog, sdp: string, accountId: string): Promise<{ ok: true; sdp: string } | { ok: false; failure: RecorderFailure }> {
    try {
      const res = await dialog.modify(sdp, { headers: [['X-AccountId', accountId]], glareRetries: 1 });
      if (res.status >= 200 && res.status < 300) return { ok: true, sdp: res.body.toString('utf8') };
      return { ok: false, failure: failureOf(res) };
    } catch (err) {
      return { ok: false, failure: { kind: 'transport', message: err instanceof Error ? err.message : String(err) } };
    }
  }

  /**
   * After the recorder's connection dropped: is the SIPREC dialog still there?
   * An in-dialog OPTIONS with X-AccountId (over a new connection when needed).
   * Any real answer but 481 means it is (405/501 too: the dialog was found);
   * 481, no answer in `timeoutMs`, or no connection means it is gone.
   */
  async probe(dialog: Dialog, accountId: string, timeoutMs: number): Promise<{ alive: true; status: number } | { alive: false; failure: RecorderFailure }> {
    if (dialog.state === 'terminated') return { alive: false, failure: { kind: 'status', status: 481, reason: 'dialog terminated' } };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ alive: false; failure: RecorderFailure }>((resolve) => {
      timer = setTimeout(() => resolve({ alive: false, failure: { kind: 'timeout' } }), timeoutMs);
      timer.unref();
    });
    const asked = dialog.request('OPTIONS', { headers: [['X-AccountId', accountId]] }).then(
      (res): { alive: true; status: number } | { alive: false; failure: RecorderFailure } => {
        if (isSyntheticResponse(res) || res.status === 481) return { alive: false, failure: failureOf(res) };
        return { alive: true, status: res.status };
      },
      (err: unknown) => ({ alive: false as const, failure: { kind: 'transport' as const, message: err instanceof Error ? err.message : String(err) } }),
    );
    return Promise.race([asked, timeout]).finally(() => clearTimeout(timer));
  }

  /** BYE with X-AccountId; resolves whatever happens (the dialog is over either way). */
  async bye(dialog: Dialog, accountId: string): Promise<number | undefined> {
    if (dialog.state === 'terminated') return undefined;
    try {
      const res = await dialog.bye({ headers: [['X-AccountId', accountId]] });
      return (res as SipResponse | undefined)?.status;
    } catch {
      return undefined;
    }
  }
}
