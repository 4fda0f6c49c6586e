import { formatParams, parseParams } from './scan';
import { SipParseError, type SipUri } from './types';

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6_REF = /^\[[0-9A-Fa-f:.]+\]$/;
// userinfo characters (RFC 3261 §25.1 user/password: unreserved, escaped, user-unreserved, and ":" for the password)
const USERINFO = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/:]|%[0-9A-Fa-f]{2})+$/;

function checkHost(host: string, uriText: string): void {
  if (isValidHost(host)) return;
  if (host.charCodeAt(0) === 0x5b) throw new SipParseError('bad-uri', `bad IPv6 reference ${host} in ${uriText}`);
  if (IPV4.test(host)) throw new SipParseError('bad-uri', `bad IPv4 address ${host} in ${uriText}`);
  throw new SipParseError('bad-uri', `bad host "${host}" in ${uriText}`);
}

/**
 * A host of RFC 3261 §25.1: a host name, an IPv4 address or an IPv6 reference
 * in brackets (RFC 5118 §4.1; unbracketed IPv6 is no host, §4.2).
 */
export function isValidHost(host: string): boolean {
  if (host.length === 0) return false;
  if (host.charCodeAt(0) === 0x5b) return IPV6_REF.test(host) && isIpv6(host.slice(1, -1));
  if (IPV4.test(host)) return host.split('.').every((o) => Number(o) <= 255);
  return isHostname(host);
}

// RFC 3261 §25.1 hostname: labels of letters, digits and inner "-", split by dots, one trailing dot allowed.
function isHostname(host: string): boolean {
  const n = host.length;
  let labelStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? host.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (i === labelStart) return i === n && i > 0;
      if (host.charCodeAt(labelStart) === 0x2d || host.charCodeAt(i - 1) === 0x2d) return false;
      labelStart = i + 1;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d)) {
      return false;
    }
  }
  return true;
}

/**
 * RFC 4291 §2.2 text forms, with an embedded IPv4 tail allowed. The three-colon
 * form RFC 3261's ABNF lets through before an IPv4 tail (`2001:db8:::192.0.2.1`)
 * is tolerated as "::", as RFC 5118 §4.10 asks; ":::" anywhere else is refused.
 */
