/** Options every factory of this library takes. */
export interface StoreOptions {
  /** Prefix of every key this library writes (default `cic:`); tests use a unique one. */
  prefix?: string;
}

export const DEFAULT_PREFIX = 'cic:';

/** The Redis key names of the layout in api.ts, for one prefix. */
export interface Keys {
  prefix: string;
  tenant(id: string): string;
  tenants: string;
  tenantOutbox: string;
  apiKey(sha256hex: string): string;
  apiKeys: string;
  /** `…:policy:{tenant}:v:` : the version is appended. */
  policyVersionPrefix(tenantId: string): string;
  policyVersion(tenantId: string, version: string): string;
  policyCurrent(tenantId: string): string;
  policyMeta(tenantId: string): string;
  /** Counter of versions begun (INCR): orders versions across replicas. */
  policySeq(tenantId: string): string;
  schedule: string;
  /** `…:policy:lease:` : the tenant id is appended. */
  leasePrefix: string;
  lease(tenantId: string): string;
}

export function keys(opts: StoreOptions = {}): Keys {
  const p = opts.prefix ?? DEFAULT_PREFIX;
  return {
    prefix: p,
    tenant: (id) => `${p}tenant:${id}`,
    tenants: `${p}tenants`,
    tenantOutbox: `${p}outbox:tenants`,
    apiKey: (h) => `${p}apikey:${h}`,
    apiKeys: `${p}apikeys`,
    policyVersionPrefix: (t) => `${p}policy:${t}:v:`,
    policyVersion: (t, v) => `${p}policy:${t}:v:${v}`,
    policyCurrent: (t) => `${p}policy:${t}:current`,
    policyMeta: (t) => `${p}policy:${t}:meta`,
    policySeq: (t) => `${p}policy:${t}:seq`,
    schedule: `${p}policy:schedule`,
    leasePrefix: `${p}policy:lease:`,
    lease: (t) => `${p}policy:lease:${t}`,
  };
}

/** A tenant id goes into key names: refuse what would make a key ambiguous or a SCAN pattern wild. */
export function checkTenantId(id: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256 || /[\s:*?[\]\\]/.test(id)) {
    throw new RangeError(`tenant id ${JSON.stringify(id)} is not usable in a key: 1-256 characters, no whitespace, ':', '*', '?', '[', ']' or '\\'`);
  }
}
