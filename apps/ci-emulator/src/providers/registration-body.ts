import ipaddr from 'ipaddr.js';
import type { FieldProblem } from './api-error';

/**
 * The body of `POST /api/v1.0/providers/tenants`, as the seed shows it:
 * `{ orgId, Type, hosting, displayName, AuthenticationDetails: { AccountId,
 * CertificateSubjectName, CertificateIssuer, SourceIPNetwork } }`.
 * ASP.NET binds JSON property names case-insensitively, so any casing is
 * accepted; everything else is strict (unknown or repeated properties, wrong
 * types, empty strings, a non-GUID orgId, Type other than `custom`, hosting other
 * than cloud|on-premises, a SourceIPNetwork that is neither an address nor a CIDR).
 * The field names live here only (Microsoft notes its Swagger body differs).
 */
export interface RegistrationFields {
  orgId: string;
  type: 'custom';
  hosting: 'cloud' | 'on-premises';
  displayName: string;
  accountId: string;
  certificateSubjectName: string;
  certificateIssuer: string;
  sourceIpNetwork: string;
}

export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_STRING = 1024;

const TOP = { orgid: 'orgId', type: 'Type', hosting: 'hosting', displayname: 'displayName', authenticationdetails: 'AuthenticationDetails' } as const;
const AUTH = { accountid: 'AccountId', certificatesubjectname: 'CertificateSubjectName', certificateissuer: 'CertificateIssuer', sourceipnetwork: 'SourceIPNetwork' } as const;

export type RegistrationResult = { ok: true; value: RegistrationFields } | { ok: false; problems: FieldProblem[] };

/** Folds the object's keys case-insensitively onto `known`; reports unknown and repeated ones. */
function fold<K extends string>(obj: Record<string, unknown>, known: Record<K, string>, prefix: string, problems: FieldProblem[]): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(obj)) {
    const lower = key.toLowerCase();
    const field = `${prefix}${key}`;
    if (!(lower in known)) {
      problems.push({ field, message: `unknown property (expected ${Object.values<string>(known).join(', ')})` });
      continue;
    }
    const earlier = seen.get(lower);
    if (earlier !== undefined) {
      problems.push({ field, message: `given twice (also as '${earlier}'); property names are case-insensitive` });
      continue;
    }
    seen.set(lower, key);
    out[lower as K] = value;
  }
  for (const [lower, canonical] of Object.entries<string>(known)) {
    if (!seen.has(lower)) problems.push({ field: `${prefix}${canonical}`, message: 'required' });
  }
  return out;
}

function str(value: unknown, field: string, problems: FieldProblem[]): string | undefined {
  if (value === undefined) return undefined; // reported as required already
  if (typeof value !== 'string') {
    problems.push({ field, message: `must be a string, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` });
    return undefined;
  }
  if (value.trim() === '') {
    problems.push({ field, message: 'must not be empty' });
    return undefined;
  }
  if (value !== value.trim()) {
    problems.push({ field, message: 'has leading or trailing whitespace' });
    return undefined;
  }
  if (value.length > MAX_STRING) {
    problems.push({ field, message: `longer than ${MAX_STRING} characters` });
    return undefined;
  }
  return value;
}

/** An IPv4 (dotted quad) or IPv6 address, or a CIDR without host bits; `0.0.0.0` = no restriction. */
export function checkSourceIpNetwork(value: string): string | undefined {
  const [addr = '', prefix, extra] = value.split('/');
  if (extra !== undefined) return 'is neither an IP address nor a CIDR (more than one /)';
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(addr);
  const v6 = !v4 && ipaddr.IPv6.isValid(addr) && !addr.includes('%');
  if (!v4 && !v6) return `is neither an IPv4/IPv6 address nor a CIDR ('${addr}' is not an address)`;
  if (prefix === undefined) return undefined;
  const max = v4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `has a bad prefix length '/${prefix}' (0-${max} for ${v4 ? 'IPv4' : 'IPv6'})`;
  const bits = Number(prefix);
  const parsed = ipaddr.parse(addr);
  const base = v4 ? ipaddr.IPv4.networkAddressFromCIDR(`${addr}/${bits}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addr}/${bits}`);
  if (base.toString() !== parsed.toString()) return `has host bits set beyond the /${bits} prefix (the network is ${base.toString()}/${bits})`;
  return undefined;
}

/** Validates a parsed JSON body; lists every problem at once. `prefix` names the place in a bigger document. */
export function validateRegistration(body: unknown, prefix = ''): RegistrationResult {
  const problems: FieldProblem[] = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, problems: [{ field: prefix ? prefix.replace(/\.$/, '') : '(body)', message: `must be a JSON object, got ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}` }] };
  }
  const top = fold(body as Record<string, unknown>, TOP, prefix, problems);
  const orgId = str(top.orgid, `${prefix}orgId`, problems);
  if (orgId !== undefined && !GUID_RE.test(orgId)) problems.push({ field: `${prefix}orgId`, message: 'not a GUID (the Dynamics organization id, e.g. ad3dca46-962a-4895-9f85-d25f3828781f)' });
  const type = str(top.type, `${prefix}Type`, problems);
  if (type !== undefined && type !== 'custom') problems.push({ field: `${prefix}Type`, message: `must be 'custom', got '${type}'` });
  const hosting = str(top.hosting, `${prefix}hosting`, problems);
  if (hosting !== undefined && hosting !== 'cloud' && hosting !== 'on-premises') problems.push({ field: `${prefix}hosting`, message: `must be 'cloud' or 'on-premises', got '${hosting}'` });
  const displayName = str(top.displayname, `${prefix}displayName`, problems);

  let auth: Partial<Record<keyof typeof AUTH, unknown>> = {};
  const details = top.authenticationdetails;
  if (details !== undefined) {
    if (details === null || typeof details !== 'object' || Array.isArray(details)) {
      problems.push({ field: `${prefix}AuthenticationDetails`, message: `must be an object, got ${details === null ? 'null' : Array.isArray(details) ? 'an array' : typeof details}` });
    } else {
      auth = fold(details as Record<string, unknown>, AUTH, `${prefix}AuthenticationDetails.`, problems);
    }
  }
  const ap = `${prefix}AuthenticationDetails.`;
  const accountId = details !== undefined ? str(auth.accountid, `${ap}AccountId`, problems) : undefined;
  const certificateSubjectName = details !== undefined ? str(auth.certificatesubjectname, `${ap}CertificateSubjectName`, problems) : undefined;
  const certificateIssuer = details !== undefined ? str(auth.certificateissuer, `${ap}CertificateIssuer`, problems) : undefined;
  const sourceIpNetwork = details !== undefined ? str(auth.sourceipnetwork, `${ap}SourceIPNetwork`, problems) : undefined;
  if (sourceIpNetwork !== undefined) {
    const bad = checkSourceIpNetwork(sourceIpNetwork);
    if (bad) problems.push({ field: `${ap}SourceIPNetwork`, message: bad });
  }
  if (problems.length > 0 || !orgId || !displayName || !accountId || !certificateSubjectName || !certificateIssuer || !sourceIpNetwork) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    value: { orgId: orgId.toLowerCase(), type: 'custom', hosting: hosting as RegistrationFields['hosting'], displayName, accountId, certificateSubjectName, certificateIssuer, sourceIpNetwork },
  };
}
