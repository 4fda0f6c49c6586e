import { X509Certificate } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { isRecorderRegion, RECORDER_REGION_NAMES, type RecorderRegion } from './regions';

/**
 * A customer tenant as ci-connector keeps it: one per Entra tenant (the id), with
 * what the CI providers API registration needs (seed, step 1) and what
 * sip-signaling needs to record its sellers' calls.
 */
export interface Tenant {
  /** The customer's Entra tenant id (GUID, lowercase): the key everywhere. */
  id: string;
  /** The Dynamics 365 organisation id (GUID, lowercase): `orgId` of the registration. */
  orgId: string;
  displayName: string;
  /** The recorder region this tenant's calls are forked to (`global` = nearest). */
  region: RecorderRegion;
  /** The provider's account id: `AccountId` of the registration, `X-AccountId` on every SIPREC request. */
  accountId: string;
  /** The SIPS client certificate the carrier presents to the recorder (registered as subject and issuer). */
  certificate: TenantCertificate;
  /** `SourceIPNetwork` of the registration: the SRC's address or CIDR; `0.0.0.0` = no restriction. */
  sourceIpNetwork: string;
  hosting: 'cloud' | 'on-premises';
  /** automatic: record on answer; manual: wait for a start command. */
  recordingMode: RecordingMode;
  /** ISO 3166-1 alpha-2 country for phone numbers written without a country code (e.g. `GB`). */
  defaultCountry: string;
  status: TenantStatus;
  createdAt: string;
  updatedAt: string;
  /** Increases by one on every change (optimistic concurrency, ordering of change events). */
  version: number;
}

export interface TenantCertificate {
  subject: string;
  issuer: string;
  /** Present when the subject and issuer were read from a PEM certificate. */
  fingerprint256?: string;
  notAfter?: string;
}

export const RECORDING_MODES = ['automatic', 'manual'] as const;
export type RecordingMode = (typeof RECORDING_MODES)[number];

/**
 * The registration at the CI providers API:
 * - `unregistered`: created, never registered;
 * - `pending`: a registration is in progress (retrying: `lastError` says why);
 * - `registered`: the API accepted it (`registeredAt`);
 * - `failed`: given up; `lastError` says why. Registering again starts over.
 */
export interface TenantStatus {
  state: 'unregistered' | 'pending' | 'registered' | 'failed';
  attempts: number;
  lastError?: string;
  lastAttemptAt?: string;
  registeredAt?: string;
  /** Fingerprint of what was registered: registering the same again changes nothing. */
  registeredFingerprint?: string;
}

export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const guid = (what: string) =>
  z
    .string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') })
    .trim()
    .regex(GUID_RE, `not a GUID (${what})`)
    .transform((s) => s.toLowerCase());

