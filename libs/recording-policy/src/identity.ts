import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * Identity normalisation: the one place that turns what the providers API says
 * about a user, and what a SIP call carries, into the keys of a tenant's policy
 * set. Both sides go through the same functions, so a number written
 * `+44 (0)20 7946-0958` in Entra matches `sip:+442079460958@sbc;user=phone` on
 * the wire. Pure functions: they never throw, whatever they are given.
 *
 * Keys (see README.md, "Normalisation"):
 *   oid:<guid, lowercase>        an Entra object id
 *   upn:<lowercase>              a user principal name or an email address
 *   tel:<E.164>                  a phone number, `+` and 7 to 15 digits
 */

export const E164_RE = /^\+[1-9]\d{6,14}$/;
const GUID_BODY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Longer inputs are not identities; refusing them bounds the work per call. */
const MAX_INPUT = 1024;
/** At most this many values are read from one field (businessPhones is an array). */
const MAX_VALUES_PER_FIELD = 64;

/** What people write between the digits of a phone number (after NFKC). */
const VISUAL_SEPARATORS = /[\s\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\u2010-\u2015\u2212\u30fb.()/[\]~-]/g;
/** An extension at the end: `;ext=12`, ` ext. 12`, ` x12`, `#12`. */
const EXTENSION = /(?:;\s*ext\s*=\s*|\s*(?:ext\.?|extension|x|#)\s*)\d{1,10}\s*$/i;

function countryOf(defaultCountry: string | undefined): CountryCode | undefined {
  if (typeof defaultCountry !== 'string') return undefined;
  const c = defaultCountry.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(c) && isSupportedCountry(c) ? c : undefined;
}

interface PhoneResult {
  e164?: string;
  /** The number was national: the answer depends on the default country. */
  national: boolean;
}

function libPhone(text: string, country?: CountryCode): string | undefined {
  try {
    const parsed = country ? parsePhoneNumberFromString(text, country) : parsePhoneNumberFromString(text);
    return parsed && parsed.isPossible() && E164_RE.test(parsed.number) ? parsed.number : undefined;
  } catch {
    return undefined; // libphonenumber-js throws on some inputs (e.g. too long): not a number.
  }
}

/**
 * The phone number rules:
 * - NFKC (full-width digits and `＋` become ASCII), an extension at the end is dropped,
 *   `(0)` after the country code is dropped, visual separators are removed;
 * - what remains must be `+digits`, `00digits` (international; `00` means `+`) or
 *   `digits` (national), else it is not a phone number;
 * - international: `+` and the digits, if 7-15 digits not starting with 0. When a 0
 *   appears among the first digits (a trunk prefix written after the country code,
 *   as in `+44 020…`), libphonenumber-js decides (`+442…`) if it finds the number possible;
 * - national (also via `011…` etc., the default country's own international prefix):
 *   libphonenumber-js with the default country (or a global `phone-context`), kept
 *   only if it is a possible number of that country.
 */
function phone(raw: string, defaultCountry: CountryCode | undefined, phoneContext?: string): PhoneResult {
  let s = raw.normalize('NFKC').trim();
  if (s.length === 0 || s.length > 64) return { national: false };
  s = s.replace(EXTENSION, '');
  if (s.startsWith('+')) s = s.replace(/\(0\)/g, '');
  const compact = s.replace(VISUAL_SEPARATORS, '');
  const m = /^(\+|00)?(\d{1,20})$/.exec(compact);
  if (!m) return { national: false };
  const [, intl, digits = ''] = m;
  if (intl !== undefined) return { e164: international(digits), national: false };
  const context = phoneContext?.normalize('NFKC').replace(VISUAL_SEPARATORS, '');
  if (context !== undefined && /^\+\d{1,15}$/.test(context)) {
    return { e164: international(context.slice(1) + digits), national: false };
  }
  if (defaultCountry === undefined) return { national: true };
  if (digits.length < 3 || digits.length > 17) return { national: true };
  return { e164: libPhone(digits, defaultCountry), national: true };
}

function international(digits: string): string | undefined {
  if (!/^[1-9]\d{6,14}$/.test(digits)) return undefined;
  if (/^[1-9]{4}/.test(digits)) return `+${digits}`;
  return libPhone(`+${digits}`) ?? `+${digits}`;
}

/** A phone number in any common format → E.164, or undefined. */
export function normalisePhone(raw: string, defaultCountry?: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  return phone(raw, countryOf(defaultCountry)).e164;
}

/** An email address / UPN → lowercase, or undefined when it does not look like one. */
export function normaliseUpn(raw: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let s = raw.normalize('NFC').trim();
  if (s.length === 0 || s.length > 320) return undefined;
  s = s.replace(/^(?:mailto|smtp|sips?|upn):/i, '').toLowerCase();
  const at = s.indexOf('@');
  if (at <= 0 || at !== s.lastIndexOf('@') || at === s.length - 1) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f<>"(),;:[\]\\]/.test(s)) return undefined;
  const domain = s.slice(at + 1);
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) return undefined;
  return s;
}

/** An Entra object id (GUID, optionally in braces, optionally `8:orgid:` as Teams writes it) → lowercase, or undefined. */
export function normaliseObjectId(raw: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let s = raw.trim().toLowerCase();
  if (s.length > 64) return undefined;
  s = s.replace(/^(?:oid:|8:orgid:)/, '');
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  return GUID_BODY.test(s) ? s : undefined;
}

export const oidKey = (guid: string) => `oid:${guid}`;
export const upnKey = (upn: string) => `upn:${upn}`;
export const telKey = (e164: string) => `tel:${e164}`;

// ---------------------------------------------------------------------------
// Users as the providers API returns them

const ID_FIELDS = new Set(['id', 'objectid', 'aadobjectid']);
const UPN_FIELDS = new Set(['userprincipalname', 'upn', 'mail', 'email', 'emailaddress']);
const PHONE_FIELDS = new Set(['businessphones', 'mobilephone', 'phonenumber', 'phone', 'telephonenumber']);

export interface UserIdentities {
  /** Normalised keys, without duplicates. */
  identities: string[];
  /** Values present but unusable (not a GUID, not an address, not a phone number, wrong type). */
  skipped: number;
}

/**
 * The keys of one user of the providers API's list. Field names in any casing:
 * `id` / `objectId` / `aadObjectId` → `oid:`, `userPrincipalName` / `upn` / `mail` /
 * `email` / `emailAddress` (a string, or Graph's `{ address }`) → `upn:`,
 * `businessPhones[]` / `mobilePhone` / `phoneNumber` / `phone` / `telephoneNumber`
 * → `tel:` (national numbers in `defaultCountry`). Empty values (null, '') are
 * ignored; anything else unusable is counted in `skipped`. Never throws.
 */
export function identitiesOfUser(user: unknown, defaultCountry: string): UserIdentities {
  const out = new Set<string>();
  let skipped = 0;
  if (user === null || typeof user !== 'object' || Array.isArray(user)) return { identities: [], skipped: 1 };
  const country = countryOf(defaultCountry);
  let entries: [string, unknown][];
  try {
    entries = Object.entries(user);
  } catch {
    return { identities: [], skipped: 1 };
  }
  for (const [name, value] of entries) {
    const field = name.toLowerCase();
    const kind = ID_FIELDS.has(field) ? 'oid' : UPN_FIELDS.has(field) ? 'upn' : PHONE_FIELDS.has(field) ? 'tel' : undefined;
    if (kind === undefined) continue;
    const values: unknown[] = Array.isArray(value) ? value : [value];
    values.forEach((v, i) => {
      if (i >= MAX_VALUES_PER_FIELD) {
        skipped++;
        return;
      }
      const key = keyOfValue(kind, v, country);
      if (key === null) return;
      if (key === undefined) skipped++;
      else out.add(key);
    });
  }
  return { identities: [...out], skipped };
}

/** null: empty (ignored); undefined: unusable (counted). */
function keyOfValue(kind: 'oid' | 'upn' | 'tel', v: unknown, country: CountryCode | undefined): string | null | undefined {
  if (v === null || v === undefined) return null;
  let text: string | undefined;
  if (typeof v === 'string') text = v;
  else if (kind === 'tel' && typeof v === 'number' && Number.isSafeInteger(v) && v > 0) text = String(v);
  else if (kind === 'upn' && typeof v === 'object' && !Array.isArray(v)) {
    try {
      const address = (v as { address?: unknown }).address;
      if (typeof address === 'string') text = address;
    } catch {
      return undefined;
    }
  }
  if (text === undefined) return undefined;
  if (text.trim() === '') return null;
  if (text.length > MAX_INPUT) return undefined;
  if (kind === 'oid') {
    const oid = normaliseObjectId(text);
    return oid === undefined ? undefined : oidKey(oid);
  }
  if (kind === 'upn') {
    const upn = normaliseUpn(text);
    return upn === undefined ? undefined : upnKey(upn);
  }
  const e164 = phone(text.replace(/^tel:/i, ''), country).e164;
  return e164 === undefined ? undefined : telKey(e164);
}

// ---------------------------------------------------------------------------
// What sip-signaling has

interface Candidates {
  keys: string[];
  /** A national number was seen: the answer depends on the default country. */
  national: boolean;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    // Not valid UTF-8 escapes: decode the ASCII ones (%2B and friends) only.
    return s.replace(/%([0-7][0-9a-f])/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

function params(list: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of list) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name) m.set(name, eq < 0 ? '' : safeDecode(p.slice(eq + 1).trim()));
  }
  return m;
}

