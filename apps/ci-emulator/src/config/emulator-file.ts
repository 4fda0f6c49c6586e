import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { loadCertificate, type CertificateCredential, type SecretCredential } from '../entra/credentials';
import { checkUsers, MAX_USERS, type DirectoryUser, type GenerateSpec } from '../entra/users';
import { formatPath, type FieldProblem, zodProblems } from '../providers/api-error';
import { GUID_RE, validateRegistration, type RegistrationFields } from '../providers/registration-body';

/**
 * The JSON file EMULATOR_CONFIG names (everything in it can also be set at run
 * time under /emulator/):
 *
 * ```json
 * {
 *   "apps": [{ "clientId": "<guid>", "displayName": "carrier app",
 *              "secrets": ["s3cret", { "value": "old", "expiresAt": "2020-01-01T00:00:00Z" }],
 *              "certificates": ["certs/app.pem", { "pem": "-----BEGIN CERTIFICATE-----..." }] }],
 *   "tenants": [{ "tenantId": "<guid>", "displayName": "Contoso",
 *                 "consents": [{ "clientId": "<guid>", "roles": ["Users.Read.All"] }],
 *                 "users": [{ "id": "<guid>", "userPrincipalName": "a@contoso.example" }]
 *                    or { "generate": { "count": 100000, "seed": "s", "domain": "contoso.example" } },
 *                 "usersResponse": { "shape": "array" | "value" | "paged", "pageSize": 100 } }],
 *   "registrations": [{ "tenantId": "<guid>", "clientId": "<guid>", "orgId": "<guid>", "Type": "custom",
 *                       "hosting": "cloud", "displayName": "…", "AuthenticationDetails": { … } }]
 * }
 * ```
 * Certificate paths are relative to the file. Errors name the JSON path
 * (`tenants[2].tenantId: not a GUID`) and stop the start.
 */

export const guidSchema = z
  .string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') })
  .regex(GUID_RE, 'not a GUID')
  .transform((s) => s.toLowerCase());

const nonEmpty = z.string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') }).trim().min(1, 'must not be empty');

const secretSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { value: v } : v),
  z.strictObject({ value: nonEmpty, expiresAt: z.iso.datetime({ offset: true, error: 'not an ISO 8601 date-time' }).optional() }, { error: (i) => (i.code === 'invalid_type' ? 'must be a secret string or { value, expiresAt? }' : undefined) }),
);

const certificateSchema = z.preprocess(
  (v) => (typeof v === 'string' ? (v.trimStart().startsWith('-----BEGIN') ? { pem: v } : { file: v }) : v),
  z
    .strictObject({ file: nonEmpty.optional(), pem: nonEmpty.optional() }, { error: (i) => (i.code === 'invalid_type' ? 'must be a file path, a PEM, or { file } / { pem }' : undefined) })
    .refine((c) => (c.file === undefined) !== (c.pem === undefined), 'give exactly one of file and pem'),
);

export const appBodySchema = z.strictObject({
  displayName: nonEmpty.optional(),
  secrets: z.array(secretSchema).default([]),
  certificates: z.array(certificateSchema).default([]),
});

export const generateBodySchema = z.strictObject({
  count: z.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must be at least 0').max(MAX_USERS, `at most ${MAX_USERS} users per tenant`),
  seed: nonEmpty.max(200).default('ci-emulator'),
  domain: z
    .string({ error: 'must be a string' })
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'not a domain name')
    .optional(),
});

export const usersResponseSchema = z.strictObject({
  shape: z.enum(['array', 'value', 'paged'], { error: "must be 'array', 'value' or 'paged'" }),
  pageSize: z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').max(1000, 'at most 1000').optional(),
});

export const tenantBodySchema = z.strictObject({
  displayName: nonEmpty.optional(),
  consents: z.array(z.strictObject({ clientId: guidSchema, roles: z.array(nonEmpty).default([]) })).default([]),
  usersResponse: usersResponseSchema.optional(),
  users: z.unknown().optional(),
});

export type UsersShape = 'array' | 'value' | 'paged';

export interface AppDef {
  clientId: string;
  displayName: string;
  secrets: SecretCredential[];
  certificates: CertificateCredential[];
}

export interface TenantDef {
  tenantId: string;
  displayName: string;
  consents: Array<{ clientId: string; roles: string[] }>;
  usersResponse: { shape: UsersShape; pageSize: number };
  users?: { list: DirectoryUser[] } | { generate: GenerateSpec };
}

export interface RegistrationDef {
  tenantId: string;
  clientId: string;
  fields: RegistrationFields;
  raw: unknown;
}

