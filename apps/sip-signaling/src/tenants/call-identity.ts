import ipaddr from 'ipaddr.js';
import { parseNameAddr, parseUri, type NameAddr, type SipUri } from '@ci-connector/sip';
import { normaliseNumber, type SellerSide, type TenantRule, type TenantRules } from './tenant-rules';

/**
 * Who a call belongs to: the tenant, the seller and its role, the display names
 * and the dialer's call id, from an INVITE. Pure (no I/O): unit-tested on its own.
 */

/** What of the INVITE the resolution reads. */
export interface InviteView {
  requestUri: string;
  from: string;
  to: string;
  /** P-Asserted-Identity (first value), when present. */
  pAssertedIdentity?: string;
  /** Any header's first value (case-insensitive name). */
  header(name: string): string | undefined;
  /** The address the INVITE came from (the transport's remote address). */
  sourceAddress: string;
}

export interface Party {
  /** `sip:user@host` / `tel:+44…`, without parameters: what the recording policy is asked about. */
  aor?: string;
  /** The user part (a number or a name), or the tel: number. */
  user?: string;
  host?: string;
  displayName?: string;
}

export type TenantMatch = 'tenant-header' | 'header' | 'source-network' | 'called-number' | 'called-domain' | 'calling-number' | 'calling-domain';

export type Role = 'inbound' | 'outbound';

export interface CallIdentity {
  tenant?: { tenantId: string; rule?: TenantRule; matchedBy: TenantMatch };
  caller: Party;
  callee: Party;
  seller?: { identity: string; side: SellerSide; source: 'header' | 'p-asserted-identity' | 'from' | 'to' | 'request-uri' };
  /** From the seller's point of view: the seller called (outbound) or was called (inbound). */
  role?: Role;
  callerDisplayName: string;
  calleeDisplayName: string;
  /** The dialer's call id, when the configured header carries a usable one. */
  dialerCallId?: string;
}

export interface ResolveOptions {
  /** The dialer call-id header when the tenant names none (SIP_DIALER_CALL_ID_HEADER). */
  dialerCallIdHeader?: string;
}

const CALL_ID_RE = /^[\x21-\x7e]{1,256}$/;

function nameAddr(value: string | undefined): NameAddr | undefined {
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value.trim());
  } catch {
    return undefined;
  }
}

function uriOf(value: string | undefined): SipUri | undefined {
  if (value === undefined) return undefined;
  try {
    return parseUri(value.trim());
  } catch {
    return undefined;
  }
}

function partyOf(uri: SipUri | undefined, displayName?: string): Party {
  const out: Party = {};
  if (displayName !== undefined && displayName.trim() !== '') out.displayName = displayName.trim();
  if (!uri) return out;
  if (uri.scheme === 'tel') {
    out.user = uri.host;
    out.aor = `tel:${uri.host}`;
    return out;
  }
  const host = uri.host.toLowerCase();
  out.host = host;
  if (uri.user !== undefined && uri.user !== '') {
    // A user part may carry its own parameters (`+4420…;phone-context=…`, RFC 3261 §19.1.6).
    const user = decodeURIComponentSafe(uri.user.split(';')[0] ?? uri.user);
    out.user = user;
    out.aor = `${uri.scheme}:${user}@${host}`;
  } else {
    out.aor = `${uri.scheme}:${host}`;
  }
  return out;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Numbers and names compare without separators and case. */
function sameIdentity(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const norm = (s: string) => {
    const uri = uriOf(s) ?? nameAddr(s)?.uri;
    const user = uri ? (uri.scheme === 'tel' ? uri.host : (uri.user ?? uri.host)) : s;
    return normaliseNumber(user.split(';')[0] ?? user).toLowerCase();
  };
  return norm(a) === norm(b);
}

function numberMatches(patterns: string[], user: string | undefined): number {
  if (!user) return -1;
  const n = normaliseNumber(user);
  let best = -1;
  for (const p of patterns) {
    if (p.endsWith('*')) {
      const prefix = p.slice(0, -1);
      if (n.startsWith(prefix)) best = Math.max(best, prefix.length);
    } else if (n === p) {
      best = Math.max(best, p.length + 1000); // an exact number beats any prefix
    }
  }
  return best;
}

function inNetwork(address: string, ranges: TenantRule['match']['sourceNetworks']): number {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(address);
  } catch {
    return -1;
  }
  let best = -1;
  for (const { range } of ranges) {
    const [net, bits] = range;
    if (addr.kind() !== net.kind()) continue;
    if (addr.match(range)) best = Math.max(best, bits);
  }
  return best;
}

