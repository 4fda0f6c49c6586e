/**
 * Distinguished names as the recorder compares them (the matching rule of
 * RULES.md, "Certificate matching"):
 *
 * - A registered value containing `=` is a DN: RFC 4514 (`CN=sbc.carrier.example,O=Example Carrier`),
 *   in either RDN order (RFC 4514 writes the most specific first; OpenSSL and
 *   the X.500 order the other way round), or OpenSSL's slash form
 *   (`/O=Example Carrier/CN=sbc.carrier.example`). It matches when both DNs
 *   hold the same attributes in the same order (or exactly reversed), each
 *   attribute type compared case-insensitively (with the usual long names and
 *   OIDs mapped to the short ones: `commonName`, `2.5.4.3` → `CN`) and each
 *   value compared case-insensitively after unescaping and collapsing runs of
 *   whitespace (RFC 4517 caseIgnoreMatch / insignificant space handling).
 * - A value without `=` is a bare CN: it matches the certificate's CN
 *   (case-insensitively, whitespace collapsed).
 */

export interface Rdn {
  type: string;
  value: string;
}

const ALIASES: Record<string, string> = {
  commonname: 'CN',
  '2.5.4.3': 'CN',
  organizationname: 'O',
  '2.5.4.10': 'O',
  organizationalunitname: 'OU',
  '2.5.4.11': 'OU',
  countryname: 'C',
  '2.5.4.6': 'C',
  localityname: 'L',
  '2.5.4.7': 'L',
  stateorprovincename: 'ST',
  s: 'ST',
  '2.5.4.8': 'ST',
  streetaddress: 'STREET',
  '2.5.4.9': 'STREET',
  domaincomponent: 'DC',
  '0.9.2342.19200300.100.1.25': 'DC',
  userid: 'UID',
  '0.9.2342.19200300.100.1.1': 'UID',
  emailaddress: 'EMAILADDRESS',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
  serialnumber: 'SERIALNUMBER',
  '2.5.4.5': 'SERIALNUMBER',
};

export class DnSyntaxError extends Error {}

function normaliseType(t: string): string {
  const k = t.trim().replace(/^oid\./i, '').toLowerCase();
  return ALIASES[k] ?? k.toUpperCase();
}

export function normaliseValue(v: string): string {
  return v.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Splits on unescaped separators, honouring `\x`, `\hh` and double quotes. */
function splitUnescaped(text: string, seps: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\\' && i + 1 < text.length) {
      cur += c + (text[i + 1] ?? '');
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (!quoted && seps.includes(c)) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new DnSyntaxError('unbalanced double quote');
  out.push(cur);
  return out;
}

function unescapeValue(raw: string): string {
  let v = raw.trim();
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
  const bytes: number[] = [];
  let out = '';
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes.splice(0)).toString('utf8');
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i] ?? '';
    if (c === '\\' && i + 1 < v.length) {
      const hex = v.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
      flush();
      out += v[i + 1] ?? '';
      i++;
      continue;
    }
    flush();
    out += c;
  }
  flush();
  return out;
}

/** Parses a DN in RFC 4514 (`,` or `;` separated, `+` multi-valued RDNs flattened in order) or OpenSSL slash form; RDNs in written order. */
export function parseDn(text: string): Rdn[] {
  const t = text.trim();
  if (!t) throw new DnSyntaxError('empty DN');
  const parts = t.startsWith('/') ? t.slice(1).split('/') : splitUnescaped(t, ',;').flatMap((p) => splitUnescaped(p, '+'));
  return parts.map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new DnSyntaxError(`"${p.trim()}" is no attribute=value pair`);
    const type = normaliseType(p.slice(0, eq));
    if (!/^[A-Z][A-Z0-9-]*$|^\d+(\.\d+)*$/i.test(type)) throw new DnSyntaxError(`bad attribute type "${p.slice(0, eq).trim()}"`);
    return { type, value: normaliseValue(unescapeValue(p.slice(eq + 1))) };
  });
}

const same = (a: Rdn[], b: Rdn[]) => a.length === b.length && a.every((r, i) => r.type === b[i]?.type && r.value === b[i]?.value);

/**
 * Does the registered value (a DN or a bare CN) name the certificate DN
 * `actual` (RFC 4514, as the transport reports it) whose CN is `actualCn`?
 */
export function dnMatches(registered: string, actual: string, actualCn?: string): boolean {
  const reg = registered.trim();
  if (!reg) return false;
  if (!reg.includes('=')) {
    const cn = actualCn ?? safeParse(actual)?.find((r) => r.type === 'CN')?.value;
    return cn !== undefined && normaliseValue(cn) === normaliseValue(reg);
  }
  const a = safeParse(reg);
  const b = safeParse(actual);
  if (!a || !b) return false;
  return same(a, b) || same([...a].reverse(), b);
}

function safeParse(text: string): Rdn[] | undefined {
  try {
    return parseDn(text);
  } catch {
    return undefined;
  }
}