/** `number;param=…` of a tel URI or a telephone-subscriber user part. */
function telCandidates(subscriber: string, country: CountryCode | undefined, into: Candidates): boolean {
  const [num = '', ...rest] = subscriber.split(';');
  const r = phone(safeDecode(num), country, params(rest).get('phone-context'));
  if (r.national) into.national = true;
  if (r.e164 !== undefined) into.keys.push(telKey(r.e164));
  return r.e164 !== undefined;
}

/** `user[;uparams][:password]@host[:port][;params]` (the part after `sip:`), or `user@host` without a scheme. */
function sipCandidates(body: string, country: CountryCode | undefined, into: Candidates): void {
  const q = body.indexOf('?');
  const rest = q < 0 ? body : body.slice(0, q);
  const at = rest.lastIndexOf('@');
  if (at < 0) {
    // No user part: `sip:+4420…` is not a valid SIP URI, but a number is still a number.
    telCandidates(rest, country, into);
    return;
  }
  const userinfo = rest.slice(0, at);
  const [hostport = '', ...uriParams] = rest.slice(at + 1).split(';');
  const host = hostport.startsWith('[') ? hostport.slice(0, hostport.indexOf(']') + 1) : (hostport.split(':')[0] ?? '');
  const userIsPhone = params(uriParams).get('user') === 'phone';
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  telCandidates(user, country, into);
  if (userIsPhone) return;
  const [name = ''] = user.split(';');
  const decoded = safeDecode(name);
  const oid = normaliseObjectId(decoded);
  if (oid !== undefined) into.keys.push(oidKey(oid));
  const upn = normaliseUpn(`${decoded}@${safeDecode(host)}`);
  if (upn !== undefined) into.keys.push(upnKey(upn));
}

