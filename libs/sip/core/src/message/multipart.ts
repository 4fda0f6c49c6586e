import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { expandHeaderName } from './header-names';
import { parseMediaType } from './header-values';
import { HeaderList } from './headers';
import { SipParseError, type HeaderField, type Headers } from './types';

/** One body part: its MIME headers (Content-Type, Content-Disposition, Content-ID, …) and its bytes. */
export interface MultipartPart {
  headers: HeaderList;
  body: Buffer;
}

/** A part to build: headers as a list, pairs or an object, and the body. */
export interface MultipartPartInit {
  headers: Headers | [string, string][] | Record<string, string | string[]>;
  body: Buffer | string;
}

const CR = 0x0d;
const LF = 0x0a;
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
// RFC 2046 §5.1.1: 1-70 bchars, not ending in a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/**
 * Splits a multipart body (RFC 2046 §5.1; in SIP, RFC 5621; SIPREC's SDP plus
 * rs-metadata, RFC 7866 §8). The boundary comes from `contentType`; preamble and
 * epilogue are ignored; the CRLF before each delimiter belongs to the delimiter;
 * a part is its headers, an empty line and its body (no headers: the part starts
 * with the empty line). Nested multiparts are returned as parts, not descended.
 *
 * Throws SipParseError: `bad-content-type` (not multipart/*), `multipart-no-boundary`,
 * `multipart-no-delimiter` (the boundary never starts a line), `multipart-unclosed`
 * (no closing `--boundary--`), `multipart-bad-part` (a part's headers do not parse).
 */
export function parseMultipart(body: Buffer, contentType: string): { parts: MultipartPart[] } {
  const media = parseMediaType(contentType);
  if (!media.type.startsWith('multipart/')) throw new SipParseError('bad-content-type', `not a multipart body: "${contentType}"`);
  const boundary = media.params['boundary'];
  if (boundary === undefined || boundary === '') throw new SipParseError('multipart-no-boundary', `no boundary in "${contentType}"`);
  if (!BOUNDARY.test(boundary)) throw new SipParseError('multipart-no-boundary', `bad boundary "${boundary}"`);
  const dashBoundary = Buffer.from(`--${boundary}`, 'latin1');

  let delimiter = findDelimiter(body, dashBoundary, 0);
  if (!delimiter) throw new SipParseError('multipart-no-delimiter', `the boundary "${boundary}" starts no line of the body`);
  const parts: MultipartPart[] = [];
  while (!delimiter.close) {
    const next = findDelimiter(body, dashBoundary, delimiter.lineEnd);
    if (!next) throw new SipParseError('multipart-unclosed', `no closing delimiter "--${boundary}--"`);
    // The CRLF before the next delimiter is not part of this part (RFC 2046 §5.1.1).
    const end = Math.max(delimiter.lineEnd, next.start - 2);
    parts.push(parsePart(body.subarray(delimiter.lineEnd, end), parts.length));
    delimiter = next;
  }
  return { parts };
}

interface Delimiter {
  start: number;
  /** After the CRLF that ends the delimiter line (or the end of the body for the close delimiter). */
  lineEnd: number;
  close: boolean;
}

// The next `--boundary` at the start of a line, followed by `--` or not, transport padding and CRLF.
function findDelimiter(body: Buffer, dashBoundary: Buffer, from: number): Delimiter | undefined {
  let i = from;
  for (;;) {
    const at = body.indexOf(dashBoundary, i);
    if (at < 0) return undefined;
    i = at + 1;
    if (at !== 0 && !(at >= 2 && body[at - 2] === CR && body[at - 1] === LF)) continue;
    let j = at + dashBoundary.length;
    const close = body[j] === 0x2d && body[j + 1] === 0x2d;
    if (close) j += 2;
    while (body[j] === 0x20 || body[j] === 0x09) j++;
    if (j >= body.length && close) return { start: at, lineEnd: body.length, close };
    if (body[j] === CR && body[j + 1] === LF) return { start: at, lineEnd: j + 2, close };
    // "--boundary" followed by more bchars is another string, not this delimiter.
  }
}

function parsePart(content: Buffer, index: number): MultipartPart {
  if (content.length >= 2 && content[0] === CR && content[1] === LF) return { headers: new HeaderList(), body: Buffer.from(content.subarray(2)) };
  const blank = content.indexOf('\r\n\r\n');
  const headEnd = blank < 0 ? content.length : blank;
  const head = content.subarray(0, headEnd);
  const text = head.toString(isUtf8(head) ? 'utf8' : 'latin1');
  const fields: HeaderField[] = [];
  for (const line of unfoldLines(text)) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trimEnd();
    if (!TOKEN.test(name)) throw new SipParseError('multipart-bad-part', `part ${index + 1}: bad header line "${line.slice(0, 80)}"`);
    fields.push({ name: expandHeaderName(name), value: line.slice(colon + 1).trim() });
  }
  return { headers: new HeaderList(fields), body: blank < 0 ? Buffer.alloc(0) : Buffer.from(content.subarray(blank + 4)) };
}

