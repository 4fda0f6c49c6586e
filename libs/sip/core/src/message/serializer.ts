import type { SipMessage } from './types';

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const LINE_BREAK = /[\r\n]/;
const URI_BREAK = /[\s]/;

/**
 * The wire form of a message (RFC 3261 §7): start line, the headers in their
 * order as `Name: value`, CRLF line ends, an empty line and the body.
 * Content-Length is always the body length: the first Content-Length field gets
 * that value (later ones are dropped), or one is added after the last header.
 *
 * Throws a TypeError when a field would break the framing (a CR or LF in a
 * value or the reason, whitespace in the Request-URI, a name that is no token):
 * that is a programming error, never something a peer can cause.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  let head: string;
  if (msg.kind === 'request') {
    if (!TOKEN.test(msg.method)) throw new TypeError(`serializeMessage: bad method "${msg.method}"`);
    if (msg.uri.length === 0 || URI_BREAK.test(msg.uri)) throw new TypeError(`serializeMessage: bad Request-URI "${msg.uri}"`);
    head = `${msg.method} ${msg.uri} SIP/2.0\r\n`;
  } else {
    if (!Number.isInteger(msg.status) || msg.status < 100 || msg.status > 699) throw new TypeError(`serializeMessage: bad status ${msg.status}`);
    if (LINE_BREAK.test(msg.reason)) throw new TypeError('serializeMessage: CR or LF in the reason phrase');
    head = `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  }
  const bodyLength = msg.body.length;
  let lengthWritten = false;
  for (const { name, value } of msg.headers) {
    if (isContentLength(name)) {
      if (!lengthWritten) head += `${name}: ${bodyLength}\r\n`;
      lengthWritten = true;
      continue;
    }
    if (!TOKEN.test(name)) throw new TypeError(`serializeMessage: bad header name "${name}"`);
    if (LINE_BREAK.test(value)) throw new TypeError(`serializeMessage: CR or LF in the ${name} header`);
    head += `${name}: ${value}\r\n`;
  }
  if (!lengthWritten) head += `Content-Length: ${bodyLength}\r\n`;
  head += '\r\n';

  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + bodyLength);
  out.write(head, 0, headLength, 'utf8');
  msg.body.copy(out, headLength);
  return out;
}

function isContentLength(name: string): boolean {
  if (name.length === 1) return name === 'l' || name === 'L';
  return name.length === 14 && name.toLowerCase() === 'content-length';
}