function candidatesOf(raw: unknown, country: CountryCode | undefined): Candidates {
  const out: Candidates = { keys: [], national: false };
  if (typeof raw !== 'string') return out;
  let s = raw.normalize('NFKC').trim();
  if (s.length === 0 || s.length > MAX_INPUT) return out;
  // name-addr: `"Alice" <sip:alice@contoso.com>;tag=…`
  const angle = /<([^<>]*)>/.exec(s);
  if (angle?.[1] !== undefined) s = angle[1].trim();
  const scheme = /^([a-z][a-z0-9+.-]{0,9}):/i.exec(s)?.[1]?.toLowerCase();
  const body = scheme === undefined ? s : s.slice(scheme.length + 1);
  switch (scheme) {
    case 'sip':
    case 'sips':
      sipCandidates(body, country, out);
      break;
    case 'tel':
      telCandidates(body, country, out);
      break;
    case 'mailto':
    case 'upn': {
      const upn = normaliseUpn(safeDecode(body));
      if (upn !== undefined) out.keys.push(upnKey(upn));
      break;
    }
    case 'oid': {
      const oid = normaliseObjectId(s);
      if (oid !== undefined) out.keys.push(oidKey(oid));
      break;
    }
    default: {
      const oid = normaliseObjectId(s);
      if (oid !== undefined) {
        out.keys.push(oidKey(oid));
        break;
      }
      const decoded = safeDecode(s);
      if (decoded.includes('@')) sipCandidates(decoded, country, out);
      else telCandidates(decoded, country, out);
    }
  }
  out.keys = [...new Set(out.keys)];
  return out;
}

/**
 * The keys to test for what a call carries: a SIP or SIPS URI (or a name-addr
 * around one) or its user part, a tel URI, a phone number in any common format,
 * an email / UPN, or an object id. All of them go into one SMISMEMBER: the
 * identity is recorded if any is in the tenant's set. Unusable input → []. Never throws.
 */
export function identityCandidates(raw: string, defaultCountry?: string): string[] {
  return candidatesOf(raw, countryOf(defaultCountry)).keys;
}

/** Whether `identityCandidates(raw, country)` depends on the country (a national number): lookups read the tenant's country only then. */
export function needsDefaultCountry(raw: string): boolean {
  return candidatesOf(raw, undefined).national;
}