export interface EmulatorFileData {
  apps: AppDef[];
  tenants: TenantDef[];
  registrations: RegistrationDef[];
}

export const DEFAULT_PAGE_SIZE = 100;

type Built<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** An app from a PUT body or the file; certificate files are read relative to `baseDir`. */
export function buildApp(clientId: string, body: unknown, baseDir: string, prefix: PropertyKey[] = []): Built<AppDef> {
  const parsed = appBodySchema.safeParse(body);
  const problems: FieldProblem[] = parsed.success ? [] : zodProblems(parsed.error.issues, prefix);
  // Read the certificates even when another field is bad, so one answer lists every problem.
  const rawCerts = body !== null && typeof body === 'object' && Array.isArray((body as { certificates?: unknown }).certificates) ? ((body as { certificates: unknown[] }).certificates) : [];
  const certificates: CertificateCredential[] = [];
  rawCerts.forEach((raw, i) => {
    const c = certificateSchema.safeParse(raw);
    if (!c.success) return; // reported by the schema above
    try {
      certificates.push(loadCertificate(c.data.pem !== undefined ? { pem: c.data.pem } : { file: c.data.file ?? '' }, baseDir));
    } catch (err) {
      problems.push({ field: formatPath([...prefix, 'certificates', i]), message: (err as Error).message });
    }
  });
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      clientId,
      displayName: parsed.data.displayName ?? `app ${clientId}`,
      secrets: parsed.data.secrets.map((s) => ({ value: s.value, ...(s.expiresAt ? { expiresAt: new Date(s.expiresAt) } : {}) })),
      certificates,
    },
  };
}

/** The users part of a tenant: an array of user objects or `{ generate: { count, seed?, domain? } }`. */
export function buildUsers(tenantId: string, users: unknown, prefix: PropertyKey[]): Built<{ list: DirectoryUser[] } | { generate: GenerateSpec }> {
  if (users !== null && typeof users === 'object' && !Array.isArray(users)) {
    const keys = Object.keys(users);
    if (keys.length !== 1 || keys[0] !== 'generate') return { ok: false, problems: [{ field: formatPath(prefix), message: 'must be an array of users or { "generate": { count, seed?, domain? } }' }] };
    const g = generateBodySchema.safeParse((users as { generate: unknown }).generate);
    if (!g.success) return { ok: false, problems: zodProblems(g.error.issues, [...prefix, 'generate']) };
    return { ok: true, value: { generate: { count: g.data.count, seed: g.data.seed, domain: g.data.domain ?? defaultDomain(tenantId) } } };
  }
  const checked = checkUsers(users, formatPath(prefix));
  return checked.ok ? { ok: true, value: { list: checked.users } } : { ok: false, problems: checked.problems };
}

export function defaultDomain(tenantId: string): string {
  return `t${tenantId.slice(0, 8)}.example.com`;
}

export function buildTenant(tenantId: string, body: unknown, prefix: PropertyKey[] = []): Built<TenantDef> {
  const parsed = tenantBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error.issues, prefix) };
  const problems: FieldProblem[] = [];
  const seen = new Map<string, number>();
  parsed.data.consents.forEach((c, i) => {
    const earlier = seen.get(c.clientId);
    if (earlier !== undefined) problems.push({ field: formatPath([...prefix, 'consents', i, 'clientId']), message: `duplicate of consents[${earlier}]` });
    seen.set(c.clientId, i);
  });
  let users: TenantDef['users'];
  if (parsed.data.users !== undefined) {
    const u = buildUsers(tenantId, parsed.data.users, [...prefix, 'users']);
    if (u.ok) users = u.value;
    else problems.push(...u.problems);
  }
  if (problems.length > 0) return { ok: false, problems };
  const shape = parsed.data.usersResponse?.shape ?? 'value';
  return {
    ok: true,
    value: {
      tenantId,
      displayName: parsed.data.displayName ?? `tenant ${tenantId}`,
      consents: parsed.data.consents,
      usersResponse: { shape, pageSize: parsed.data.usersResponse?.pageSize ?? DEFAULT_PAGE_SIZE },
      ...(users ? { users } : {}),
    },
  };
}

const fileSchema = z.strictObject(
  {
    apps: z.array(z.unknown(), { error: 'must be an array' }).default([]),
    tenants: z.array(z.unknown(), { error: 'must be an array' }).default([]),
    registrations: z.array(z.unknown(), { error: 'must be an array' }).default([]),
  },
  { error: (i) => (i.code === 'invalid_type' ? 'the file must be a JSON object with apps, tenants, registrations' : undefined) },
);

