import { formatParams, isTokenChar, parseParams, quoteIfNeeded, readQuoted } from './scan';
import { formatUri, isValidHost, parseUri } from './uri';
import { SipParseError, type CSeq, type NameAddr, type Via } from './types';

const isWsp = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * Via: `SIP/2.0/UDP host[:port];params` (RFC 3261 §20.42, §25.1 via-parm; LWS
 * allowed around "/", ":" and ";"). The sent-by host must be a host name, an
 * IPv4 address or a bracketed IPv6 reference (RFC 5118 §4.5).
 */
export function parseVia(value: string): Via {
  const n = value.length;
  const fail = (why: string): SipParseError => new SipParseError('bad-via', `${why} in Via "${value}"`);
  let i = 0;
  const skipWsp = (): void => {
    while (i < n && isWsp(value.charCodeAt(i))) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && isTokenChar(value.charCodeAt(i))) i++;
    return value.slice(start, i);
  };
  const slash = (): void => {
    skipWsp();
    if (value.charCodeAt(i) !== 0x2f) throw fail('bad sent-protocol');
    i++;
    skipWsp();
  };

  skipWsp();
  const name = token();
  if (!name) throw fail('bad sent-protocol');
  slash();
  const versionStart = i;
  while (i < n && ((value.charCodeAt(i) >= 0x30 && value.charCodeAt(i) <= 0x39) || value.charCodeAt(i) === 0x2e)) i++;
  const version = value.slice(versionStart, i);
  if (!version) throw fail('bad sent-protocol');
  slash();
  const transport = token();
  if (!transport) throw fail('bad sent-protocol');
  if (!isWsp(value.charCodeAt(i))) throw fail('no LWS before sent-by');
  skipWsp();

  const hostStart = i;
  if (value.charCodeAt(i) === 0x5b) {
    const close = value.indexOf(']', i);
    i = close < 0 ? n : close + 1;
  } else {
    while (i < n && !isWsp(value.charCodeAt(i)) && value.charCodeAt(i) !== 0x3a && value.charCodeAt(i) !== 0x3b) i++;
  }
  const host = value.slice(hostStart, i);
  if (!host) throw fail('no host');
  if (!isValidHost(host)) throw fail(`bad sent-by host "${host}"`);
  skipWsp();
  let port: number | undefined;
  if (value.charCodeAt(i) === 0x3a) {
    i++;
    skipWsp();
    const portStart = i;
    while (i < n && value.charCodeAt(i) >= 0x30 && value.charCodeAt(i) <= 0x39) i++;
    if (i === portStart || i - portStart > 5) throw fail('bad port');
    port = Number(value.slice(portStart, i));
    if (port > 65535) throw fail('bad port');
    skipWsp();
  }
  let params: Via['params'] = {};
  if (i < n) {
    if (value.charCodeAt(i) !== 0x3b) throw fail('junk after sent-by');
    params = parseParams(value.slice(i + 1));
  }
  const via: Via = { protocol: `${name.toUpperCase()}/${version}`, transport: transport.toUpperCase(), host, params };
  if (port !== undefined) via.port = port;
  return via;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${via.host}${via.port === undefined ? '' : `:${via.port}`}${formatParams(via.params)}`;
}

/** The pieces of a name-addr / addr-spec value, before the URI is parsed. */
export interface NameAddrParts {
  displayName?: string;
  /** The URI text as written between < and >, or the addr-spec up to the first ";". */
  uriText: string;
  /** What follows the ";" that starts the header parameters; absent when there is no ";". */
  paramsText?: string;
}

const DISPLAY_NAME_TOKENS = /^[A-Za-z0-9\-.!%*_+`'~ \t]+$/;

/**
 * Splits a name-addr or addr-spec with header params (From, To, Contact, Route,
 * …; RFC 3261 §20.10, §20.20, §25.1) into display name, URI text and parameter
 * text, without parsing the URI. In the addr-spec form every ";param" belongs to
 * the header, not to the URI (§20.10). No whitespace may stand inside <>
 * (LAQUOT/RAQUOT; RFC 4475 §3.1.2.14).
 */
