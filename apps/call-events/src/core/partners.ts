import { z } from 'zod';

/**
 * Partners that authenticate with a client certificate (mutual TLS) instead of an
 * API key: MTLS_PARTNERS_FILE maps a certificate subject to a partner id and the
 * tenants it may post for. The certificate's chain is checked by TLS against
 * MTLS_CA_FILE first; the subject only says which trusted partner it is.
 *
 * ```json
 * { "partners": [
 *   { "id": "acme-dialer", "subject": { "CN": "dialer.acme.example", "O": "Acme" },
 *     "tenants": ["6f1c0a52-0b7e-4c1e-9a59-1b1f5e0d2c3a"] } ] }
 * ```
 * Every attribute given under `subject` must equal the certificate's (CN is required);
 * attributes not given are not compared. `tenants` is a list of tenant ids or "*".
 */
export interface MtlsPartner {
  id: string;
  subject: Record<string, string>;
  tenants: '*' | string[];
}

const SUBJECT_ATTRIBUTES = ['CN', 'O', 'OU', 'C', 'ST', 'L', 'emailAddress', 'serialNumber'] as const;

const text = z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(256, 'longer than 256 characters');

const partnerSchema = z.strictObject(
  {
  id: text.regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only'),
  subject: z
    .strictObject(Object.fromEntries(SUBJECT_ATTRIBUTES.map((a) => [a, text.optional()])) as Record<(typeof SUBJECT_ATTRIBUTES)[number], z.ZodOptional<typeof text>>, {
      error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown attribute (use ${SUBJECT_ATTRIBUTES.join(', ')})` : 'must be an object of subject attributes, e.g. { "CN": "dialer.acme.example" }'),
    })
    .refine((s) => s.CN !== undefined, { message: 'CN is required' }),
  tenants: z.union([z.literal('*'), z.array(text, { error: 'must be "*" or a list of tenant ids' }).min(1, 'must not be empty')], { error: 'must be "*" or a list of tenant ids' }),
  },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? 'unknown field (a partner has id, subject, tenants)' : 'must be an object { id, subject, tenants }') },
);

const fileSchema = z.strictObject(
  { partners: z.array(partnerSchema, { error: 'must be a list' }) },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? 'unknown field (the file holds { "partners": [...] })' : 'must be an object { "partners": [...] }') },
);

function describe(issue: z.core.$ZodIssue): string[] {
  const at = (path: PropertyKey[]) => `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${at([...issue.path, k])}: ${issue.message}`);
  return [`${at(issue.path)}: ${issue.message}`];
}

export class PartnersFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'PartnersFileError';
  }
}

/** Parses the partners file; PartnersFileError lists every problem with its JSON path. */
export function parsePartners(json: string): MtlsPartner[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new PartnersFileError([`not JSON (${(err as Error).message})`]);
  }
  const r = fileSchema.safeParse(raw);
  if (!r.success) {
    throw new PartnersFileError(r.error.issues.flatMap(describe));
  }
  const problems: string[] = [];
  const ids = new Set<string>();
  const subjects = new Map<string, number>();
  r.data.partners.forEach((p, i) => {
    if (ids.has(p.id)) problems.push(`$.partners[${i}].id: "${p.id}" appears twice`);
    ids.add(p.id);
    const key = subjectKey(p.subject as Record<string, string>);
    const other = subjects.get(key);
    if (other !== undefined) problems.push(`$.partners[${i}].subject: the same as $.partners[${other}].subject`);
    subjects.set(key, i);
  });
  if (problems.length > 0) throw new PartnersFileError(problems);
  return r.data.partners.map((p) => ({
    id: p.id,
    subject: Object.fromEntries(Object.entries(p.subject).filter(([, v]) => v !== undefined)) as Record<string, string>,
    tenants: p.tenants === '*' ? '*' : [...new Set(p.tenants.map((t) => t.toLowerCase()))],
  }));
}

function subjectKey(s: Record<string, string | undefined>): string {
  return JSON.stringify(Object.entries(s).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
}

/** A certificate subject as Node's `getPeerCertificate()` gives it (a repeated attribute is an array). */
export type CertSubject = Record<string, string | string[] | undefined>;

/**
 * The partner whose `subject` the certificate matches, or undefined. When several
 * match (one names CN only, another CN and O), the one naming the most attributes wins.
 */
export function partnerForSubject(partners: readonly MtlsPartner[], subject: CertSubject | undefined): MtlsPartner | undefined {
  if (!subject) return undefined;
  let best: MtlsPartner | undefined;
  for (const p of partners) {
    const matches = Object.entries(p.subject).every(([attr, want]) => {
      const got = subject[attr];
      // A repeated attribute (two OUs) matches when it holds exactly the one value asked for.
      return Array.isArray(got) ? got.length === 1 && got[0] === want : got === want;
    });
    if (matches && (!best || Object.keys(p.subject).length > Object.keys(best.subject).length)) best = p;
  }
  return best;
}

/** `CN=…, O=…` for logs and error messages. */
export function formatSubject(subject: CertSubject | undefined): string {
  if (!subject) return '(none)';
  return Object.entries(subject)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}
