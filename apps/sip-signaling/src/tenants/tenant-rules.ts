import ipaddr from 'ipaddr.js';

/**
 * The routing file (`SIP_TENANTS_FILE`): which tenant a call belongs to, where
 * its calls go, and how its sellers are found. Pure: parsing and validation only.
 *
 * ```json
 * {
 *   "tenantHeader": "X-CI-Tenant",
 *   "tenants": {
 *     "6f1c…": {
 *       "match": {
 *         "headers": [{ "name": "X-Trunk", "value": "fabrikam" }],
 *         "sourceNetworks": ["10.1.0.0/16"],
 *         "calledDomains": ["fabrikam.example"],
 *         "calledNumbers": ["+44207946*"],
 *         "callingDomains": ["sales.fabrikam.example"],
 *         "callingNumbers": ["+4420794600*"]
 *       },
 *       "nextHop": "sip:pbx.fabrikam.example:5060;transport=tcp",
 *       "sellerHeader": "X-Seller",
 *       "sellerSide": "caller",
 *       "dialerCallIdHeader": "X-Dialer-Call-Id"
 *     }
 *   }
 * }
 * ```
 */
export interface TenantRules {
  /** A header whose value is the tenant id itself (any tenant in the file). */
  tenantHeader?: string;
  tenants: TenantRule[];
}

export type SellerSide = 'caller' | 'callee';

export interface TenantRule {
  tenantId: string;
  match: {
    /** The header is present (and equals `value` when given, case-insensitively). */
    headers: { name: string; value?: string }[];
    /** The INVITE came from an address in one of these networks. */
    sourceNetworks: { text: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }[];
    /** The callee's domain (Request-URI host, else To host). */
    calledDomains: string[];
    /** The callee's number (Request-URI user, else To user): exact, or a prefix ending in `*`. */
    calledNumbers: string[];
    /** The caller's domain (P-Asserted-Identity, else From host). */
    callingDomains: string[];
    /** The caller's number: exact, or a prefix ending in `*`. */
    callingNumbers: string[];
  };
  /** The B leg's destination for this tenant's calls (a sip:/sips: URI). */
  nextHop?: string;
  /** A header naming the seller (its value: a number, URI or UPN). */
  sellerHeader?: string;
  /** Which party the seller is when the tenant matched by header or source network (default caller: the tenant's PBX calls out). */
  sellerSide: SellerSide;
  /** A header carrying the dialer's call id. */
  dialerCallIdHeader?: string;
}

/** A problem in the file, with the JSON path of the value at fault. */
export interface RulesProblem {
  path: string;
  problem: string;
}

export class TenantRulesError extends Error {
  constructor(
    readonly source: string,
    readonly problems: RulesProblem[],
  ) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p.path}: ${p.problem}`).join('\n')}`);
    this.name = 'TenantRulesError';
  }
}

const HEADER_NAME_RE = /^[A-Za-z0-9!%*_+`'~.-]{1,64}$/;
const TENANT_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
const DOMAIN_RE = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const NUMBER_RE = /^\+?[0-9A-Za-z#*._-]{1,64}\*?$/;
const SIP_URI_RE = /^sips?:[^\s<>"]+$/i;

const MATCH_KEYS = ['headers', 'sourceNetworks', 'calledDomains', 'calledNumbers', 'callingDomains', 'callingNumbers'] as const;
const TENANT_KEYS = ['match', 'nextHop', 'sellerHeader', 'sellerSide', 'dialerCallIdHeader'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and validates the routing file's text; every problem is reported at once, each with its JSON path. */
export function parseTenantRules(text: string, source = 'SIP_TENANTS_FILE'): TenantRules {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TenantRulesError(source, [{ path: '$', problem: `not JSON: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  return validateTenantRules(json, source);
}

export function validateTenantRules(json: unknown, source = 'SIP_TENANTS_FILE'): TenantRules {
  const problems: RulesProblem[] = [];
  const bad = (path: string, problem: string) => problems.push({ path, problem });
  if (!isObject(json)) throw new TenantRulesError(source, [{ path: '$', problem: 'must be an object with "tenants"' }]);
  for (const key of Object.keys(json)) if (key !== 'tenants' && key !== 'tenantHeader') bad(`$.${key}`, 'unknown field (expected tenants, tenantHeader)');

  let tenantHeader: string | undefined;
  if (json['tenantHeader'] !== undefined) {
    if (typeof json['tenantHeader'] !== 'string' || !HEADER_NAME_RE.test(json['tenantHeader'])) bad('$.tenantHeader', 'not a SIP header name');
    else tenantHeader = json['tenantHeader'];
  }

  const tenants: TenantRule[] = [];
  const rawTenants = json['tenants'];
  if (!isObject(rawTenants)) {
    bad('$.tenants', rawTenants === undefined ? 'required' : 'must be an object: tenant id → rules');
  } else {
    for (const [id, raw] of Object.entries(rawTenants)) {
      const at = `$.tenants[${JSON.stringify(id)}]`;
      if (!TENANT_ID_RE.test(id)) bad(at, 'not a tenant id (letters, digits, . _ -; at most 128)');
      const rule = parseTenant(raw, at, bad);
      if (rule) tenants.push({ tenantId: id.toLowerCase(), ...rule });
    }
  }
  if (problems.length > 0) throw new TenantRulesError(source, problems);
  return { ...(tenantHeader ? { tenantHeader } : {}), tenants };
}