export function isIpv6(text: string): boolean {
  let s = text;
  const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  let groupsNeeded = 8;
  if (v4?.[1]) {
    if (v4[1].split('.').some((o) => Number(o) > 255)) return false;
    s = s.slice(0, -v4[1].length);
    if (s.endsWith(':::')) s = s.slice(0, -1);
    s += '0';
    groupsNeeded = 7;
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const all = halves.flatMap(groups);
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length < groupsNeeded : all.length === groupsNeeded;
}

/**
 * Parses a sip:, sips: or tel: URI (RFC 3261 §19.1.1, §25.1; RFC 3966). Scheme
 * and parameter names are case-insensitive; user, host and values are kept as
 * written. Throws SipParseError('bad-uri').
 */
export function parseUri(text: string): SipUri {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new SipParseError('bad-uri', `no scheme in URI "${text}"`);
  const scheme = text.slice(0, colon).toLowerCase();
  const rest = text.slice(colon + 1);
  if (/\s/.test(text)) throw new SipParseError('bad-uri', `whitespace in URI "${text}"`);
  if (scheme === 'tel') {
    const [number = '', ...paramParts] = rest.split(';');
    // global-number or local-number with at least one digit (RFC 3966 §3); two
    // linear tests rather than one regex that backtracks on long input.
    const ok = number.startsWith('+') ? /^\+[0-9\-.()]+$/.test(number) && /[0-9]/.test(number) : /^[0-9A-Fa-f*#\-.()]+$/.test(number) && /[0-9A-Fa-f*#]/.test(number);
    if (!ok) {
      throw new SipParseError('bad-uri', `bad telephone number in "${text}"`);
    }
    return { scheme: 'tel', host: number, params: paramParts.length ? parseParams(paramParts.join(';')) : {}, headers: {} };
  }
  if (scheme !== 'sip' && scheme !== 'sips') throw new SipParseError('unsupported-uri-scheme', `unsupported URI scheme "${scheme}" in "${text}"`);

  // "@" can stand only between userinfo and host (neither params nor headers may
  // hold it unescaped), while userinfo may hold "?" and ";" (RFC 4475 §3.1.1.2):
  // so the userinfo is cut off first, then the headers, then the params.
  const at = rest.indexOf('@');
  let userinfo: string | undefined;
  let afterUser = rest;
  if (at >= 0) {
    userinfo = rest.slice(0, at);
    afterUser = rest.slice(at + 1);
    if (!userinfo || !USERINFO.test(userinfo)) throw new SipParseError('bad-uri', `bad user part in "${text}"`);
  }
  const q = afterUser.indexOf('?');
  let hostport = q < 0 ? afterUser : afterUser.slice(0, q);
  const headersText = q < 0 ? '' : afterUser.slice(q + 1);
  const semi = hostport.indexOf(';');
  const paramsText = semi < 0 ? '' : hostport.slice(semi + 1);
  hostport = semi < 0 ? hostport : hostport.slice(0, semi);

  let host: string;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw new SipParseError('bad-uri', `unclosed IPv6 reference in "${text}"`);
    host = hostport.slice(0, close + 1);
    const after = hostport.slice(close + 1);
    if (after) {
      if (!after.startsWith(':')) throw new SipParseError('bad-uri', `junk after IPv6 reference in "${text}"`);
      portText = after.slice(1);
    }
  } else {
    const pc = hostport.lastIndexOf(':');
    host = pc < 0 ? hostport : hostport.slice(0, pc);
    portText = pc < 0 ? undefined : hostport.slice(pc + 1);
  }
  if (!host) throw new SipParseError('bad-uri', `no host in "${text}"`);
  checkHost(host, text);
  const uri: SipUri = { scheme, host, params: paramsText ? parseParams(paramsText) : {}, headers: {} };
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new SipParseError('bad-uri', `bad port "${portText}" in "${text}"`);
    uri.port = Number(portText);
  }
  if (userinfo !== undefined) {
    const pc = userinfo.indexOf(':');
    uri.user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (pc >= 0) uri.password = userinfo.slice(pc + 1);
  }
  if (headersText) {
    for (const pair of headersText.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SipParseError('bad-uri', `bad URI header "${pair}" in "${text}"`);
      uri.headers[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return uri;
}

export function formatUri(uri: SipUri): string {
  if (uri.scheme === 'tel') return `tel:${uri.host}${formatParams(uri.params)}`;
  const user = uri.user === undefined ? '' : `${uri.user}${uri.password === undefined ? '' : `:${uri.password}`}@`;
  const port = uri.port === undefined ? '' : `:${uri.port}`;
  const headers = Object.entries(uri.headers).map(([k, v]) => `${k}=${v}`).join('&');
  return `${uri.scheme}:${user}${uri.host}${port}${formatParams(uri.params)}${headers ? `?${headers}` : ''}`;
}

const unescape = (s: string) => s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/**
 * URI equality, RFC 3261 §19.1.4: scheme and host case-insensitive, user and
 * password case-sensitive after unescaping, user/ttl/method/maddr/transport
 * params must match when either has them, other params only when both have them,
 * headers must match exactly.
 */
export function urisEqual(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === 'tel') return a.host.replace(/[-.()]/g, '') === b.host.replace(/[-.()]/g, '');
  if ((a.user === undefined) !== (b.user === undefined)) return false;
  if (a.user !== undefined && unescape(a.user) !== unescape(b.user ?? '')) return false;
  if (unescape(a.password ?? '') !== unescape(b.password ?? '')) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase()) return false;
  if (a.port !== b.port) return false;
  for (const p of ['user', 'ttl', 'method', 'maddr', 'transport']) {
    const va = a.params[p];
    const vb = b.params[p];
    if ((va === undefined) !== (vb === undefined)) return false;
    if (va !== undefined && (va ?? '').toLowerCase() !== (vb ?? '').toLowerCase()) return false;
  }
  for (const [k, va] of Object.entries(a.params)) {
    const vb = b.params[k];
    if (vb !== undefined && unescape((va ?? '').toLowerCase()) !== unescape((vb ?? '').toLowerCase())) return false;
  }
  const ha = Object.entries(a.headers);
  if (ha.length !== Object.keys(b.headers).length) return false;
  return ha.every(([k, v]) => Object.entries(b.headers).some(([k2, v2]) => k2.toLowerCase() === k.toLowerCase() && unescape(v2) === unescape(v)));
}
