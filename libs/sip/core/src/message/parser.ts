import { isAscii, isUtf8 } from 'node:buffer';
import { createResponse, EMPTY_BODY, REASON_PHRASES, warningValue } from './build';
import { expandHeaderName, headerKey } from './header-names';
import { parseCSeq, parseMediaType, parseVia, splitNameAddr } from './header-values';
import { HeaderList } from './headers';
import { parseParams, splitOutside } from './scan';
import { SipParseError, type SipMessage, type SipRequest, type SipResponse } from './types';
import { parseUri } from './uri';

/** Bounds on what the parser reads; anything beyond them fails with code `too-large`. */
export interface ParseLimits {
  /** The whole message, start line to the last body byte. */
  maxMessageBytes: number;
  /** Header fields, counted after unfolding (a comma-joined field counts once). */
  maxHeaders: number;
  /** The start line, or one header field (name, colon and unfolded value), in characters. */
  maxLineLength: number;
}

/** 65535 is the largest UDP payload; 256 fields and 8 KiB per field are far beyond real traffic. */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({ maxMessageBytes: 65535, maxHeaders: 256, maxLineLength: 8192 });

export interface ParseOptions {
  /**
   * The message came over a stream (TCP, TLS, WS): Content-Length is mandatory
   * and must equal the body length (RFC 3261 §18.3, §20.14). Otherwise it was a
   * datagram: the body is the rest of the packet, cut to Content-Length.
   */
  stream?: boolean;
  limits?: Partial<ParseLimits>;
}

/**
 * Every `code` a SipParseError from parseMessage can carry. The message of such
 * an error starts with a short phrase fit for a Reason-Phrase, then ": " and the
 * details (the offending text), e.g. `Bad Via header: bad sent-by host "…"`.
 */
export const PARSE_ERROR_CODES = [
  'empty-message',
  'too-large',
  'bad-start-line',
  'unsupported-version',
  'bad-request-uri',
  'unsupported-uri-scheme',
  'bad-header',
  'bad-line-ending',
  'truncated',
  'missing-header',
  'duplicate-header',
  'bad-via',
  'bad-cseq',
  'cseq-method-mismatch',
  'bad-call-id',
  'bad-name-addr',
  'bad-max-forwards',
  'bad-content-length',
  'bad-content-type',
  'bad-date',
  'missing-content-length',
  'content-length-mismatch',
  'malformed',
] as const;
export type ParseErrorCode = (typeof PARSE_ERROR_CODES)[number];

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const HEADER_END = Buffer.from('\r\n\r\n');

// RFC 3261 §25.1 token: methods and header names.
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const SIP_VERSION = /^SIP\/\d+\.\d+$/i;
const STATUS = /^[1-6]\d\d$/;
// A quick screen of the whole head for control characters other than HTAB and
// CRLF pairs (C1 included: controlProblem decides); most heads have none.
const SUSPECT = /[^\P{Cc}\t\r\n]|\r(?!\n)|(?<!\r)\n/u;
const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+\-.]*):/;
// absoluteURI (RFC 3261 §25.1, RFC 2396 uric) for schemes we do not parse.
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+\-.]*:[A-Za-z0-9\-_.!~*'();/?:@&=+$,%[\]#]+$/;
// Call-ID = word ["@" word] (RFC 3261 §25.1).
const CALL_ID = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+)?$/;
const DIGITS = /^\d+$/;
// rfc1123-date, GMT only (RFC 3261 §20.17; RFC 4475 §3.1.2.12).
const SIP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/i;

type StartLine = { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string };

// Header fields the parser checks, by key: indexes into the field list.
interface Seen {
  via: number[];
  to: number[];
  from: number[];
  callId: number[];
  cseq: number[];
  maxForwards: number[];
  contentLength: number[];
  contentType: number[];
  contact: number[];
  date: number[];
}

/**
 * Parses one SIP message (RFC 3261 §7, §25), tolerant of what RFC 4475 §3.1.1
 * calls valid but tricky (folding, odd whitespace, escapes, compact and unknown
 * headers, IPv6 per RFC 5118) and strict about what §3.1.2 calls invalid.
 *
 * Checks the start line, SIP/2.0, the Request-URI, the mandatory headers (To,
 * From, Call-ID, CSeq, Via; Max-Forwards is not required, RFC 4475 §3.4.1),
 * singletons, the CSeq method and Content-Length framing.
 *
 * Throws only SipParseError, its `code` one of PARSE_ERROR_CODES and its
 * message a Reason-Phrase-like head, ": ", then details. When the message is a
 * request with a readable method and at least one Via field, the error carries
 * `request` (method and the header fields read) so that responseForParseError
 * can answer it. Of the limit errors (`too-large`) only a header field longer
 * than `maxLineLength` is answerable (it is skipped and the head read on); the
 * message size, the start line and the header count stop reading at once and
 * carry no request.
 */