type Bad = (path: string, problem: string) => void;

function parseTenant(raw: unknown, at: string, bad: Bad): Omit<TenantRule, 'tenantId'> | undefined {
  if (!isObject(raw)) {
    bad(at, 'must be an object');
    return undefined;
  }
  for (const key of Object.keys(raw)) if (!(TENANT_KEYS as readonly string[]).includes(key)) bad(`${at}.${key}`, `unknown field (expected ${TENANT_KEYS.join(', ')})`);
  const match: TenantRule['match'] = { headers: [], sourceNetworks: [], calledDomains: [], calledNumbers: [], callingDomains: [], callingNumbers: [] };
  const m = raw['match'];
  if (m !== undefined) {
    if (!isObject(m)) bad(`${at}.match`, 'must be an object');
    else {
      for (const key of Object.keys(m)) if (!(MATCH_KEYS as readonly string[]).includes(key)) bad(`${at}.match.${key}`, `unknown field (expected ${MATCH_KEYS.join(', ')})`);
      const list = (key: (typeof MATCH_KEYS)[number]): unknown[] => {
        const v = m[key];
        if (v === undefined) return [];
        if (!Array.isArray(v)) {
          bad(`${at}.match.${key}`, 'must be an array');
          return [];
        }
        return v;
      };
      list('headers').forEach((h, i) => {
        const p = `${at}.match.headers[${i}]`;
        if (!isObject(h)) return bad(p, 'must be an object { "name", "value"? }');
        if (typeof h['name'] !== 'string' || !HEADER_NAME_RE.test(h['name'])) return bad(`${p}.name`, 'not a SIP header name');
        if (h['value'] !== undefined && (typeof h['value'] !== 'string' || h['value'].trim() === '')) return bad(`${p}.value`, 'must be a non-empty string');
        match.headers.push({ name: h['name'], ...(typeof h['value'] === 'string' ? { value: h['value'].trim() } : {}) });
      });
      list('sourceNetworks').forEach((n, i) => {
        const p = `${at}.match.sourceNetworks[${i}]`;
        if (typeof n !== 'string') return bad(p, 'must be a string (an address or CIDR)');
        const range = parseNetwork(n);
        if (!range) return bad(p, `not an IPv4/IPv6 address or CIDR: ${JSON.stringify(n)}`);
        match.sourceNetworks.push({ text: n, range });
      });
      for (const key of ['calledDomains', 'callingDomains'] as const) {
        list(key).forEach((d, i) => {
          if (typeof d !== 'string' || !DOMAIN_RE.test(d)) return bad(`${at}.match.${key}[${i}]`, 'not a domain name');
          match[key].push(d.toLowerCase());
        });
      }
      for (const key of ['calledNumbers', 'callingNumbers'] as const) {
        list(key).forEach((d, i) => {
          if (typeof d !== 'string' || !NUMBER_RE.test(normaliseNumber(d))) return bad(`${at}.match.${key}[${i}]`, 'not a number or a prefix ending in *');
          match[key].push(normaliseNumber(d));
        });
      }
    }
  }
  const out: Omit<TenantRule, 'tenantId'> = { match, sellerSide: 'caller' };
  const nextHop = raw['nextHop'];
  if (nextHop !== undefined) {
    if (typeof nextHop !== 'string' || !SIP_URI_RE.test(nextHop)) bad(`${at}.nextHop`, 'not a sip: or sips: URI');
    else out.nextHop = nextHop;
  }
  for (const key of ['sellerHeader', 'dialerCallIdHeader'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !HEADER_NAME_RE.test(v)) bad(`${at}.${key}`, 'not a SIP header name');
    else out[key] = v;
  }
  const side = raw['sellerSide'];
  if (side !== undefined) {
    if (side !== 'caller' && side !== 'callee') bad(`${at}.sellerSide`, 'must be "caller" or "callee"');
    else out.sellerSide = side;
  }
  return out;
}

function parseNetwork(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    if (!ipaddr.isValid(text)) return undefined;
    const addr = ipaddr.parse(text);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

/** Numbers compare without visual separators: `+44 (20) 7946-0018` → `+442079460018`. */
export function normaliseNumber(n: string): string {
  return n.replace(/[\s().-]/g, '');
}
