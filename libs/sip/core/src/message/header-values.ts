import { formatParams, parseParams, quoteIfNeeded, readQuoted, splitOutside } from './scan';
import { formatUri, parseUri } from './uri';
import { SipParseError, type CSeq, type NameAddr, type Via } from './types';

/** Via: `SIP/2.0/UDP host[:port];params` (RFC 3261 §20.42; LWS allowed around "/" and ":"). */
export function parseVia(value: string): Via {
  const m = /^\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*\/\s*([0-9.]+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+([^;\s]+(?:\s*:\s*\d+)?)\s*(;.*)?$/s.exec(value);
  if (!m) throw new SipParseError('bad-via', `bad Via "${value}"`);
  const [, name = '', version = '', transport = '', hostport = '', paramsText] = m;
  const compact = hostport.replace(/\s+/g, '');
  let host = compact;
  let port: number | undefined;
  const ipv6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(compact);
  if (ipv6) {
    host = ipv6[1] ?? '';
    if (ipv6[2] !== undefined) port = Number(ipv6[2]);
  } else {
    const pc = compact.lastIndexOf(':');
    if (pc >= 0) {
      host = compact.slice(0, pc);
      port = Number(compact.slice(pc + 1));
    }
  }
  if (port !== undefined && (!Number.isInteger(port) || port > 65535)) throw new SipParseError('bad-via', `bad port in Via "${value}"`);
  if (!host) throw new SipParseError('bad-via', `no host in Via "${value}"`);
  const via: Via = { protocol: `${name.toUpperCase()}/${version}`, transport: transport.toUpperCase(), host, params: paramsText ? parseParams(paramsText.replace(/^\s*;/, '')) : {} };
  if (port !== undefined) via.port = port;
  return via;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${via.host}${via.port === undefined ? '' : `:${via.port}`}${formatParams(via.params)}`;
}

/**
 * name-addr or addr-spec with header params (From, To, Contact, Route, …; RFC 3261
 * §20.10, §20.20). In the addr-spec form every ";param" belongs to the header,
 * not to the URI (§20.10), so `sip:a@b;tag=x` has tag x.
 */
export function parseNameAddr(value: string): NameAddr {
  const text = value.trim();
  let displayName: string | undefined;
  let uriText: string;
  let rest: string;
  let i = 0;
  if (text.startsWith('"')) {
    const q = readQuoted(text, 0);
    displayName = q.text;
    i = q.end;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '<') throw new SipParseError('bad-name-addr', `quoted display name without <URI> in "${value}"`);
  }
  const lt = text.indexOf('<', i);
  if (lt >= 0) {
    if (displayName === undefined) {
      const name = text.slice(0, lt).trim();
      if (name) {
        if (!/^[A-Za-z0-9\-.!%*_+`'~ \t]+$/.test(name)) throw new SipParseError('bad-name-addr', `bad display name in "${value}"`);
        displayName = name.replace(/\s+/g, ' ');
      }
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new SipParseError('bad-name-addr', `unclosed <URI> in "${value}"`);
    uriText = text.slice(lt + 1, gt);
    rest = text.slice(gt + 1).trim();
  } else {
    const semi = text.indexOf(';');
    uriText = semi < 0 ? text : text.slice(0, semi);
    rest = semi < 0 ? '' : text.slice(semi);
    if (/[,?]/.test(uriText)) throw new SipParseError('bad-name-addr', `an addr-spec with "," or "?" needs <> in "${value}"`);
  }
  if (rest && !rest.startsWith(';')) throw new SipParseError('bad-name-addr', `junk after URI in "${value}"`);
  const out: NameAddr = { uri: parseUri(uriText.trim()), params: rest ? parseParams(rest.slice(1)) : {} };
  if (displayName !== undefined) out.displayName = displayName;
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
  const [type = '', ...paramParts] = splitOutside(value, ';');
  const t = type.trim().toLowerCase();
  if (!/^[a-z0-9\-.!%*_+`'~]+(\/[a-z0-9\-.!%*_+`'~]+)?$/.test(t)) throw new SipParseError('bad-content-type', `bad media type "${value}"`);
  const params: Record<string, string> = {};
  const raw = paramParts.length ? parseParams(paramParts.join(';')) : {};
  for (const [k, v] of Object.entries(raw)) params[k] = v === null ? '' : v.startsWith('"') ? readQuoted(v, 0).text : v;
  return { type: t, params };
}
