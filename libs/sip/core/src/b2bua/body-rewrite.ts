import type { SipMessage } from '../message/types';

export type Leg = 'a' | 'b';

/** What a body on its way through the B2BUA is. */
export interface BodyRewriteContext {
  /** The leg the message came from, and the one it goes to. */
  from: Leg;
  to: Leg;
  /** The method of the request, or of the request answered. */
  method: string;
  kind: 'request' | 'response';
  status?: number;
  /**
   * The SDP offer/answer role of this body (RFC 3264): an INVITE or UPDATE body
   * is an offer, its 2xx/18x body the answer (or the offer, when the request
   * had none); an ACK body is an answer; other methods' bodies are `none`.
   */
  sdpRole: 'offer' | 'answer' | 'none';
  body: Buffer;
  contentType: string;
  /** The message as received (read-only use). */
  message: SipMessage;
}

/** A replacement body, or undefined to pass it unchanged. */
export type BodyRewrite = { body: Buffer | string; contentType?: string } | undefined;

export type BodyRewriter = (ctx: BodyRewriteContext) => BodyRewrite | Promise<BodyRewrite>;

/** Runs the hook on a message's body; returns what to send (possibly nothing). */
export async function rewrite(
  hook: BodyRewriter | undefined,
  message: SipMessage,
  ctx: Omit<BodyRewriteContext, 'body' | 'contentType' | 'message'>,
): Promise<{ body?: Buffer | string; contentType?: string }> {
  if (message.body.length === 0) return {};
  const contentType = message.headers.get('Content-Type') ?? 'application/sdp';
  const out = hook ? await hook({ ...ctx, body: message.body, contentType, message }) : undefined;
  if (!out) return { body: message.body, contentType };
  return { body: out.body, contentType: out.contentType ?? contentType };
}