export function parseMessage(data: Buffer, opts: ParseOptions = {}): SipMessage {
  try {
    return parse(data, opts);
  } catch (err) {
    if (err instanceof SipParseError) throw err;
    // A safety net, not a path: the fuzz tests assert it is never taken.
    throw new SipParseError('malformed', `Malformed message: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parse(data: Buffer, opts: ParseOptions): SipMessage {
  const limits = opts.limits ? { ...DEFAULT_PARSE_LIMITS, ...opts.limits } : DEFAULT_PARSE_LIMITS;
  const stream = opts.stream === true;
  if (data.length > limits.maxMessageBytes) {
    throw new SipParseError('too-large', `Message Too Large: ${data.length} bytes, the limit is ${limits.maxMessageBytes}`);
  }
  // CRLFs before the start line are ignored (RFC 3261 §7.5; keep-alives, RFC 5626 §4.4.1).
  let start = 0;
  while (start + 1 < data.length && data[start] === CR && data[start + 1] === LF) start += 2;
  if (start >= data.length) throw new SipParseError('empty-message', 'Empty message');

  let headEnd = data.indexOf(HEADER_END, start);
  let bodyStart: number;
  let complete = true;
  if (headEnd < 0) {
    complete = false;
    headEnd = data.length;
    if (headEnd - start >= 2 && data[headEnd - 2] === CR && data[headEnd - 1] === LF) headEnd -= 2;
    bodyStart = data.length;
  } else {
    bodyStart = headEnd + 4;
  }
  const text = decodeHead(data, start, headEnd);

  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  if (eol > limits.maxLineLength) throw new SipParseError('too-large', `Message Too Large: the start line is longer than ${limits.maxLineLength} characters`);
  const suspect = SUSPECT.test(text);
  const { line: startLine, error: startError } = parseStartLine(text.slice(0, eol), suspect);

  // [key, name, value] per field (HeaderList.fromParsed).
  const fields: string[] = [];
  const seen: Seen = { via: [], to: [], from: [], callId: [], cseq: [], maxForwards: [], contentLength: [], contentType: [], contact: [], date: [] };
  let headerError: SipParseError | undefined;
  let lines = 0;
  let pos = eol + 2;
  const end = text.length;
  while (pos < end) {
    let lineEnd = text.indexOf('\r\n', pos);
    if (lineEnd < 0) lineEnd = end;
    const lineStart = pos;
    // A logical line takes every following line that starts with SP or HTAB (folding, RFC 3261 §7.3.1).
    let folded = false;
    let next = lineEnd + 2;
    while (next < end && isWsp(text.charCodeAt(next))) {
      folded = true;
      const e = text.indexOf('\r\n', next);
      lineEnd = e < 0 ? end : e;
      next = lineEnd + 2;
    }
    pos = next;
    if (lineEnd - lineStart > limits.maxLineLength) {
      // Skipped, not kept: the rest of the head is still read (the message is bounded
      // by maxMessageBytes), so that the 513 can go back and name the header.
      headerError ??= new SipParseError('too-large', `Message Too Large: ${describeLongLine(text, lineStart, lineEnd)} is longer than ${limits.maxLineLength} characters`);
      continue;
    }
    if (++lines > limits.maxHeaders) throw new SipParseError('too-large', `Message Too Large: more than ${limits.maxHeaders} headers`);

    const first = text.charCodeAt(lineStart);
    if (isWsp(first)) {
      headerError ??= new SipParseError('bad-header', 'Bad header line: a folded line follows the start line');
      continue;
    }
    const firstLineEnd = folded ? text.indexOf('\r\n', lineStart) : lineEnd;
    // Searched within the line only: a run of colon-less lines must cost linear time.
    let colon = lineStart;
    while (colon < firstLineEnd && text.charCodeAt(colon) !== 0x3a) colon++;
    if (colon >= firstLineEnd) {
      headerError ??= new SipParseError('bad-header', `Bad header line: no colon in "${text.slice(lineStart, Math.min(firstLineEnd, lineStart + 80))}"`);
      continue;
    }
    let nameEnd = colon;
    while (nameEnd > lineStart && isWsp(text.charCodeAt(nameEnd - 1))) nameEnd--;
    const rawName = text.slice(lineStart, nameEnd);
    const known = headerName(rawName);
    if (!known) {
      headerError ??= new SipParseError('bad-header', `Bad header line: bad header name "${rawName.slice(0, 80)}"`);
      continue;
    }
    const { name, key } = known;
    const value = folded ? unfold(text, colon + 1, lineEnd) : trimWsp(text, colon + 1, lineEnd);
    if (suspect) {
      const problem = controlProblem(value);
      if (problem) {
        headerError ??= new SipParseError(
          problem === 'line-ending' ? 'bad-line-ending' : 'bad-header',
          problem === 'line-ending' ? `Bad line ending: a bare CR or LF in the ${name} header` : `Bad header line: control characters in the ${name} header`,
        );
        continue;
      }
    }
    note(seen, key, fields.length / 3);
    fields.push(key, name, value);
  }

  const headers = HeaderList.fromParsed(fields);
  const fail = (code: ParseErrorCode, message: string): SipParseError => new SipParseError(code, message, requestFor(startLine, headers, seen));

  if (!startLine) throw startError ?? new SipParseError('bad-start-line', 'Bad start line');
  if (startError) throw fail(startError.code as ParseErrorCode, startError.message);
  if (headerError) throw fail(headerError.code as ParseErrorCode, headerError.message);
  if (!complete) throw fail('truncated', 'Incomplete message: no empty line after the headers');

  checkHeaders(startLine, fields, seen, fail);

  // Framing (RFC 3261 §18.3): Content-Length is mandatory on streams; on datagrams
  // the body is the rest of the packet, cut to Content-Length, never shorter than it.
  const available = data.length - bodyStart;
  let bodyLength = available;
  const clIndex = seen.contentLength[0];
  if (clIndex === undefined) {
    if (stream) throw fail('missing-content-length', 'Missing Content-Length header: it is mandatory on a stream transport');
  } else {
    const cl = Number(fields[clIndex * 3 + 2]);
    if (cl > available || (stream && cl !== available)) {
      throw fail('content-length-mismatch', `Content-Length mismatch: the header says ${cl}, the body has ${available} bytes`);
    }
    bodyLength = cl;
  }
  const body = bodyLength === 0 ? EMPTY_BODY : Buffer.from(data.subarray(bodyStart, bodyStart + bodyLength));

  if (startLine.kind === 'request') {
    const req: SipRequest = { kind: 'request', method: startLine.method, uri: startLine.uri, version: 'SIP/2.0', headers, body };
    return req;
  }
  const res: SipResponse = { kind: 'response', version: 'SIP/2.0', status: startLine.status, reason: startLine.reason, headers, body };
  return res;
}

// ASCII and UTF-8 heads decode as such; anything else as Latin-1 rather than lose bytes to U+FFFD.
function decodeHead(data: Buffer, start: number, end: number): string {
  const head = data.subarray(start, end);
  if (isAscii(head) || !isUtf8(head)) return data.toString('latin1', start, end);
  return data.toString('utf8', start, end);
}

// Header names seen before, so that the usual ones skip the token check and
// lower-casing. Bounded: once full, new names take the slow path.
const NAME_CACHE = new Map<string, { name: string; key: string }>();
const NAME_CACHE_MAX = 1024;

function headerName(raw: string): { name: string; key: string } | undefined {
  const cached = NAME_CACHE.get(raw);
  if (cached) return cached;
  if (!TOKEN.test(raw)) return undefined;
  const entry = raw.length === 1 ? { name: expandHeaderName(raw), key: headerKey(raw) } : { name: raw, key: raw.toLowerCase() };
  if (NAME_CACHE.size < NAME_CACHE_MAX) NAME_CACHE.set(raw, entry);
  return entry;
}

// "the X-Foo header" for a header line too long to keep, from its first characters only.
function describeLongLine(text: string, from: number, to: number): string {
  const head = text.slice(from, Math.min(to, from + 100));
  const colon = head.indexOf(':');
  const name = colon > 0 ? head.slice(0, colon).trim() : '';
  return TOKEN.test(name) ? `the ${name} header` : 'a header';
}

function isWsp(c: number): boolean {
  return c === SP || c === HT;
}

function trimWsp(text: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && isWsp(text.charCodeAt(a))) a++;
  while (b > a && isWsp(text.charCodeAt(b - 1))) b--;
  return text.slice(a, b);
}

// Each fold (any WSP, CRLF, WSP) becomes one SP; the rest of the text stays as written.
function unfold(text: string, from: number, to: number): string {
  let out = '';
  let pos = from;
  while (pos < to) {
    let e = text.indexOf('\r\n', pos);
    if (e < 0 || e > to) e = to;
    const piece = trimWsp(text, pos, e);
    if (piece) out = out ? `${out} ${piece}` : piece;
    pos = e + 2;
  }
  return out;
}

// A control character is allowed only as a quoted-pair (`\` and the octet,
// RFC 3261 §25.1, RFC 4475 §3.1.1.2), and never CR or LF.
function controlProblem(value: string): 'line-ending' | 'control' | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x5c) {
      const n = value.charCodeAt(i + 1);
      if (n === CR || n === LF) return 'line-ending';
      i++;
    } else if (c === CR || c === LF) {
      return 'line-ending';
    } else if ((c < SP && c !== HT) || c === 0x7f) {
      return 'control';
    }
  }
  return undefined;
}

function note(seen: Seen, key: string, index: number): void {
  switch (key) {
    case 'via':
      seen.via.push(index);
      break;
    case 'to':
      seen.to.push(index);
      break;
    case 'from':
      seen.from.push(index);
      break;
    case 'call-id':
      seen.callId.push(index);
      break;
    case 'cseq':
      seen.cseq.push(index);
      break;
    case 'max-forwards':
      seen.maxForwards.push(index);
      break;
    case 'content-length':
      seen.contentLength.push(index);
      break;
    case 'content-type':
      seen.contentType.push(index);
      break;
    case 'contact':
      seen.contact.push(index);
      break;
    case 'date':
      seen.date.push(index);
      break;
    default:
  }
}

// The start line (RFC 3261 §7.1, §7.2): `Method SP Request-URI SP SIP-Version`
// with single spaces and nothing after, or `SIP-Version SP Status-Code SP Reason`.
// For a request with a readable method the line is returned with its error, so
// that the error can carry the request and be answered.
function parseStartLine(line: string, suspect: boolean): { line?: StartLine; error?: SipParseError } {
  if (suspect && controlProblem(line)) return { error: new SipParseError('bad-start-line', 'Bad start line: control characters') };
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') return parseStatusLine(line);

  const sp1 = line.indexOf(' ');
  const method = sp1 < 0 ? line : line.slice(0, sp1);
  if (!TOKEN.test(method)) return { error: new SipParseError('bad-start-line', `Bad start line: "${line.slice(0, 80)}"`) };
  const sp2 = line.lastIndexOf(' ');
  if (sp1 < 0 || sp2 === sp1) {
    return { line: { kind: 'request', method, uri: '' }, error: new SipParseError('bad-start-line', `Bad Request-Line: "${line.slice(0, 80)}"`) };
  }
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  const request: StartLine = { kind: 'request', method, uri };
  // RFC 4475 §3.1.2.8-10: LWS inside the Request-URI, doubled or trailing SP.
  if (!SIP_VERSION.test(version) || uri.length === 0 || uri.includes(' ') || uri.includes('\t')) {
    return { line: request, error: new SipParseError('bad-start-line', `Bad Request-Line: "${line.slice(0, 80)}"`) };
  }
  if (version.toUpperCase() !== 'SIP/2.0') return { line: request, error: new SipParseError('unsupported-version', `Version Not Supported: ${version}`) };
  const uriError = checkRequestUri(uri);
  return uriError ? { line: request, error: uriError } : { line: request };
}

function parseStatusLine(line: string): { line?: StartLine; error?: SipParseError } {
  const sp1 = line.indexOf(' ');
  const version = sp1 < 0 ? line : line.slice(0, sp1);
  if (!SIP_VERSION.test(version)) return { error: new SipParseError('bad-start-line', `Bad Status-Line: "${line.slice(0, 80)}"`) };
  if (version.toUpperCase() !== 'SIP/2.0') return { error: new SipParseError('unsupported-version', `Version Not Supported: ${version}`) };
  const rest = sp1 < 0 ? '' : line.slice(sp1 + 1);
  const sp2 = rest.indexOf(' ');
  const code = sp2 < 0 ? rest : rest.slice(0, sp2);
  // Status-Code is 3DIGIT, 100-699 (RFC 3261 §7.2, §21; RFC 4475 §3.1.2.19).
  if (!STATUS.test(code)) return { error: new SipParseError('bad-start-line', `Bad Status-Line: bad status code "${code.slice(0, 20)}"`) };
  // An empty Reason-Phrase is valid (RFC 4475 §3.1.1.13); so is a missing SP before it, leniently.
  return { line: { kind: 'response', status: Number(code), reason: sp2 < 0 ? '' : rest.slice(sp2 + 1) } };
}

// sip:, sips: and tel: URIs must parse and carry no headers (RFC 3261 §19.1.1
// table 1; RFC 4475 §3.1.2.11); any other well-formed absoluteURI is a scheme
// we do not serve (416, RFC 4475 §3.3.2, §3.3.3).
function checkRequestUri(uri: string): SipParseError | undefined {
  const m = URI_SCHEME.exec(uri);
  if (!m) return new SipParseError('bad-request-uri', `Bad Request-URI: "${uri.slice(0, 200)}"`);
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
    return ABSOLUTE_URI.test(uri)
      ? new SipParseError('unsupported-uri-scheme', `Unsupported URI Scheme: ${scheme}`)
      : new SipParseError('bad-request-uri', `Bad Request-URI: "${uri.slice(0, 200)}"`);
  }
  try {
    const parsed = parseUri(uri);
    if (Object.keys(parsed.headers).length > 0) return new SipParseError('bad-request-uri', `Bad Request-URI: headers are not allowed in "${uri.slice(0, 200)}"`);
    return undefined;
  } catch (err) {
    return new SipParseError('bad-request-uri', `Bad Request-URI: ${(err instanceof Error ? err.message : String(err)).slice(0, 300)}`);
  }
}

// The request an error can answer: a Request-Line with a readable method and at
// least one Via field, as received (the response goes back by them or, when the
// top one does not parse, to the source address; RFC 3261 §18.2.2).
function requestFor(line: StartLine | undefined, headers: HeaderList, seen: Seen): { method: string; headers: HeaderList } | undefined {
  if (line?.kind !== 'request' || seen.via.length === 0) return undefined;
  return { method: line.method, headers };
}

const SINGLETONS: [keyof Seen, string][] = [
  ['to', 'To'],
  ['from', 'From'],
  ['callId', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['maxForwards', 'Max-Forwards'],
  ['contentLength', 'Content-Length'],
  ['contentType', 'Content-Type'],
];

function checkHeaders(line: StartLine, fields: string[], seen: Seen, fail: (code: ParseErrorCode, message: string) => SipParseError): void {
  const valueAt = (index: number | undefined): string => (index === undefined ? '' : (fields[index * 3 + 2] ?? ''));
  const guard = (code: ParseErrorCode, header: string, check: () => void): void => {
    try {
      check();
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      throw fail(code, `Bad ${header} header: ${err.message.slice(0, 300)}`);
    }
  };

  // Mandatory headers (RFC 3261 §8.1.1, §20). Max-Forwards is not among them: RFC 2543
  // requests have none and must still be accepted (RFC 4475 §3.4.1).
  const missing = (
    [
      ['via', 'Via'],
      ['to', 'To'],
      ['from', 'From'],
      ['callId', 'Call-ID'],
      ['cseq', 'CSeq'],
    ] as [keyof Seen, string][]
  )
    .filter(([k]) => seen[k].length === 0)
    .map(([, n]) => n);
  if (missing.length > 0) throw fail('missing-header', `Missing ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}`);

  for (const index of seen.via) {
    const value = valueAt(index);
    guard('bad-via', 'Via', () => {
      const entries = value.includes(',') ? splitOutside(value, ',') : [value];
      if (entries.length === 0) throw new SipParseError('bad-via', 'empty Via');
      for (const v of entries) parseVia(v);
    });
  }

  // Exactly one of each (RFC 3261 §7.3.1, §20; RFC 4475 §3.3.8, §3.3.9).
  const doubled = SINGLETONS.filter(([k]) => seen[k].length > 1).map(([, n]) => n);
  if (doubled.length > 0) throw fail('duplicate-header', `Duplicate ${doubled.join(', ')} header${doubled.length > 1 ? 's' : ''}`);

  const cseqText = valueAt(seen.cseq[0]);
  let cseqMethod = '';
  guard('bad-cseq', 'CSeq', () => {
    cseqMethod = parseCSeq(cseqText).method;
  });
  // The CSeq method equals the request method, ACK and CANCEL included (RFC 3261 §8.1.1.5; RFC 4475 §3.1.2.17).
  if (line.kind === 'request' && cseqMethod !== line.method) {
    throw fail('cseq-method-mismatch', `CSeq method does not match the request: "${cseqMethod}" in CSeq, "${line.method}" in the Request-Line`);
  }

  const callId = valueAt(seen.callId[0]);
  if (!CALL_ID.test(callId)) throw fail('bad-call-id', `Bad Call-ID header: "${callId.slice(0, 200)}"`);

  guard('bad-name-addr', 'From', () => checkNameAddr(valueAt(seen.from[0])));
  guard('bad-name-addr', 'To', () => checkNameAddr(valueAt(seen.to[0])));
  for (const index of seen.contact) {
    const value = valueAt(index);
    if (value === '*') continue;
    guard('bad-name-addr', 'Contact', () => {
      const entries = value.includes(',') ? splitOutside(value, ',') : [value];
      if (entries.length === 0) throw new SipParseError('bad-name-addr', 'empty Contact');
      for (const c of entries) checkNameAddr(c);
    });
  }

  const maxForwards = seen.maxForwards[0];
  if (maxForwards !== undefined) {
    // 0-255 (RFC 3261 §20.22; leading zeros allowed, RFC 4475 §3.1.1.1; overlarge refused, §3.1.2.4).
    const v = valueAt(maxForwards);
    if (!DIGITS.test(v) || Number(v) > 255) throw fail('bad-max-forwards', `Bad Max-Forwards header: "${v.slice(0, 40)}"`);
  }

  const contentLength = seen.contentLength[0];
  if (contentLength !== undefined) {
    const v = valueAt(contentLength);
    if (!DIGITS.test(v) || v.replace(/^0+(?=\d)/, '').length > 10) throw fail('bad-content-length', `Bad Content-Length header: "${v.slice(0, 40)}"`);
  }

  const contentType = seen.contentType[0];
  if (contentType !== undefined) {
    guard('bad-content-type', 'Content-Type', () => {
      const v = valueAt(contentType);
      if (!parseMediaType(v).type.includes('/')) throw new SipParseError('bad-content-type', `no subtype in "${v.slice(0, 200)}"`);
    });
  }

  for (const index of seen.date) {
    const v = valueAt(index);
    if (!SIP_DATE.test(v)) throw fail('bad-date', `Bad Date header: "${v.slice(0, 80)}"`);
  }
}

// Validates a name-addr / addr-spec: sip:, sips: and tel: URIs fully, other
// schemes as absoluteURI only, since To, From and Contact may carry any URI a
// parser must accept (RFC 4475 §3.3.4).
function checkNameAddr(value: string): void {
  const parts = splitNameAddr(value);
  const m = URI_SCHEME.exec(parts.uriText);
  const scheme = (m?.[1] ?? '').toLowerCase();
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') parseUri(parts.uriText);
  else if (!ABSOLUTE_URI.test(parts.uriText)) throw new SipParseError('bad-uri', `bad URI "${parts.uriText.slice(0, 200)}"`);
  if (parts.paramsText !== undefined) parseParams(parts.paramsText);
}

/**
 * The response a parse error calls for (RFC 3261 §8.2, §21): 505 for another
 * SIP version, 416 for a Request-URI scheme we do not serve, 513 for a header
 * field beyond the parser's limits (§21.5.7), else 400, with a
 * Reason-Phrase naming the problem (`400 Missing Call-ID header`) and a
 * `Warning: 399 - "…"` (RFC 3261 §20.43) with the details, printable ASCII only.
 * Via, From, To (tagged), Call-ID and CSeq are copied as received. Undefined
 * when the error carries no request, or the request is an ACK (never answered,
 * RFC 3261 §17.2.3).
 */
export function responseForParseError(err: SipParseError): SipResponse | undefined {
  const req = err.request;
  if (!req || req.method === 'ACK') return undefined;
  const status = err.code === 'unsupported-version' ? 505 : err.code === 'unsupported-uri-scheme' ? 416 : err.code === 'too-large' ? 513 : 400;
  const colon = err.message.indexOf(': ');
  const head = printable(colon < 0 ? err.message : err.message.slice(0, colon)).slice(0, 100).trim();
  const reason = head || REASON_PHRASES[status] || 'Bad Request';
  const request: SipRequest = { kind: 'request', method: req.method, uri: '', version: 'SIP/2.0', headers: req.headers, body: EMPTY_BODY };
  const res = createResponse(request, status, reason);
  res.headers.delete('Content-Length');
  res.headers.append('Warning', warningValue(err.message));
  res.headers.append('Content-Length', '0');
  return res;
}

// Printable ASCII only, for text that goes back on the wire.
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