/** The best tenant for the call, in this order: tenant header, a header rule, the source network, the callee's number/domain, the caller's. */
function findTenant(rules: TenantRules, view: InviteView, caller: Party, callee: Party, requestUri: Party): { rule?: TenantRule; tenantId: string; matchedBy: TenantMatch; side: SellerSide } | undefined {
  if (rules.tenantHeader) {
    const id = view.header(rules.tenantHeader)?.trim().toLowerCase();
    if (id) {
      const rule = rules.tenants.find((t) => t.tenantId === id);
      if (rule) return { rule, tenantId: id, matchedBy: 'tenant-header', side: rule.sellerSide };
    }
  }
  for (const rule of rules.tenants) {
    for (const h of rule.match.headers) {
      const v = view.header(h.name);
      if (v !== undefined && (h.value === undefined || v.trim().toLowerCase() === h.value.toLowerCase())) return { rule, tenantId: rule.tenantId, matchedBy: 'header', side: rule.sellerSide };
    }
  }
  const best = <T extends TenantMatch>(score: (r: TenantRule) => number, matchedBy: T, side: (r: TenantRule) => SellerSide) => {
    let found: { rule: TenantRule; score: number } | undefined;
    for (const rule of rules.tenants) {
      const s = score(rule);
      if (s >= 0 && (!found || s > found.score)) found = { rule, score: s };
    }
    return found ? { rule: found.rule, tenantId: found.rule.tenantId, matchedBy, side: side(found.rule) } : undefined;
  };
  const domainScore = (domains: string[], ...hosts: (string | undefined)[]) => (hosts.some((h) => h !== undefined && domains.includes(h)) ? 0 : -1);
  return (
    best((r) => inNetwork(view.sourceAddress, r.match.sourceNetworks), 'source-network', (r) => r.sellerSide) ??
    best((r) => Math.max(numberMatches(r.match.calledNumbers, callee.user), numberMatches(r.match.calledNumbers, requestUri.user)), 'called-number', () => 'callee') ??
    best((r) => domainScore(r.match.calledDomains, callee.host, requestUri.host), 'called-domain', () => 'callee') ??
    best((r) => numberMatches(r.match.callingNumbers, caller.user), 'calling-number', () => 'caller') ??
    best((r) => domainScore(r.match.callingDomains, caller.host), 'calling-domain', () => 'caller')
  );
}

/** The display name of a party, or its number / user part when it has none (the seed: "If not available, phone number is displayed"). */
export function displayNameOf(p: Party): string {
  return p.displayName ?? p.user ?? p.host ?? 'anonymous';
}

/**
 * Resolves the tenant, seller, role, display names and dialer call id of an INVITE.
 * Never throws: unparsable headers leave the fields they would give unset.
 */
export function resolveCallIdentity(rules: TenantRules, view: InviteView, opts: ResolveOptions = {}): CallIdentity {
  const from = nameAddr(view.from);
  const to = nameAddr(view.to);
  const pai = nameAddr(view.pAssertedIdentity);
  const requestUri = partyOf(uriOf(view.requestUri));
  const fromParty = partyOf(from?.uri, from?.displayName);
  const paiParty = partyOf(pai?.uri, pai?.displayName);
  const toParty = partyOf(to?.uri, to?.displayName);

  // The caller is who the network asserts (PAI), else From; the callee is To, else the Request-URI.
  const caller: Party = pai ? { ...paiParty, ...(paiParty.displayName ?? fromParty.displayName ? { displayName: paiParty.displayName ?? fromParty.displayName } : {}) } : fromParty;
  const callee: Party = toParty.user !== undefined ? toParty : { ...requestUri, ...(toParty.displayName ? { displayName: toParty.displayName } : {}) };

  const out: CallIdentity = { caller, callee, callerDisplayName: displayNameOf(caller), calleeDisplayName: displayNameOf(callee) };
  const found = findTenant(rules, view, caller, callee, requestUri);

  const dialerHeader = found?.rule?.dialerCallIdHeader ?? opts.dialerCallIdHeader;
  if (dialerHeader) {
    const v = view.header(dialerHeader)?.trim();
    if (v !== undefined && CALL_ID_RE.test(v)) out.dialerCallId = v;
  }
  if (!found) return out;
  out.tenant = { tenantId: found.tenantId, ...(found.rule ? { rule: found.rule } : {}), matchedBy: found.matchedBy };

  // The seller: the configured header when present (its side: the party it names), else the party on the tenant's side.
  let side = found.side;
  const sellerHeader = found.rule?.sellerHeader;
  const headerValue = sellerHeader ? view.header(sellerHeader)?.trim() : undefined;
  if (headerValue) {
    if (sameIdentity(headerValue, callee.aor ?? callee.user)) side = 'callee';
    else if (sameIdentity(headerValue, caller.aor ?? caller.user) || sameIdentity(headerValue, fromParty.aor)) side = 'caller';
    const named = uriOf(headerValue) ?? nameAddr(headerValue)?.uri;
    out.seller = { identity: named ? (partyOf(named).aor ?? headerValue) : headerValue, side, source: 'header' };
  } else if (side === 'caller') {
    const p = pai ? paiParty : fromParty;
    if (p.aor) out.seller = { identity: p.aor, side, source: pai ? 'p-asserted-identity' : 'from' };
  } else {
    const p = toParty.aor && toParty.user !== undefined ? toParty : requestUri;
    if (p.aor) out.seller = { identity: p.aor, side, source: p === toParty ? 'to' : 'request-uri' };
  }
  if (out.seller) out.role = out.seller.side === 'caller' ? 'outbound' : 'inbound';
  return out;
}