const withId = <K extends string>(key: K) => z.looseObject({ [key]: guidSchema } as Record<K, typeof guidSchema>);

/** Validates the whole document; every problem names its JSON path. */
export function parseEmulatorFile(doc: unknown, baseDir: string): Built<EmulatorFileData> {
  const top = fileSchema.safeParse(doc);
  if (!top.success) return { ok: false, problems: zodProblems(top.error.issues) };
  const problems: FieldProblem[] = [];
  const data: EmulatorFileData = { apps: [], tenants: [], registrations: [] };

  const idOf = (kind: 'apps' | 'tenants', key: 'clientId' | 'tenantId', item: unknown, i: number): string | undefined => {
    const r = withId(key).safeParse(item);
    if (!r.success) {
      problems.push(...zodProblems(r.error.issues, [kind, i]));
      return undefined;
    }
    return (r.data as Record<string, string>)[key];
  };
  const rest = (item: unknown, key: string) => Object.fromEntries(Object.entries(item as Record<string, unknown>).filter(([k]) => k !== key));

  const appIndex = new Map<string, number>();
  top.data.apps.forEach((item, i) => {
    const clientId = idOf('apps', 'clientId', item, i);
    if (clientId === undefined) return;
    const earlier = appIndex.get(clientId);
    if (earlier !== undefined) problems.push({ field: `apps[${i}].clientId`, message: `duplicate of apps[${earlier}]` });
    appIndex.set(clientId, i);
    const app = buildApp(clientId, rest(item, 'clientId'), baseDir, ['apps', i]);
    if (app.ok) data.apps.push(app.value);
    else problems.push(...app.problems);
  });

  const tenantIndex = new Map<string, number>();
  top.data.tenants.forEach((item, i) => {
    const tenantId = idOf('tenants', 'tenantId', item, i);
    if (tenantId === undefined) return;
    const earlier = tenantIndex.get(tenantId);
    if (earlier !== undefined) problems.push({ field: `tenants[${i}].tenantId`, message: `duplicate of tenants[${earlier}]` });
    tenantIndex.set(tenantId, i);
    const tenant = buildTenant(tenantId, rest(item, 'tenantId'), ['tenants', i]);
    if (!tenant.ok) {
      problems.push(...tenant.problems);
      return;
    }
    tenant.value.consents.forEach((c, j) => {
      if (!appIndex.has(c.clientId)) problems.push({ field: `tenants[${i}].consents[${j}].clientId`, message: `${c.clientId} is not one of the apps` });
    });
    data.tenants.push(tenant.value);
  });

  const regTenants = new Map<string, number>();
  top.data.registrations.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      problems.push({ field: `registrations[${i}]`, message: 'must be an object' });
      return;
    }
    const o = item as Record<string, unknown>;
    const ids = z.looseObject({ tenantId: guidSchema, clientId: guidSchema }).safeParse(o);
    if (!ids.success) problems.push(...zodProblems(ids.error.issues, ['registrations', i]));
    const body = Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'tenantId' && k !== 'clientId'));
    const reg = validateRegistration(body, `registrations[${i}].`);
    if (!reg.ok) problems.push(...reg.problems);
    if (!ids.success || !reg.ok) return;
    const { tenantId, clientId } = ids.data;
    if (!tenantIndex.has(tenantId)) problems.push({ field: `registrations[${i}].tenantId`, message: `${tenantId} is not one of the tenants` });
    if (!appIndex.has(clientId)) problems.push({ field: `registrations[${i}].clientId`, message: `${clientId} is not one of the apps` });
    const earlier = regTenants.get(tenantId);
    if (earlier !== undefined) problems.push({ field: `registrations[${i}].tenantId`, message: `a tenant has one registration; duplicate of registrations[${earlier}]` });
    regTenants.set(tenantId, i);
    data.registrations.push({ tenantId, clientId, fields: reg.value, raw: body });
  });

  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: data };
}

export class EmulatorFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: FieldProblem[],
  ) {
    super(`EMULATOR_CONFIG ${file} is invalid:\n${problems.map((p) => `  ${p.field}: ${p.message}`).join('\n')}`);
  }
}

/** Reads and validates the file; throws EmulatorFileError listing every problem (the app then refuses to start). */
export function loadEmulatorFile(file: string): EmulatorFileData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EmulatorFileError(file, [{ field: '(file)', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new EmulatorFileError(file, [{ field: '(file)', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const parsed = parseEmulatorFile(doc, dirname(file));
  if (!parsed.ok) throw new EmulatorFileError(file, parsed.problems);
  return parsed.value;
}

export const EMPTY_FILE: EmulatorFileData = { apps: [], tenants: [], registrations: [] };
