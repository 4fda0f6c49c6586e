// RFC 3261 §7.3.3 and the IANA registry: compact forms stand for these names.
const COMPACT: Record<string, string> = {
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding',
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  o: 'Event',
  r: 'Refer-To',
  b: 'Referred-By',
  u: 'Allow-Events',
  x: 'Session-Expires',
  a: 'Accept-Contact',
  j: 'Reject-Contact',
  d: 'Request-Disposition',
  y: 'Identity',
  n: 'Identity-Info',
};

// Names whose usual spelling is not plain title case.
const SPELLING = ['Call-ID', 'CSeq', 'WWW-Authenticate', 'MIME-Version', 'RSeq', 'RAck', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Min-SE', 'SIP-ETag', 'SIP-If-Match'];
const CANONICAL = new Map(SPELLING.map((n) => [n.toLowerCase(), n]));

/**
 * Headers whose values are comma-separated lists (RFC 3261 §7.3.1: `Name: a, b`
 * means the same as two fields). Authorization-style headers are not: commas
 * separate their parameters.
 */
const LIST_HEADERS = new Set(
  [
    'via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require', 'unsupported',
    'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'content-language', 'in-reply-to', 'warning',
    'allow-events', 'path', 'service-route', 'p-asserted-identity', 'p-preferred-identity', 'reason', 'history-info',
    'accept-contact', 'reject-contact', 'request-disposition', 'alert-info', 'call-info', 'error-info', 'security-client',
    'security-server', 'security-verify',
  ],
);

/** The full name for a compact form, or the name as written. */
export function expandHeaderName(name: string): string {
  if (name.length === 1) return COMPACT[name.toLowerCase()] ?? name;
  return name;
}

// Names seen before → their canonical spelling and key, so that building a
// message neither lower-cases nor re-spells its usual header names each time, and
// every message holds the same few strings. Bounded: once full, new names are
// computed each time.
const SEEN = new Map<string, { canonical: string | undefined; key: string }>();
const SEEN_MAX = 1024;

function seen(name: string): { canonical: string | undefined; key: string } {
  let entry = SEEN.get(name);
  if (!entry) {
    entry = { canonical: undefined, key: expandHeaderName(name).toLowerCase() };
    if (SEEN.size < SEEN_MAX) SEEN.set(name, entry);
  }
  return entry;
}

/** A normalized spelling, for output and comparison: `call-id` → `Call-ID`, `x-accountid` → `X-Accountid`. */
export function canonicalHeaderName(name: string): string {
  const entry = seen(name);
  entry.canonical ??= spell(entry.key);
  return entry.canonical;
}

function spell(lower: string): string {
  const known = CANONICAL.get(lower);
  if (known) return known;
  return lower.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** Lower-case key of a header name, compact forms expanded. */
export function headerKey(name: string): string {
  return seen(name).key;
}

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}