export function splitNameAddr(value: string): NameAddrParts {
  const text = value.trim();
  let displayName: string | undefined;
  let i = 0;
  if (text.charCodeAt(0) === 0x22) {
    const q = readQuoted(text, 0);
    displayName = q.text;
    i = q.end;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '<') throw new SipParseError('bad-name-addr', `quoted display name without <URI> in "${value}"`);
  }
  const lt = text.indexOf('<', i);
  let uriText: string;
  let rest: string;
  if (lt >= 0) {
    if (displayName === undefined) {
      const name = text.slice(0, lt).trim();
      if (name) {
        if (!DISPLAY_NAME_TOKENS.test(name)) throw new SipParseError('bad-name-addr', `bad display name in "${value}"`);
        displayName = name.replace(/\s+/g, ' ');
      }
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new SipParseError('bad-name-addr', `unclosed <URI> in "${value}"`);
    uriText = text.slice(lt + 1, gt);
    rest = text.slice(gt + 1).trim();
  } else {
    const semi = text.indexOf(';');
    uriText = (semi < 0 ? text : text.slice(0, semi)).trimEnd();
    rest = semi < 0 ? '' : text.slice(semi);
    if (/[,?]/.test(uriText)) throw new SipParseError('bad-name-addr', `an addr-spec with "," or "?" needs <> in "${value}"`);
  }
  if (rest && rest.charCodeAt(0) !== 0x3b) throw new SipParseError('bad-name-addr', `junk after URI in "${value}"`);
  const parts: NameAddrParts = { uriText };
  if (rest) parts.paramsText = rest.slice(1);
  if (displayName !== undefined) parts.displayName = displayName;
  return parts;
}

/**
 * name-addr or addr-spec with header params (From, To, Contact, Route, …; RFC 3261
 * §20.10, §20.20). In the addr-spec form every ";param" belongs to the header,
 * not to the URI (§20.10), so `sip:a@b;tag=x` has tag x. Only sip:, sips: and
 * tel: URIs are parsed (others throw `unsupported-uri-scheme`).
 */
export function parseNameAddr(value: string): NameAddr {
  const parts = splitNameAddr(value);
  const out: NameAddr = { uri: parseUri(parts.uriText), params: parts.paramsText === undefined ? {} : parseParams(parts.paramsText) };
  if (parts.displayName !== undefined) out.displayName = parts.displayName;
  return out;
}

export function formatNameAddr(na: NameAddr): string {
  const name = na.displayName === undefined || na.displayName === '' ? '' : `${quoteIfNeeded(na.displayName)} `;
  return `${name}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}

/** CSeq: `4711 INVITE`, the number below 2^31 (RFC 3261 §8.1.1.5). */
export function parseCSeq(value: string): CSeq {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(value);
  if (!m) throw new SipParseError('bad-cseq', `bad CSeq "${value}"`);
  const seq = Number(m[1]);
  if (seq > 2 ** 31 - 1) throw new SipParseError('bad-cseq', `CSeq number ${m[1]} is not below 2^31`);
  return { seq, method: m[2] ?? '' };
}

/** Content-Type / Content-Disposition style: `type/subtype;params` → lower-cased type and params (quotes removed). */
export function parseMediaType(value: string): { type: string; params: Record<string, string> } {
  const semi = value.indexOf(';');
  const t = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (!/^[a-z0-9\-.!%*_+`'~]+(\/[a-z0-9\-.!%*_+`'~]+)?$/.test(t)) throw new SipParseError('bad-content-type', `bad media type "${value}"`);
  const params: Record<string, string> = {};
  const raw = semi < 0 ? {} : parseParams(value.slice(semi + 1));
  for (const [k, v] of Object.entries(raw)) params[k] = v === null ? '' : v.startsWith('"') ? readQuoted(v, 0).text : v;
  return { type: t, params };
}