// Header lines with folds (CRLF + WSP) joined by one SP.
function unfoldLines(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\r\n')) {
    const c = raw.charCodeAt(0);
    const last = lines.length - 1;
    if ((c === 0x20 || c === 0x09) && last >= 0) lines[last] = `${(lines[last] ?? '').trimEnd()} ${raw.trim()}`;
    else lines.push(raw);
  }
  return lines;
}

/**
 * Builds a multipart/mixed body (RFC 2046 §5.1.1): each part's headers, an
 * empty line and its body, between `--boundary` lines, closed by
 * `--boundary--`. Without `boundary`, a random one is made that occurs in no
 * part; a given boundary that occurs in a part, or is no valid boundary, throws
 * a RangeError. Returns the body and its Content-Type value.
 */
export function buildMultipart(parts: readonly MultipartPartInit[], boundary?: string): { body: Buffer; contentType: string } {
  const encoded = parts.map((p) => {
    const fields: [string, string][] = Array.isArray(p.headers) ? p.headers : isHeaders(p.headers) ? [...p.headers].map((f) => [f.name, f.value]) : [...HeaderList.from(p.headers)].map((f) => [f.name, f.value]);
    const head = fields.map(([n, v]) => `${n}: ${v}\r\n`).join('');
    return { head: Buffer.from(head, 'utf8'), body: typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body };
  });
  const occurs = (b: string): boolean => encoded.some((e) => e.head.includes(b, 0, 'latin1') || e.body.includes(b, 0, 'latin1'));
  let chosen = boundary;
  if (chosen === undefined) {
    // 96 random bits: a clash with the content is all but impossible, but checked all the same.
    for (let attempt = 0; attempt < 8 && chosen === undefined; attempt++) {
      const candidate = `ci-${randomBytes(12).toString('hex')}`;
      if (!occurs(candidate)) chosen = candidate;
    }
    if (chosen === undefined) throw new RangeError('buildMultipart: no boundary found that occurs in no part');
  } else {
    if (!BOUNDARY.test(chosen)) throw new RangeError(`buildMultipart: "${chosen}" is no valid boundary (RFC 2046 §5.1.1)`);
    if (occurs(chosen)) throw new RangeError(`buildMultipart: the boundary "${chosen}" occurs in a part`);
  }
  const chunks: Buffer[] = [];
  for (const e of encoded) chunks.push(Buffer.from(`--${chosen}\r\n`, 'latin1'), e.head, Buffer.from('\r\n'), e.body, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${chosen}--\r\n`, 'latin1'));
  const quoted = TOKEN.test(chosen) ? chosen : `"${chosen}"`;
  return { body: Buffer.concat(chunks), contentType: `multipart/mixed;boundary=${quoted}` };
}

function isHeaders(h: MultipartPartInit['headers']): h is Headers {
  return !Array.isArray(h) && typeof (h as Partial<Headers>)[Symbol.iterator] === 'function';
}

/** The first part whose Content-Type media type is `contentType` (parameters ignored, case-insensitive). */
export function findPart(parts: readonly MultipartPart[], contentType: string): MultipartPart | undefined {
  const wanted = contentType.trim().toLowerCase();
  return parts.find((p) => {
    const ct = p.headers.get('Content-Type');
    if (ct === undefined) return false;
    try {
      return parseMediaType(ct).type === wanted;
    } catch (err) {
      if (err instanceof SipParseError) return false;
      throw err;
    }
  });
}
