import { createResponse, EMPTY_BODY } from '../message/build';
import { parseNameAddr } from '../message/header-values';
import type { SipMessage, SipRequest, SipResponse } from '../message/types';
import type { MessageOptions, ResponseOptions } from './types';

/** Sets the body with its Content-Type and Content-Length (or an empty body with Content-Length 0). */
export function setBody(msg: SipMessage, body: Buffer | string | undefined, contentType?: string): void {
  const bytes = body === undefined ? EMPTY_BODY : Buffer.isBuffer(body) ? body : Buffer.from(body);
  msg.body = bytes;
  if (bytes.length > 0) msg.headers.set('Content-Type', contentType ?? 'application/sdp');
  else msg.headers.delete('Content-Type');
  msg.headers.set('Content-Length', String(bytes.length));
}

export function addHeaders(msg: SipMessage, headers: [string, string][] | undefined): void {
  for (const [name, value] of headers ?? []) msg.headers.append(name, value);
}

export function applyOptions(msg: SipMessage, opts: MessageOptions): void {
  addHeaders(msg, opts.headers);
  setBody(msg, opts.body, opts.contentType);
}

/** A response to `req` with our To tag, extra headers and body (RFC 3261 §8.2.6). */
export function respondTo(req: SipRequest, status: number, toTag: string | undefined, opts: ResponseOptions = {}): SipResponse {
  const res = createResponse(req, status, opts.reason, toTag === undefined ? {} : { toTag });
  applyOptions(res, opts);
  return res;
}

/** The URI inside a Contact / Record-Route value as written, or undefined when it does not parse. */
export function uriOfNameAddr(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    parseNameAddr(value);
  } catch {
    return undefined;
  }
  const lt = value.indexOf('<');
  if (lt >= 0) return value.slice(lt + 1, value.indexOf('>', lt)).trim();
  return value.split(';')[0]?.trim();
}

/** True when a list header (Supported, Require, Allow) names `token`, case-insensitively. */
export function hasToken(msg: SipMessage, header: string, token: string): boolean {
  const t = token.toLowerCase();
  return msg.headers.getAll(header).some((v) => v.split(',').some((x) => x.trim().toLowerCase() === t));
}

export function bodyOf(msg: SipMessage): { body: Buffer; contentType: string } | undefined {
  if (msg.body.length === 0) return undefined;
  return { body: msg.body, contentType: msg.headers.get('Content-Type') ?? 'application/sdp' };
}