const text = (max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`);

/** An IPv4/IPv6 address or a CIDR whose host bits are zero; `0.0.0.0` = anywhere. */
export function sourceNetworkProblem(value: string): string | undefined {
  const [addr = '', bits, extra] = value.split('/');
  if (extra !== undefined) return 'not an address or CIDR';
  if (!ipaddr.isValid(addr) || !(ipaddr.IPv4.isValidFourPartDecimal(addr) || ipaddr.IPv6.isValid(addr))) return 'not an IPv4/IPv6 address or CIDR';
  if (bits === undefined) return undefined;
  const max = ipaddr.parse(addr).kind() === 'ipv4' ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `prefix length must be 0-${max}`;
  const network = ipaddr.parseCIDR(value);
  if (network[0].toString() !== ipaddr.parse(addr).toString() || !sameAsNetworkAddress(value)) return `host bits set: did you mean ${networkAddress(value)}?`;
  return undefined;
}

function networkAddress(cidr: string): string {
  const [addr, bits] = ipaddr.parseCIDR(cidr);
  if (addr.kind() === 'ipv4') return `${ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()}/${bits}`;
  return `${ipaddr.IPv6.networkAddressFromCIDR(cidr).toString()}/${bits}`;
}

function sameAsNetworkAddress(cidr: string): boolean {
  const [addr] = ipaddr.parseCIDR(cidr);
  return networkAddress(cidr) === `${addr.toString()}/${cidr.split('/')[1] ?? ''}`;
}

const sourceNetwork = z
  .string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') })
  .trim()
  .superRefine((v, ctx) => {
    const problem = sourceNetworkProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const region = z.string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') }).refine(isRecorderRegion, {
  message: `unknown region; one of ${RECORDER_REGION_NAMES.join(', ')}`,
});

const country = z
  .string({ error: 'must be a string' })
  .trim()
  .regex(/^[A-Za-z]{2}$/, 'not an ISO 3166-1 alpha-2 country code')
  .transform((s) => s.toUpperCase());

/** The certificate: either subject and issuer as text, or a PEM they are read from. */
const certificateInput = z
  .object(
    {
      subject: text(1024).optional(),
      issuer: text(1024).optional(),
      pem: z.string({ error: 'must be a string' }).optional(),
    },
    { error: (i) => (i.input === undefined ? 'required' : 'must be an object { subject, issuer } or { pem }') },
  )
  .strict()
  .transform((c, ctx): TenantCertificate => {
    if (c.pem !== undefined) {
      if (c.subject !== undefined || c.issuer !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'give either pem or subject and issuer, not both' });
        return z.NEVER;
      }
      const read = readCertificate(c.pem);
      if (typeof read === 'string') {
        ctx.addIssue({ code: 'custom', path: ['pem'], message: read });
        return z.NEVER;
      }
      return read;
    }
    if (c.subject === undefined || c.issuer === undefined) {
      if (c.subject === undefined) ctx.addIssue({ code: 'custom', path: ['subject'], message: 'required (or give pem)' });
      if (c.issuer === undefined) ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'required (or give pem)' });
      return z.NEVER;
    }
    return { subject: c.subject, issuer: c.issuer };
  });

/** Subject and issuer (RFC 4514 order, most specific first) of a PEM certificate, or what is wrong with it. */
export function readCertificate(pem: string): TenantCertificate | string {
  if (!/-----BEGIN CERTIFICATE-----/.test(pem)) return 'not a PEM certificate (no BEGIN CERTIFICATE line)';
  try {
    const cert = new X509Certificate(pem);
    const dn = (nodeDn: string) => nodeDn.split('\n').filter(Boolean).reverse().join(',');
    return { subject: dn(cert.subject), issuer: dn(cert.issuer), fingerprint256: cert.fingerprint256, notAfter: new Date(cert.validTo).toISOString() };
  } catch (err) {
    return `malformed certificate: ${(err as Error).message}`;
  }
}

/** What an admin gives to create a tenant (REST body, gRPC request). */
export const tenantCreateSchema = z
  .object({
    id: guid('the Entra tenant id'),
    orgId: guid('the Dynamics org id'),
    displayName: text(256),
    region,
    accountId: text(256).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces (it travels as the X-AccountId header)'),
    certificate: certificateInput,
    sourceIpNetwork: sourceNetwork.default('0.0.0.0'),
    hosting: z.enum(['cloud', 'on-premises'], { error: "must be 'cloud' or 'on-premises'" }).default('cloud'),
    recordingMode: z.enum(RECORDING_MODES, { error: "must be 'automatic' or 'manual'" }).default('automatic'),
    defaultCountry: country.default('US'),
  })
  .strict();

/** A change to a tenant: every field but the id is optional. */
export const tenantUpdateSchema = tenantCreateSchema.omit({ id: true }).partial().strict();

export type TenantCreate = z.output<typeof tenantCreateSchema>;
export type TenantUpdate = z.output<typeof tenantUpdateSchema>;

export interface FieldProblem {
  /** Dotted path, e.g. `certificate.pem`, `region`. */
  field: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

function parseWith<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => ({
      field: i.path.length > 0 ? i.path.join('.') : i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(', ') ?? '(body)' : '(body)',
      message: i.code === 'unrecognized_keys' ? 'unknown field' : i.message,
    })),
  };
}

/** Validates a create request; every problem is listed with its field. */
export function parseTenantCreate(input: unknown): Parsed<TenantCreate> {
  return parseWith(tenantCreateSchema, input);
}

export function parseTenantUpdate(input: unknown): Parsed<TenantUpdate> {
  return parseWith(tenantUpdateSchema, input);
}

/** A new tenant record from a validated create request. */
export function newTenant(input: TenantCreate, now: Date): Tenant {
  const at = now.toISOString();
  return { ...input, status: { state: 'unregistered', attempts: 0 }, createdAt: at, updatedAt: at, version: 1 };
}

/** The tenant with a validated update applied (version + 1). A change to what is registered sends the tenant back to unregistered. */
export function applyTenantUpdate(tenant: Tenant, update: TenantUpdate, now: Date): Tenant {
  const next: Tenant = { ...tenant, ...stripUndefined(update), updatedAt: now.toISOString(), version: tenant.version + 1 };
  if (tenant.status.state === 'registered' && registrationFingerprint(next) !== tenant.status.registeredFingerprint) {
    next.status = { state: 'unregistered', attempts: 0, lastError: 'registration details changed; register again' };
  }
  return next;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What the providers API registration is made of: equal fingerprints mean registering again changes nothing. */
export function registrationFingerprint(t: Pick<Tenant, 'id' | 'orgId' | 'displayName' | 'accountId' | 'certificate' | 'sourceIpNetwork' | 'hosting'>): string {
  return JSON.stringify([t.id, t.orgId, t.displayName, t.hosting, t.accountId, t.certificate.subject, t.certificate.issuer, t.sourceIpNetwork]);
}
